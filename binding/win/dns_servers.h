// The system's DNS servers on Windows: those of the adapters that are up, as c-ares finds them
// (ares_sysconfig_win.c), for lib/dns/config.ts.
#pragma once

#include <string>
#include <vector>

#include "../common/sys_error.h"

namespace iocpnet {

// Addresses as text ("192.0.2.53", "2001:db8::53", "fe80::1%12"), ordered by the interface metric of their
// adapter (stable: the adapter order breaks ties), duplicates removed. On failure returns an empty list and
// sets *err (GetAdaptersAddresses' ERROR_NO_DATA is not a failure: no adapters, no servers).
std::vector<std::string> SystemDnsServers(SysError* err);

}  // namespace iocpnet
