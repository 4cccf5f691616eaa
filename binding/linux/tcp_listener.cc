#include "tcp_listener.h"

#include <errno.h>

#include <algorithm>

#include "../common/tcp_wrap.h"
#include "fd_util.h"
#include "tcp_socket.h"

namespace iocpnet {

namespace {

// accept4 passes on errors of a connection that died in the backlog; they are the client's, not the
// caller's, and the next connection may be fine (accept(2), "Error handling").
bool ClientGone(int e) {
  switch (e) {
    case ECONNABORTED: case ECONNRESET: case EPROTO: case ENETDOWN: case ENOPROTOOPT: case EHOSTDOWN:
    case ENONET: case EHOSTUNREACH: case EOPNOTSUPP: case ENETUNREACH: case ETIMEDOUT:
      return true;
    default:
      return false;
  }
}

}  // namespace

SysError TcpListener::Listen(napi_env env, const SockAddr& addr, const ListenOptions& opts, napi_value on_accept,
                             const char** syscall) {
  *syscall = "socket";
  SysError err;
  if (fd_ >= 0) return SysError::Of("EINVAL");  // listen() twice
  af_ = addr.family();
  fd_ = OpenSocket(af_, SOCK_STREAM, IPPROTO_TCP, &err);
  if (fd_ < 0) return err;
  if (af_ == AF_INET6) SetOptionQuietly(fd_, IPPROTO_IPV6, IPV6_V6ONLY, opts.ipv6_only ? 1 : 0);
  *syscall = "setsockopt";
  // opts.exclusive (SO_EXCLUSIVEADDRUSE) has no Linux counterpart and needs none: Linux never lets another
  // socket bind a port that a listening socket holds, SO_REUSEADDR or not (that takes SO_REUSEPORT on both).
  if (opts.reuse_addr) {
    err = SetIntOption(fd_, SOL_SOCKET, SO_REUSEADDR, 1);
    if (!err.ok()) return err;
  }
  *syscall = "bind";
  if (::bind(fd_, addr.get(), addr.len) != 0) return LastError();
  *syscall = "listen";
  // The kernel silently clamps the backlog to net.core.somaxconn (4096 since Linux 5.4, 128 before).
  if (::listen(fd_, opts.backlog < 0 ? SOMAXCONN : opts.backlog) != 0) return LastError();
  err = Watch(EPOLLIN | EPOLLET);  // adding an fd with clients waiting reports it readable at once
  if (!err.ok()) return err;
  depth_ = std::max(1, opts.accept_depth);
  on_accept_.Set(env, on_accept);
  for (; slots_ < depth_; slots_++) OpHandedToOs(env);
  return SysError::Ok();
}

void TcpListener::Resume(napi_env env) {
  if (!paused_) return;
  paused_ = false;
  // Accepting inside resume() would call back into JS from within the caller's accept(); continue at the
  // next dispatch instead.
  if (readable_) Kick();
}

void TcpListener::OnReady(napi_env env, uint32_t events) {
  if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) readable_ = true;
  AcceptSome(env);
}

void TcpListener::AcceptSome(napi_env env) {
  int budget = depth_;
  // The callback runs JS, which may pause or close the listener: the conditions are checked every turn.
  while (readable_ && !paused_ && fd_ >= 0 && !engine_->tearing_down()) {
    if (budget-- == 0) {
      Kick();  // fairness: let the other ready sockets run, then continue
      return;
    }
    SockAddr peer;
    socklen_t len = sizeof peer.storage;
    const int c = ::accept4(fd_, peer.get(), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (c < 0) {
      const int e = errno;
      if (e == EAGAIN || e == EWOULDBLOCK) {
        readable_ = false;
        return;
      }
      if (e == EINTR || ClientGone(e)) continue;
      // Out of descriptors or memory: tell the caller and pause. The clients stay in the backlog, and the
      // next accept() resumes, which tries again at once: no new connection needs to arrive first.
      Fail(env, MapOsError(e));
      return;
    }
    peer.len = len;
    // The connection's own address, read now: after close() there is no descriptor left to ask.
    SockAddr local;
    if (!SocketName(c, &local).ok()) {
      CloseFd(c);
      continue;
    }
    SysError err;
    TcpSocket* sock = TcpSocket::Adopt(engine_, c, af_, local, peer, &err);
    if (sock == nullptr) {
      Fail(env, err);
      return;
    }
    napi_value conn = TcpSocketWrap::FromAccepted(env, sock);
    if (conn == nullptr) {
      // No handle was made, so the reference is still ours. JS cannot run (a worker terminating): stop.
      sock->CloseOnCollect();
      sock->Release();
      return;
    }
    on_accept_.Deliver(env, engine_, conn);
  }
}

void TcpListener::Fail(napi_env env, const SysError& err) {
  paused_ = true;  // the JS layer pauses too when it hears of the error
  on_accept_.DeliverError(env, engine_, err);
}

napi_value TcpListener::Close(napi_env env) {
  CloseOsSocket();
  on_accept_.Drop(env);
  ReturnSlots(env);
  return BeginClose(env);
}

void TcpListener::AbortPending(napi_env env) {
  on_accept_.Drop(env);
  ReturnSlots(env);
}

void TcpListener::ReturnSlots(napi_env env) {
  for (; slots_ > 0; slots_--) OpReturned(env);  // the caller holds a reference: none of these deletes us
}

SysError TcpListener::LocalAddress(SockAddr* out) const {
  if (fd_ < 0) return SysError::Of(kErrSocketClosed);
  return SocketName(fd_, out);
}

}  // namespace iocpnet
