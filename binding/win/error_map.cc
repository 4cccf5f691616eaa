// Winsock / Win32 / NTSTATUS results to Node error codes. The table follows libuv's uv_translate_sys_error
// and adds the statuses Wine reports where Windows reports another (STATUS_HANDLES_CLOSED for a read
// cancelled by closesocket, ERROR_CONNECTION_REFUSED for a refused ConnectEx).
#include <winternl.h>

#include "../common/platform.h"
#include "../common/sys_error.h"
#include "win_error.h"

#ifndef ERROR_HANDLES_CLOSED
#define ERROR_HANDLES_CLOSED 676  // Wine: a read cancelled by closesocket (STATUS_HANDLES_CLOSED)
#endif

namespace iocpnet {

SysError MapOsError(int64_t native) {
  const char* code = "UNKNOWN";
  switch (native) {
    case 0: return SysError::Ok();
    case WSAECONNREFUSED: case ERROR_CONNECTION_REFUSED: case ERROR_PORT_UNREACHABLE: code = "ECONNREFUSED"; break;
    case WSAECONNRESET: case ERROR_NETNAME_DELETED: case WSAENETRESET: code = "ECONNRESET"; break;
    case WSAECONNABORTED: case ERROR_CONNECTION_ABORTED: code = "ECONNABORTED"; break;
    case WSAETIMEDOUT: case ERROR_SEM_TIMEOUT: code = "ETIMEDOUT"; break;
    case WSAEADDRINUSE: case ERROR_ADDRESS_ALREADY_ASSOCIATED: code = "EADDRINUSE"; break;
    case WSAEADDRNOTAVAIL: code = "EADDRNOTAVAIL"; break;
    case WSAEACCES: case ERROR_ACCESS_DENIED: code = "EACCES"; break;
    case WSAENETUNREACH: case ERROR_NETWORK_UNREACHABLE: code = "ENETUNREACH"; break;
    case WSAEHOSTUNREACH: case ERROR_HOST_UNREACHABLE: code = "EHOSTUNREACH"; break;
    case WSAENETDOWN: code = "ENETDOWN"; break;
    case WSAEHOSTDOWN: code = "EHOSTDOWN"; break;
    case WSAENOBUFS: case ERROR_NOT_ENOUGH_MEMORY: case ERROR_OUTOFMEMORY: code = "ENOBUFS"; break;
    case WSAEMFILE: case ERROR_TOO_MANY_OPEN_FILES: code = "EMFILE"; break;
    case WSAEAFNOSUPPORT: case WSAEPFNOSUPPORT: code = "EAFNOSUPPORT"; break;
    case WSAEFAULT: case ERROR_NOACCESS: code = "EFAULT"; break;
    case WSAEINVAL: case ERROR_INVALID_PARAMETER: code = "EINVAL"; break;
    case WSAEWOULDBLOCK: code = "EAGAIN"; break;
    case WSAEMSGSIZE: case ERROR_MORE_DATA: code = "EMSGSIZE"; break;
    case WSAENOTCONN: code = "ENOTCONN"; break;
    case WSAEISCONN: code = "EISCONN"; break;
    case WSAESHUTDOWN: code = "EPIPE"; break;
    case WSAENOTSOCK: case ERROR_INVALID_HANDLE: code = "ENOTSOCK"; break;
    case WSAEALREADY: code = "EALREADY"; break;
    case WSAEINPROGRESS: code = "EBUSY"; break;
    case ERROR_OPERATION_ABORTED: case WSAEINTR: case ERROR_HANDLES_CLOSED: code = "ECANCELED"; break;
    case WSAEPROTONOSUPPORT: case WSAESOCKTNOSUPPORT: code = "EPROTONOSUPPORT"; break;
    case WSAEOPNOTSUPP: case ERROR_NOT_SUPPORTED: code = "ENOTSUP"; break;
    case WSAENOPROTOOPT: code = "ENOPROTOOPT"; break;
    case WSAEPROTOTYPE: code = "EPROTOTYPE"; break;
    case WSAEDESTADDRREQ: code = "EDESTADDRREQ"; break;
    case WSAENAMETOOLONG: code = "ENAMETOOLONG"; break;
    default: break;
  }
  return SysError::Of(code, native);
}

SysError MapNtStatus(LONG status) {
  if (status >= 0) return SysError::Ok();  // success and informational statuses
  const ULONG win32 = RtlNtStatusToDosError(status);
  return MapOsError(static_cast<int64_t>(win32));
}

SysError LastSocketError() { return MapOsError(WSAGetLastError()); }

}  // namespace iocpnet
