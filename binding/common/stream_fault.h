// The error that broke a TCP connection, kept for the reads and writes that come after it.
//
// Linux hands a connection's fatal error (a reset, a keep-alive or retransmission timeout, an unreachable
// peer) to one system call only; after it, recv() reads end of stream and send() fails with EPIPE. Reads
// and writes here are independent operations, so whichever direction met the error first would leave the
// other a false answer: a read that reports a clean end of a stream that was cut short, which a caller may
// take for a complete message. Windows keeps the error for every later call, but Wine, built on Linux
// sockets, does not. So each TCP socket keeps the first such error and both backends report it in place
// of those answers.
#pragma once

#include <cstdint>
#include <cstring>

#include "sys_error.h"

namespace iocpnet {

class StreamFault {
 public:
  // What to report for an error a read, write or shutdown got: `e` itself, or, once the connection broke,
  // the error that broke it in place of the EPIPE (send) or ENOTCONN (shutdown) that follow a break on
  // Linux. Keeps `e` when it is the first that breaks the connection.
  SysError Note(const SysError& e) {
    if (e.ok()) return e;
    if (index_ != 0) return Is(e, "EPIPE") || Is(e, "ENOTCONN") ? AtEnd() : e;
    for (uint8_t i = 0; i < kCount; i++) {
      if (Is(e, kBreaking[i])) index_ = static_cast<uint8_t>(i + 1);
    }
    return e;
  }

  // What a read that found end of stream reports: success (a real end) or the error that broke the stream.
  // Only its code: the OS's own number stays with the operation that met it first.
  SysError AtEnd() const { return index_ == 0 ? SysError::Ok() : SysError::Of(kBreaking[index_ - 1]); }

 private:
  static bool Is(const SysError& e, const char* code) { return std::strcmp(e.code, code) == 0; }

  // EPIPE is not among them: after our own shutdown() it is the caller's mistake, and after a FIN it is an
  // orderly end the peer chose (Linux reports a reset that follows a FIN as EPIPE, too).
  static constexpr uint8_t kCount = 7;
  static constexpr const char* kBreaking[kCount] = {"ECONNRESET", "ECONNABORTED", "ETIMEDOUT", "EHOSTUNREACH",
                                                    "ENETUNREACH", "ENETDOWN", "EHOSTDOWN"};

  // One byte, 1 + the index of the error in kBreaking (0 while the connection is whole), so that it fits
  // in the padding beside a socket's flags: every idle connection carries it.
  uint8_t index_ = 0;
};

}  // namespace iocpnet
