// A Windows operation object: the OVERLAPPED the kernel writes its result into, plus the shared JS half
// (promise, pinned buffers). The completion packet's OVERLAPPED pointer leads back to the object, whose
// handler then runs on the JS thread (Asio's win_iocp_operation, without virtual dispatch on the hot path).
#pragma once

#include <cstring>

#include "../common/op.h"
#include "../common/platform.h"

namespace iocpnet {

struct IocpOp : OVERLAPPED, Op {
  using Handler = void (*)(IocpOp* op, napi_env env);

  IocpOp(Engine* engine, const char* syscall, Handler h) : Op(engine, syscall), handler(h) { ResetOverlapped(); }

  void ResetOverlapped() { std::memset(static_cast<OVERLAPPED*>(this), 0, sizeof(OVERLAPPED)); }
  LONG status() const { return static_cast<LONG>(Internal); }
  DWORD bytes() const { return static_cast<DWORD>(InternalHigh); }

  Handler handler;
};

}  // namespace iocpnet
