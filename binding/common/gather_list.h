// What a write operation sends: the caller's buffers as the OS takes them (iovec on Linux, WSABUF on
// Windows), with a cursor past what the kernel has already taken. A stream write may be taken in parts,
// so the cursor skips the buffers sent whole and trims the one sent in part.
//
// Each backend says how its descriptor is read and trimmed by specialising BufTraits:
//   static size_t Length(const Buf&);  static void Trim(Buf&, size_t n);  // drop the first n bytes
#pragma once

#include <cstddef>
#include <cstdint>

#include "small_vector.h"

namespace iocpnet {

template <class Buf>
struct BufTraits;

template <class Buf>
class GatherList {
  using Traits = BufTraits<Buf>;

 public:
  void push_back(const Buf& b) {
    bufs_.push_back(b);
    remaining_ += Traits::Length(b);
  }

  // The buffers not yet sent, the first one possibly trimmed.
  const Buf* pending() const { return bufs_.data() + first_; }
  Buf* pending() { return bufs_.data() + first_; }
  size_t pending_count() const { return bufs_.size() - first_; }
  uint64_t remaining() const { return remaining_; }

  // The kernel took the next `n` bytes (n <= remaining()).
  void Advance(uint64_t n) {
    remaining_ -= n;
    while (n > 0 && first_ < bufs_.size()) {
      Buf& b = bufs_[first_];
      const size_t len = Traits::Length(b);
      if (n >= len) {
        n -= len;
        first_++;
      } else {
        Traits::Trim(b, static_cast<size_t>(n));
        n = 0;
      }
    }
    while (first_ < bufs_.size() && Traits::Length(bufs_[first_]) == 0) first_++;
  }

 private:
  SmallVector<Buf, 1> bufs_;
  size_t first_ = 0;
  uint64_t remaining_ = 0;
};

}  // namespace iocpnet
