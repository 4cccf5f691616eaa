// Option sets passed from the JS layer to a backend's TCP classes.
#pragma once

namespace iocpnet {

struct ListenOptions {
  int backlog = -1;           // -1: the OS maximum (SOMAXCONN)
  bool ipv6_only = false;     // IPv6 listeners are dual-stack unless asked otherwise
  bool exclusive = false;     // Windows SO_EXCLUSIVEADDRUSE; no-op elsewhere
  bool reuse_addr = false;    // SO_REUSEADDR
  int accept_depth = 32;      // accept operations kept posted (AcceptEx on Windows)
};

}  // namespace iocpnet
