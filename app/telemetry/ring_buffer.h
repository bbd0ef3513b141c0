#pragma once
// A fixed-capacity history: push() overwrites the oldest entry once full. Index 0 is the oldest.
// Not synchronised; one owner thread.
#include <cassert>
#include <cstddef>
#include <vector>

namespace pagoda::telemetry {

template <typename T>
class RingBuffer {
 public:
  explicit RingBuffer(size_t capacity) : items_(capacity ? capacity : 1) {}

  void push(T value) {
    items_[(start_ + size_) % items_.size()] = std::move(value);
    if (size_ < items_.size())
      ++size_;
    else
      start_ = (start_ + 1) % items_.size();
  }
  size_t size() const { return size_; }
  size_t capacity() const { return items_.size(); }
  bool empty() const { return size_ == 0; }
  const T& operator[](size_t i) const {
    assert(i < size_);
    return items_[(start_ + i) % items_.size()];
  }
  const T& back() const { return (*this)[size_ - 1]; }
  void clear() { start_ = size_ = 0; }

 private:
  std::vector<T> items_;
  size_t start_ = 0;
  size_t size_ = 0;
};

}  // namespace pagoda::telemetry
