// How a UDP receive settles, the same for both backends: with { bytes, address, port, family, truncated }
// when it read into the caller's buffers, or with { data, address, port, family, truncated } when it read
// into the engine's scratch buffer (a chunk receive), `data` being a fresh Buffer holding a copy.
#pragma once

#include <node_api.h>

#include <cstddef>

#include "op.h"
#include "sockaddr.h"

namespace iocpnet {

// `chunk` is the scratch data for a chunk receive, nullptr for a caller-buffer receive. Does nothing once
// the op is settled or the environment is being torn down.
void ResolveDatagram(Op* op, napi_env env, const char* chunk, size_t bytes, const SockAddr& from, bool truncated);

}  // namespace iocpnet
