// Windows-only error helpers (the portable MapOsError is in common/sys_error.h).
#pragma once

#include "../common/platform.h"
#include "../common/sys_error.h"

namespace iocpnet {

// An OVERLAPPED's final status (its Internal field) as a SysError; success statuses map to Ok.
SysError MapNtStatus(LONG status);
// The calling thread's WSAGetLastError().
SysError LastSocketError();

}  // namespace iocpnet
