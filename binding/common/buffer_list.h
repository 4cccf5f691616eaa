// The caller buffers of one operation, as the JS layer passed them.
#pragma once

#include <node_api.h>

#include <cstddef>

#include "small_vector.h"

namespace iocpnet {

// A caller buffer: where bytes go to or come from, and the ArrayBuffer that owns the memory. The
// ArrayBuffer rather than the view is what an operation pins: holding it keeps the memory alive, and it is
// also what tells whether JavaScript has since detached (transferred) the memory from under the operation.
struct BufferRef {
  char* data = nullptr;
  size_t length = 0;
  napi_value owner = nullptr;
};

// Almost always exactly one, which then lives inline: no allocation per read or write.
using BufferList = SmallVector<BufferRef, 1>;

}  // namespace iocpnet
