// Small descriptor helpers shared by the Linux socket classes.
#pragma once

#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../common/sys_error.h"

namespace iocpnet {

inline SysError LastError() { return MapOsError(errno); }

// Every socket is non-blocking from birth (the JS thread must never wait in a syscall) and close-on-exec
// (a child process must not keep our connections open), each set atomically with the socket.
inline int OpenSocket(int af, int type, int proto, SysError* err) {
  const int fd = ::socket(af, type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
  if (fd < 0) *err = LastError();
  return fd;
}

inline SysError SetIntOption(int fd, int level, int name, int value) {
  if (::setsockopt(fd, level, name, &value, sizeof value) != 0) return LastError();
  return SysError::Ok();
}

// For options whose absence only costs efficiency (an older kernel may not know them).
inline void SetOptionQuietly(int fd, int level, int name, int value) { SetIntOption(fd, level, name, value); }

// Linux releases the descriptor even when close() reports EINTR; retrying could close a descriptor another
// thread has just been given, so the result is deliberately ignored.
inline void CloseFd(int fd) { ::close(fd); }

}  // namespace iocpnet
