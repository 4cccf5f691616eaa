// Winsock plumbing shared by the Windows socket classes: start-up, socket creation in the form every
// class needs (overlapped, not inheritable, non-blocking, on the engine's port), and extension functions.
#pragma once

#include "../common/platform.h"
#include "../common/sys_error.h"

namespace iocpnet {

class IocpEngine;

SysError WinsockStartup();

// WSASocketW(af, type, proto, WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT), FIONBIO, associated with
// the engine's completion port. Returns INVALID_SOCKET and sets *err on failure.
SOCKET CreateEngineSocket(IocpEngine* engine, int af, int type, int proto, SysError* err);

// Looks up a Winsock extension function on a socket (per socket, as providers may differ; see libuv).
bool LoadExtension(SOCKET s, GUID guid, void* fn_out, size_t fn_size);

// Cancels every overlapped operation on *s and closes it (then *s = INVALID_SOCKET; nothing if already so).
// Each cancelled operation still completes through the port, and only then are its buffers released.
void CancelAndCloseSocket(SOCKET* s);

// Best-effort socket options whose failure is not an error for the caller.
void SetOptionQuietly(SOCKET s, int level, int name, int value);

}  // namespace iocpnet
