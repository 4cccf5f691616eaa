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

#include "gather_list.h"
#include "sys_error.h"

namespace iocpnet {

template <class Buf>
class StreamFill {
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
      int64_t r = -1;
      const SysError e = recv(bufs_.pending(), bufs_.pending_count(), &r);
      if (!e.ok() || r < 0) return e;
      if (r > 0) {
        filled_ += static_cast<uint64_t>(r);
        bufs_.Advance(static_cast<uint64_t>(r));
        if (filled_ < min_ && bufs_.remaining() > 0) continue;
      }
      *got = static_cast<int64_t>(filled_);
      return SysError::Ok();
    }
  }

 private:
  GatherList<Buf> bufs_;
  uint64_t filled_ = 0;
  uint64_t min_ = 1;
};

}  // namespace iocpnet
