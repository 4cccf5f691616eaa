// A TCP listener on the epoll engine. While listening it holds `acceptDepth` accept slots counted as
// operations in flight, as the Windows backend keeps that many AcceptEx posted, so that engine stats,
// keep-alive and the close() promise behave the same on both. When epoll reports the socket readable it
// accepts with accept4 on the JS thread, at most `acceptDepth` per wake-up (then it yields to the other
// sockets and continues at the next dispatch), and hands each connection to JS. Paused, it accepts nothing
// and leaves clients in the kernel's backlog (nginx's accept_disabled idea, driven by the JS layer).
#pragma once

#include "../common/accept_callback.h"
#include "../common/sockaddr.h"
#include "../common/tcp_options.h"
#include "epoll_engine.h"

namespace iocpnet {

class TcpListener : public EpollHandle {
 public:
  static constexpr SocketKind kKind = SocketKind::kListener;
  SocketKind kind() const override { return kKind; }

  explicit TcpListener(Engine* engine) : EpollHandle(engine) {}

  // Binds and listens. On failure *syscall names the step that failed.
  SysError Listen(napi_env env, const SockAddr& addr, const ListenOptions& opts, napi_value on_accept,
                  const char** syscall);
  void Pause() { paused_ = true; }
  void Resume(napi_env env);
  napi_value Close(napi_env env);
  SysError LocalAddress(SockAddr* out) const;

  void OnReady(napi_env env, uint32_t events) override;
  void AbortPending(napi_env env) override;

 private:
  ~TcpListener() override = default;

  void ReturnSlots(napi_env env);
  void AcceptSome(napi_env env);
  void Fail(napi_env env, const SysError& err);  // delivers an accept error and pauses

  int af_ = AF_INET;
  int depth_ = 32;
  int slots_ = 0;          // accept slots counted in flight
  bool paused_ = false;
  bool readable_ = false;  // a connection may be waiting (set by epoll, cleared by EAGAIN)
  AcceptCallback on_accept_;
};

}  // namespace iocpnet
