#pragma once
// A small fixed pool for the CPU backend's element-wise, attention and few-row linear loops (large
// GEMMs use OpenBLAS's own threads). parallel_for blocks until every range is done.
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace pagoda::cpu {

class ThreadPool {
 public:
  explicit ThreadPool(int num_threads);  // total, including the calling thread
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }
  // Calls fn(begin, end) over [0, n) split into contiguous ranges, one per thread at most.
  // item_cost (rough flops per item) keeps small jobs on fewer threads: waking threads costs
  // more than tiny work, and OpenBLAS's threads may still be spinning.
  void parallel_for(int64_t n, const std::function<void(int64_t, int64_t)>& fn,
                    int64_t item_cost = 1 << 20);

 private:
  void worker(int index);

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable start_cv_, done_cv_;
  const std::function<void(int64_t, int64_t)>* job_ = nullptr;
  int64_t job_n_ = 0;
  int job_parts_ = 0;
  uint64_t generation_ = 0;
  int pending_ = 0;
  bool stop_ = false;
};

}  // namespace pagoda::cpu
