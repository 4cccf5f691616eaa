#include "tcp_listener.h"

#include <algorithm>

#include "../common/tcp_wrap.h"
#include "iocp_engine.h"
#include "tcp_socket.h"
#include "win_error.h"
#include "winsock.h"

namespace iocpnet {

namespace {
// AcceptEx wants room for each address plus 16 bytes.
constexpr DWORD kAddrSpace = sizeof(sockaddr_storage) + 16;

bool ClientAborted(const SysError& e) {
  const std::string c = e.code != nullptr ? e.code : "";
  return c == "ECONNRESET" || c == "ECONNABORTED" || c == "ETIMEDOUT" || c == "ENETUNREACH" ||
         c == "EHOSTUNREACH";
}
}  // namespace

struct TcpListener::AcceptOp : IocpOp {
  explicit AcceptOp(TcpListener* l) : IocpOp(l->engine(), "accept", &TcpListener::OnAccepted), listener(l) {}
  TcpListener* listener;
  SOCKET acceptor = INVALID_SOCKET;
  char addrs[2 * kAddrSpace];
};

TcpListener::~TcpListener() { CloseOsSockets(); }

SysError TcpListener::Listen(napi_env env, const SockAddr& addr, const ListenOptions& opts, napi_value on_accept,
                             const char** syscall) {
  *syscall = "socket";
  SysError err;
  af_ = addr.family();
  s_ = CreateEngineSocket(IocpEngine::Of(engine_), af_, SOCK_STREAM, IPPROTO_TCP, &err);
  if (s_ == INVALID_SOCKET) return err;
  if (af_ == AF_INET6) SetOptionQuietly(s_, IPPROTO_IPV6, IPV6_V6ONLY, opts.ipv6_only ? 1 : 0);
  *syscall = "setsockopt";
  if (opts.exclusive && setsockopt(s_, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, "\1\0\0\0", 4) != 0) return LastSocketError();
  if (opts.reuse_addr && setsockopt(s_, SOL_SOCKET, SO_REUSEADDR, "\1\0\0\0", 4) != 0) return LastSocketError();
  *syscall = "bind";
  if (::bind(s_, addr.get(), addr.len) != 0) return LastSocketError();
  *syscall = "listen";
  if (::listen(s_, opts.backlog < 0 ? SOMAXCONN : opts.backlog) != 0) return LastSocketError();
  GUID accept_guid = WSAID_ACCEPTEX;
  GUID addrs_guid = WSAID_GETACCEPTEXSOCKADDRS;
  if (!LoadExtension(s_, accept_guid, &accept_ex_, sizeof accept_ex_) ||
      !LoadExtension(s_, addrs_guid, &get_addrs_, sizeof get_addrs_)) {
    return LastSocketError();
  }
  depth_ = std::max(1, opts.accept_depth);
  on_accept_.Set(env, on_accept);
  *syscall = "accept";
  err = PostOne(env);  // the first post reports its error synchronously; the others retry as they complete
  if (!err.ok()) return err;
  PostAccepts(env);
  return SysError::Ok();
}

void TcpListener::Resume(napi_env env) {
  paused_ = false;
  PostAccepts(env);
}

void TcpListener::PostAccepts(napi_env env) {
  while (!paused_ && !closing_ && s_ != INVALID_SOCKET && posted_ < depth_) {
    SysError e = PostOne(env);
    if (!e.ok()) {
      // Out of sockets or memory: tell the caller and pause (the JS layer pauses too when it hears of the
      // error). The posts still out go on; the next accept() resumes, which posts again.
      paused_ = true;
      on_accept_.DeliverError(env, engine_, e);
      return;
    }
  }
}

SysError TcpListener::PostOne(napi_env env) {
  SysError err;
  auto* op = new AcceptOp(this);
  op->acceptor = CreateEngineSocket(IocpEngine::Of(engine_), af_, SOCK_STREAM, IPPROTO_TCP, &err);
  if (op->acceptor == INVALID_SOCKET) {
    delete op;
    return err;
  }
  DWORD bytes = 0;
  // Receive length 0: the accept completes on connection, not on first data (no slowloris exposure).
  if (!accept_ex_(s_, op->acceptor, op->addrs, 0, kAddrSpace, kAddrSpace, &bytes, op) &&
      WSAGetLastError() != ERROR_IO_PENDING) {
    err = LastSocketError();
    closesocket(op->acceptor);
    delete op;
    return err;
  }
  posted_++;
  pending_.push_back(op);
  OpHandedToOs(env);
  return SysError::Ok();
}

void TcpListener::OnAccepted(IocpOp* base, napi_env env) {
  auto* op = static_cast<AcceptOp*>(base);
  TcpListener* self = op->listener;
  self->Retain();
  self->posted_--;
  self->pending_.erase(std::find(self->pending_.begin(), self->pending_.end(), op));
  self->OpReturned(env);
  SysError e = MapNtStatus(op->status());
  SOCKET acc = op->acceptor;
  if (e.ok() && !self->closing_ &&
      setsockopt(acc, SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT, reinterpret_cast<const char*>(&self->s_),
                 sizeof self->s_) != 0) {
    e = LastSocketError();
  }
  if (e.ok() && !self->closing_ && !self->engine_->tearing_down()) {
    sockaddr* local = nullptr;
    sockaddr* remote = nullptr;
    INT local_len = 0, remote_len = 0;
    self->get_addrs_(op->addrs, 0, kAddrSpace, kAddrSpace, &local, &local_len, &remote, &remote_len);
    auto* sock = TcpSocket::Adopt(self->engine_, acc, self->af_);
    sock->SetKnownAddresses(SockAddr::From(local, local_len), SockAddr::From(remote, remote_len));
    napi_value conn = TcpSocketWrap::FromAccepted(env, sock);
    if (conn != nullptr) {
      self->on_accept_.Deliver(env, self->engine_, conn);
    } else {
      // No handle was made, so the reference is still ours (JS cannot run: a worker terminating).
      sock->CloseOnCollect();
      sock->Release();
    }
  } else {
    if (acc != INVALID_SOCKET) closesocket(acc);
    if (!e.ok() && !self->closing_ && !ClientAborted(e)) {
      self->on_accept_.DeliverError(env, self->engine_, e);
    }
  }
  delete op;
  self->PostAccepts(env);
  self->Release();
}

napi_value TcpListener::Close(napi_env env) {
  CloseOsSockets();
  on_accept_.Drop(env);
  return BeginClose(env);
}

void TcpListener::CloseOsSockets() {
  closing_ = true;
  // Close the accept sockets too: closing a listener does not always cancel AcceptEx (libuv closes them
  // first for the same reason). Each posted AcceptEx still completes through the port before its memory goes.
  for (AcceptOp* op : pending_) {
    if (op->acceptor != INVALID_SOCKET) closesocket(op->acceptor);
    op->acceptor = INVALID_SOCKET;
  }
  CancelAndCloseSocket(&s_);
}

SysError TcpListener::LocalAddress(SockAddr* out) const { return SocketName(s_, out); }

}  // namespace iocpnet
