#include "winsock.h"

#include <mutex>

#include "iocp_engine.h"

namespace iocpnet {

SysError WinsockStartup() {
  static std::once_flag once;
  static int result = 0;
  std::call_once(once, [] {
    WSADATA data;
    result = WSAStartup(MAKEWORD(2, 2), &data);
  });
  return result == 0 ? SysError::Ok() : MapOsError(result);
}

SOCKET CreateEngineSocket(IocpEngine* engine, int af, int type, int proto, SysError* err) {
  SOCKET s = WSASocketW(af, type, proto, nullptr, 0, WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
  if (s == INVALID_SOCKET) {
    *err = MapOsError(WSAGetLastError());
    return INVALID_SOCKET;
  }
  // Non-blocking, so the direct (non-overlapped) reads and writes of the fast paths never block the JS thread.
  u_long on = 1;
  if (ioctlsocket(s, FIONBIO, &on) != 0) {
    *err = MapOsError(WSAGetLastError());
    closesocket(s);
    return INVALID_SOCKET;
  }
  *err = engine->Associate(s);
  if (!err->ok()) {
    closesocket(s);
    return INVALID_SOCKET;
  }
  return s;
}

bool LoadExtension(SOCKET s, GUID guid, void* fn_out, size_t fn_size) {
  DWORD bytes = 0;
  return WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &guid, sizeof guid, fn_out, static_cast<DWORD>(fn_size),
                  &bytes, nullptr, nullptr) == 0;
}

void SetOptionQuietly(SOCKET s, int level, int name, int value) {
  setsockopt(s, level, name, reinterpret_cast<const char*>(&value), sizeof value);
}

void CancelAndCloseSocket(SOCKET* s) {
  if (*s == INVALID_SOCKET) return;
  CancelIoEx(reinterpret_cast<HANDLE>(*s), nullptr);
  closesocket(*s);
  *s = INVALID_SOCKET;
}

}  // namespace iocpnet
