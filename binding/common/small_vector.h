// A vector that keeps its first N elements inline and allocates only beyond them. Operations describe
// their buffers with one: almost every read, write or datagram has exactly one buffer, and perf on the echo
// server put malloc/free among the largest user-space costs per round trip, where a std::vector cost one
// allocation per operation. For trivially copyable element types only (buffer descriptors).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <type_traits>

namespace iocpnet {

template <class T, size_t N = 1>
class SmallVector {
  static_assert(std::is_trivially_copyable<T>::value, "SmallVector holds plain descriptors");
  static_assert(N > 0, "at least one element inline");

 public:
  SmallVector() = default;
  SmallVector(SmallVector&& o) noexcept { *this = std::move(o); }
  SmallVector& operator=(SmallVector&& o) noexcept {
    if (this == &o) return *this;
    heap_ = std::move(o.heap_);
    size_ = o.size_;
    capacity_ = o.capacity_;
    if (!heap_) std::memcpy(static_cast<void*>(inline_), o.inline_, sizeof inline_);
    o.size_ = 0;
    o.capacity_ = N;
    return *this;
  }
  SmallVector(const SmallVector&) = delete;
  SmallVector& operator=(const SmallVector&) = delete;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T* data() { return heap_ ? heap_.get() : inline_; }
  const T* data() const { return heap_ ? heap_.get() : inline_; }
  T* begin() { return data(); }
  T* end() { return data() + size_; }
  const T* begin() const { return data(); }
  const T* end() const { return data() + size_; }
  T& operator[](size_t i) { return data()[i]; }
  const T& operator[](size_t i) const { return data()[i]; }

  void reserve(size_t n) {
    if (n <= capacity_) return;
    std::unique_ptr<T[]> grown(new T[n]);
    if (size_ > 0) std::memcpy(static_cast<void*>(grown.get()), data(), size_ * sizeof(T));
    heap_ = std::move(grown);
    capacity_ = static_cast<uint32_t>(n);
  }
  void push_back(const T& v) {
    if (size_ == capacity_) reserve(capacity_ * 2);
    data()[size_++] = v;
  }
  // Keeps the capacity, as std::vector does.
  void clear() { size_ = 0; }

 private:
  // 32-bit counts: an idle connection's pending read carries one of these, and no list comes near 2^32.
  T inline_[N]{};
  std::unique_ptr<T[]> heap_;  // once more than N were needed; then it holds every element
  uint32_t size_ = 0;
  uint32_t capacity_ = N;
};

}  // namespace iocpnet
