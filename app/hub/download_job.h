#pragma once
// One model's download, run by DownloadQueue on the model's worker thread, one method per
// step: list (the file list, kept in the queue's state), check_space, fetch_all (files_per_model
// file threads, each transfer holding one of the queue's ConnectionSlots), fetch_file (one file
// with Range resume, retries and backoff), verify (size and sha256, hashed while receiving) and
// install (one rename into the library, or a merge into a partial / outdated copy).
//
// Internal to the queue (download_queue.cpp, download_job.cpp). Threading: the job's own
// threads touch the Entry's shared fields only under the queue's mutex; file metadata is fixed
// once listed.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "app/hub/download_queue.h"

namespace pagoda::hub {

// The queue's record of one download; the persistent part is saved in queue.json.
struct DownloadQueue::Entry {
  struct File {
    std::string path;
    int64_t size = -1;
    std::string sha256;
    bool done = false;
    bool in_library = false;  // already in the library copy being completed or updated
  };
  std::string id;
  DownloadRequest request;
  DownloadState state = DownloadState::Queued;
  std::string error;
  std::string status_message;
  bool listed = false;
  bool complete_after = true;  // the library copy holds every file of the model once installed
  std::string commit;
  std::vector<File> files;
  std::filesystem::path model_dir;

  // Run time only.
  std::thread worker;
  bool worker_active = false;
  std::atomic<bool> stop{false};
  std::atomic<int64_t> bytes_done{0};
  std::vector<std::string> active_files;
  double rate = 0;
  double eta = -1;
};

// A counting semaphore for file transfers over all models of a queue.
class ConnectionSlots {
 public:
  explicit ConnectionSlots(int limit) : limit_(std::max(1, limit)) {}
  // Waits for a free slot; false when stopped() became true meanwhile.
  bool acquire(const std::function<bool()>& stopped);
  void release();

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  int limit_;
  int used_ = 0;
};

class DownloadJob {
 public:
  using Entry = DownloadQueue::Entry;
  using File = Entry::File;
  DownloadJob(DownloadQueue& queue, std::shared_ptr<Entry> entry);
  // Every step, then the outcome recorded in the entry (completed, failed, paused, canceled).
  void run();

 private:
  // One HTTP attempt at a file, resuming from its .part file.
  struct Attempt {
    HttpResult result;
    int64_t received = 0;
    std::string local_error;  // disk or protocol problems found while receiving
    bool fatal = false;       // not worth another attempt
    bool complete = false;    // the .part file holds the whole file
    std::string sha256;       // hashed while receiving, when the whole file went through
  };

  void list();
  void check_space(int64_t need) const;
  void fetch_all();
  void fetch_file(size_t index);
  Attempt attempt(const File& f, const std::filesystem::path& part_path, int64_t offset,
                  int64_t& counted);
  std::chrono::milliseconds retry_delay(const Attempt& a, const File& f, int& failures) const;
  std::string verify(const File& f, const std::filesystem::path& path,
                     const std::string& known_sha256) const;
  void install();
  void merge_into(const std::filesystem::path& target);
  void finish(const std::string& failure);

  bool stopped() const { return entry_->stop.load() || abort_.load(); }
  bool sleep_for(std::chrono::milliseconds d);
  void set_status(const std::string& message);
  void set_active(const std::string& path, bool active);
  // Moves one file's share of bytes_done from counted to now.
  void count(int64_t& counted, int64_t now);
  void report(bool force);

  DownloadQueue& queue_;
  const DownloadQueueOptions& options_;
  std::shared_ptr<Entry> entry_;
  DownloadRequest request_;
  HubClient client_;
  std::filesystem::path staging_;
  std::atomic<bool> abort_{false};  // a file failed: the other file threads stop
  int64_t bytes_total_ = 0;

  std::mutex report_mutex_;
  std::deque<std::pair<std::chrono::steady_clock::time_point, int64_t>> samples_;
  std::chrono::steady_clock::time_point last_report_{};
};

// Why a listing cannot be downloaded safely into staging, or "" (unsafe or over-long paths,
// duplicates, file/folder collisions).
std::string listing_problem(const std::vector<DownloadQueue::Entry::File>& files,
                            const std::filesystem::path& staging);

}  // namespace pagoda::hub
