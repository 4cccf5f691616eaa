// How far a stream read has filled the caller's buffers, and how far it must before it completes.
//
// A plain read completes with whatever arrives first (min 1). read(buf, { minBytes }) asks for at least
// `min` bytes, as Asio's async_read with transfer_at_least does: the read completes once it holds them,
// at end of stream with what it has, and otherwise keeps the buffers and waits. Both backends receive
// without blocking until one of those and wait for readiness in between; on Linux, SO_RCVLOWAT set to what
// is still missing lets the kernel wake the reader once for the lot instead of once per segment.
#pragma once

#include <cstddef>
#include <cstdint>

#include "gather_list.h"  // BufTraits
#include "small_vector.h"
#include "sys_error.h"

namespace iocpnet {

template <class Buf>
class StreamFill {
  using Traits = BufTraits<Buf>;

 public:
  void push_back(const Buf& b) { bufs_.push_back(b); }
  void set_min(uint64_t min) { min_ = min; }

  uint64_t filled() const { return filled_; }
  // What the read still lacks before it may complete; 1 (any byte) once it has enough or for a plain read.
  uint64_t missing() const { return filled_ < min_ ? min_ - filled_ : 1; }

  // Receives until the read may complete or must wait. `recv(bufs, count, &r)` receives once without
  // blocking into the buffers it is given and sets r to the bytes read, 0 at end of stream or -1 when
  // nothing is there; it returns the error of a receive that failed. *got becomes the read's result (the
  // bytes it holds, 0 at end of stream) or -1 while it must wait; what was read stays counted either way.
  template <class Recv>
  SysError Fill(Recv recv, int64_t* got) {
    *got = -1;
    for (;;) {
      // Buffers already filled are trimmed to nothing; the receive starts at the first with room. (No
      // cursor is kept: every idle connection holds a read, and almost every read has one buffer.)
      size_t first = 0;
      while (first < bufs_.size() && Traits::Length(bufs_[first]) == 0) first++;
      int64_t r = 0;
      if (first < bufs_.size()) {
        r = -1;
        const SysError e = recv(bufs_.data() + first, bufs_.size() - first, &r);
        if (!e.ok() || r < 0) return e;
      }
      if (r > 0) {
        filled_ += static_cast<uint64_t>(r);
        Trim(first, static_cast<uint64_t>(r));
        if (filled_ < min_) continue;
      }
      *got = static_cast<int64_t>(filled_);  // enough, full buffers, or end of stream
      return SysError::Ok();
    }
  }

 private:
  void Trim(size_t first, uint64_t n) {
    for (size_t i = first; n > 0 && i < bufs_.size(); i++) {
      const size_t take = static_cast<size_t>(n < Traits::Length(bufs_[i]) ? n : Traits::Length(bufs_[i]));
      Traits::Trim(bufs_[i], take);
      n -= take;
    }
  }

  SmallVector<Buf, 1> bufs_;
  uint64_t filled_ = 0;
  uint64_t min_ = 1;
};

}  // namespace iocpnet
