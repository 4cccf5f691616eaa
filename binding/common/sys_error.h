// An operating-system result reduced to what JavaScript needs: a Node-style error code ("ECONNREFUSED",
// or one of ours such as "ERR_SOCKET_CLOSED") plus the OS's own number for diagnostics. The JS layer turns
// it into a Node-shaped system error (errno from util.getSystemErrorMap(), message, syscall, address).
#pragma once

#include <cstdint>

namespace iocpnet {

struct SysError {
  const char* code = nullptr;  // nullptr means success
  int64_t native = 0;          // WSA/Win32 error or errno, as the OS reported it

  bool ok() const { return code == nullptr; }
  static SysError Ok() { return {}; }
  static SysError Of(const char* c, int64_t n = 0) { return {c, n}; }
};

// Codes of our own, for conditions the OS does not name.
constexpr const char* kErrSocketClosed = "ERR_SOCKET_CLOSED";     // operation on (or pending at) close()
constexpr const char* kErrCancelled = "ECANCELED";               // cancelled by the caller (abort/timeout)
constexpr const char* kErrInvalidState = "ERR_INVALID_STATE";     // e.g. a second concurrent read
constexpr const char* kErrBufferDetached = "ERR_BUFFER_DETACHED";  // JS transferred a pending op's buffer

// Maps a raw OS error number (errno on Linux; WSA or Win32 error on Windows) to a Node code.
// Implemented by each backend.
SysError MapOsError(int64_t native);

}  // namespace iocpnet
