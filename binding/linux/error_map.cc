// errno values to Node error codes. The names are the ones Node itself uses on Linux (libuv's), so the JS
// layer can find the matching errno with util.getSystemErrorMap(); the few conditions Windows reports
// under another name use the Windows backend's name (ESHUTDOWN is reported as EPIPE there).
#include <errno.h>

#include "../common/sys_error.h"

namespace iocpnet {

SysError MapOsError(int64_t native) {
  const char* code = "UNKNOWN";
  switch (native) {
    case 0: return SysError::Ok();
    case ECONNREFUSED: code = "ECONNREFUSED"; break;
    case ECONNRESET: case ENETRESET: code = "ECONNRESET"; break;
    case ECONNABORTED: code = "ECONNABORTED"; break;
    case ETIMEDOUT: code = "ETIMEDOUT"; break;
    case EADDRINUSE: code = "EADDRINUSE"; break;
    case EADDRNOTAVAIL: code = "EADDRNOTAVAIL"; break;
    case EACCES: code = "EACCES"; break;
    case EPERM: code = "EPERM"; break;
    case ENETUNREACH: code = "ENETUNREACH"; break;
    case EHOSTUNREACH: code = "EHOSTUNREACH"; break;
    case ENETDOWN: code = "ENETDOWN"; break;
    case EHOSTDOWN: code = "EHOSTDOWN"; break;
    case ENONET: code = "ENONET"; break;
    case ENOBUFS: code = "ENOBUFS"; break;
    case ENOMEM: code = "ENOMEM"; break;
    case EMFILE: code = "EMFILE"; break;
    case ENFILE: code = "ENFILE"; break;
    case EAFNOSUPPORT: case EPFNOSUPPORT: code = "EAFNOSUPPORT"; break;
    case EFAULT: code = "EFAULT"; break;
    case EINVAL: code = "EINVAL"; break;
    case EAGAIN: code = "EAGAIN"; break;  // == EWOULDBLOCK
    case EMSGSIZE: code = "EMSGSIZE"; break;
    case ENOTCONN: code = "ENOTCONN"; break;
    case EISCONN: code = "EISCONN"; break;
    case EPIPE: case ESHUTDOWN: code = "EPIPE"; break;
    case ENOTSOCK: code = "ENOTSOCK"; break;
    case EBADF: code = "EBADF"; break;
    case EALREADY: code = "EALREADY"; break;
    case EBUSY: code = "EBUSY"; break;
    case ECANCELED: code = "ECANCELED"; break;
    case EINTR: code = "EINTR"; break;
    case EPROTONOSUPPORT: code = "EPROTONOSUPPORT"; break;
    case ESOCKTNOSUPPORT: code = "ESOCKTNOSUPPORT"; break;
    case EOPNOTSUPP: code = "ENOTSUP"; break;  // == ENOTSUP on Linux
    case ENOPROTOOPT: code = "ENOPROTOOPT"; break;
    case EPROTOTYPE: code = "EPROTOTYPE"; break;
    case EPROTO: code = "EPROTO"; break;
    case EDESTADDRREQ: code = "EDESTADDRREQ"; break;
    case ENAMETOOLONG: code = "ENAMETOOLONG"; break;
    case ENOSYS: code = "ENOSYS"; break;
    case EIO: code = "EIO"; break;
    case ENOENT: code = "ENOENT"; break;
    case ENOSPC: code = "ENOSPC"; break;
    case ERANGE: code = "ERANGE"; break;
    case EOVERFLOW: code = "EOVERFLOW"; break;
    default: break;
  }
  return SysError::Of(code, native);
}

}  // namespace iocpnet
