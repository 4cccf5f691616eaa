// Runs one completion handler on the JS thread so that a failure inside it can neither unwind into Node's
// C callback (the threadsafe function on Windows, libuv on Linux) nor skip the handlers after it in the
// same batch, whose operations would then never settle or be freed.
//
// The shared code calls into JS through node-addon-api, which reports a failed call as a C++ exception:
// the error factory or a constructor failing while a worker terminates. What such a failure interrupted
// is cleaned up at teardown; the next handler must start without a pending JS exception.
#pragma once

#include <node_api.h>

#include <exception>

namespace iocpnet {

template <typename Handler>
void GuardedCall(napi_env env, Handler&& handler) {
  try {
    handler();
  } catch (const std::exception&) {
  }
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) {
    napi_value ignored;
    napi_get_and_clear_last_exception(env, &ignored);
  }
}

}  // namespace iocpnet
