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
    if (code_ != nullptr) return Is(e, "EPIPE") || Is(e, "ENOTCONN") ? AtEnd() : e;
    if (Breaks(e)) {
      code_ = e.code;
      native_ = e.native;
    }
    return e;
  }

  // What a read that found end of stream reports: success (a real end) or the error that broke the stream.
  SysError AtEnd() const { return SysError::Of(code_, native_); }

 private:
  static bool Is(const SysError& e, const char* code) { return std::strcmp(e.code, code) == 0; }

  // EPIPE is not among them: after our own shutdown() it is the caller's mistake, and after a FIN it is an
  // orderly end the peer chose (Linux reports a reset that follows a FIN as EPIPE, too).
  static bool Breaks(const SysError& e) {
    for (const char* code : {"ECONNRESET", "ECONNABORTED", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH",
                             "ENETDOWN", "EHOSTDOWN"}) {
      if (Is(e, code)) return true;
    }
    return false;
  }

  const char* code_ = nullptr;  // nullptr while the connection is whole
  int64_t native_ = 0;
};

}  // namespace iocpnet
