// The caller buffers of one read or write: almost always exactly one, so that one lives inline and only a
// scatter/gather list of two or more allocates. perf on the echo server put malloc/free among the largest
// user-space costs per round trip, and a std::vector here was one allocation per read and per write.
#pragma once

#include <node_api.h>

#include <cstddef>
#include <vector>

namespace iocpnet {

// A caller buffer: where bytes go to or come from, and the JS value that owns the memory.
struct BufferRef {
  char* data = nullptr;
  size_t length = 0;
  napi_value owner = nullptr;
};

class BufferList {
 public:
  BufferList() = default;
  BufferList(BufferList&& o) noexcept : one_(o.one_), many_(std::move(o.many_)), size_(o.size_) { o.clear(); }
  BufferList& operator=(BufferList&& o) noexcept {
    one_ = o.one_;
    many_ = std::move(o.many_);
    size_ = o.size_;
    o.clear();
    return *this;
  }
  BufferList(const BufferList&) = delete;
  BufferList& operator=(const BufferList&) = delete;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const BufferRef* begin() const { return size_ <= 1 ? &one_ : many_.data(); }
  const BufferRef* end() const { return begin() + size_; }
  const BufferRef& operator[](size_t i) const { return begin()[i]; }

  void reserve(size_t n) {
    if (n > 1) many_.reserve(n);
  }
  void push_back(const BufferRef& b) {
    if (size_ == 0) {
      one_ = b;
    } else {
      if (size_ == 1) many_.push_back(one_);  // from now on every element lives in many_
      many_.push_back(b);
    }
    size_++;
  }
  void clear() {
    many_.clear();
    size_ = 0;
  }

 private:
  BufferRef one_;
  std::vector<BufferRef> many_;  // holds every element once there are two or more
  size_t size_ = 0;
};

}  // namespace iocpnet
