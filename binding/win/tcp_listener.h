// A TCP listener on IOCP. It keeps `acceptDepth` AcceptEx operations posted and re-posts one on every
// completion, errors included; a client that reset before being accepted is not the caller's error. The
// JS layer pauses re-posting while enough accepted connections wait for accept() (nginx's
// accept_disabled idea: stop taking connections one cannot serve, leave them to the kernel backlog).
#pragma once

#include <vector>

#include "../common/socket_base.h"
#include "../common/accept_callback.h"
#include "../common/sockaddr.h"
#include "../common/tcp_options.h"
#include "iocp_op.h"

namespace iocpnet {

class TcpListener : public SocketBase {
 public:
  static constexpr SocketKind kKind = SocketKind::kListener;
  SocketKind kind() const override { return kKind; }

  explicit TcpListener(Engine* engine) : SocketBase(engine) {}

  // Binds, listens and posts the first accepts. On failure *syscall names the step that failed.
  SysError Listen(napi_env env, const SockAddr& addr, const ListenOptions& opts, napi_value on_accept,
                  const char** syscall);
  void Pause() { paused_ = true; }
  void Resume(napi_env env);
  napi_value Close(napi_env env);
  SysError LocalAddress(SockAddr* out) const;

  void CloseForTeardown() override { CloseOsSockets(); }
  void CloseOnCollect() override { CloseOsSockets(); }

 private:
  struct AcceptOp;
  ~TcpListener() override;

  void CloseOsSockets();
  void PostAccepts(napi_env env);
  SysError PostOne(napi_env env);
  static void OnAccepted(IocpOp* base, napi_env env);

  SOCKET s_ = INVALID_SOCKET;
  int af_ = AF_INET;
  int depth_ = 32;
  int posted_ = 0;
  bool paused_ = false;
  LPFN_ACCEPTEX accept_ex_ = nullptr;
  LPFN_GETACCEPTEXSOCKADDRS get_addrs_ = nullptr;
  AcceptCallback on_accept_;
  std::vector<AcceptOp*> pending_;  // posted AcceptEx, so close() can close their sockets
};

}  // namespace iocpnet
