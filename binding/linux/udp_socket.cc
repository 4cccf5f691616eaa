#include "udp_socket.h"

#include <limits.h>

#include <algorithm>
#include <cstring>

#include "../common/datagram_result.h"
#include "fd_util.h"
#include "iovecs.h"

namespace iocpnet {

namespace {

constexpr uint32_t kSocketEvents = EPOLLIN | EPOLLOUT | EPOLLET;

bool WouldBlock(int e) { return e == EAGAIN || e == EWOULDBLOCK; }

// Errors an ICMP message leaves on a UDP socket. Only a connected socket is sent them, but one left over
// from before disconnect() must not fail the receives of the now unconnected socket.
bool IsIcmpErrno(int e) {
  return e == ECONNREFUSED || e == ECONNRESET || e == EHOSTUNREACH || e == ENETUNREACH || e == EHOSTDOWN ||
         e == ENETDOWN || e == EPROTO;
}
constexpr int kIcmpSkips = 16;  // stale errors skipped in one read, as the Windows backend does

}  // namespace

// A receive into the caller's buffers, or (chunk_max > 0, no buffers) into the engine's scratch buffer.
struct UdpSocket::RecvOp : Op {
  RecvOp(Engine* e, BufferList&& b, size_t chunk) : Op(e, "recv"), bufs(std::move(b)), chunk_max(chunk) {
    if (chunk_max > 0) iov.push_back(iovec{e->read_scratch(), std::min(chunk_max, Engine::kReadScratchSize)});
    else AppendIovecs(bufs, &iov);
  }
  const char* chunk() const { return chunk_max > 0 ? static_cast<const char*>(iov[0].iov_base) : nullptr; }
  BufferList bufs;
  size_t chunk_max;
  SmallVector<iovec, 1> iov;
};

struct UdpSocket::SendOp : Op {
  SendOp(Engine* e, const BufferList& b, const SockAddr* dest) : Op(e, "send") {
    AppendIovecs(b, &iov);
    if (dest != nullptr) to = *dest;
  }
  SmallVector<iovec, 1> iov;
  SockAddr to;  // empty on a connected socket
  SendOp* next = nullptr;  // the socket's queue
};

// ---------------------------------------------------------------------------------------------------------
// Life

UdpSocket* UdpSocket::Create(Engine* engine, int af, SysError* err) {
  const int fd = OpenSocket(af, SOCK_DGRAM, IPPROTO_UDP, err);
  if (fd < 0) return nullptr;
  auto* u = new UdpSocket(engine, fd, af);
  // Watched from the start: an unbound or unconnected UDP socket reports nothing misleading (EPOLLOUT only).
  *err = u->Watch(kSocketEvents);
  if (!err->ok()) {
    u->CloseOsSocket();
    u->Release();
    return nullptr;
  }
  return u;
}

napi_value UdpSocket::Close(napi_env env) {
  CloseOsSocket();
  // Nothing is in the kernel's hands: queued operations only wait for readiness, so they settle now.
  FailAll(env, SysError::Of(kErrSocketClosed));
  return BeginClose(env);
}

void UdpSocket::FailAll(napi_env env, const SysError& err) {
  if (recv_ != nullptr) FinishRecv(env, recv_, err, -1, false, SockAddr());
  while (!sends_.empty()) FinishSend(env, sends_.pop_front(), err);
}

void UdpSocket::OnReady(napi_env env, uint32_t events) {
  if (fd_ < 0) return;
  if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) readable_ = true;  // EPOLLERR: an ICMP error to report
  if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) writable_ = true;
  inline_.Refill();  // a wake-up from the engine: operations may complete at once again
  if (recv_ != nullptr) ContinueRecv(env);
  if (!sends_.empty() && fd_ >= 0) Flush(env);
}

// ---------------------------------------------------------------------------------------------------------
// Addresses

SysError UdpSocket::Bind(const SockAddr& addr, const UdpBindOptions& opts, const char** syscall) {
  SysError e = BindUdp(fd_, af_, addr, opts, syscall);
  if (!e.ok()) return e;
  // Remembered with the port the kernel chose, for Disconnect.
  bound_ = addr;
  SockAddr actual;
  if (LocalAddress(&actual).ok()) {
    if (af_ == AF_INET6) reinterpret_cast<sockaddr_in6*>(&bound_.storage)->sin6_port = htons(actual.port());
    else reinterpret_cast<sockaddr_in*>(&bound_.storage)->sin_port = htons(actual.port());
  }
  return SysError::Ok();
}

SysError UdpSocket::Connect(const SockAddr& remote) {
  if (::connect(fd_, remote.get(), remote.len) != 0) return LastError();
  connected_ = true;
  remote_ = remote;
  return SysError::Ok();
}

SysError UdpSocket::Disconnect() {
  sockaddr none;
  std::memset(&none, 0, sizeof none);
  none.sa_family = AF_UNSPEC;  // dissolves the association
  if (::connect(fd_, &none, sizeof none) != 0) return LastError();
  connected_ = false;
  remote_ = SockAddr();
  // Linux also gives up a port the kernel chose at bind time; take it back, so the socket keeps the
  // address the caller was given (and Windows keeps).
  SockAddr now;
  if (bound_.len > 0 && LocalAddress(&now).ok() && now.port() == 0 && ::bind(fd_, bound_.get(), bound_.len) != 0) {
    return LastError();
  }
  return SysError::Ok();
}

SysError UdpSocket::LocalAddress(SockAddr* out) const { return SocketName(fd_, out); }

SysError UdpSocket::RemoteAddress(SockAddr* out) const {
  if (!connected_) return SysError::Of("ENOTCONN");
  *out = remote_;
  return SysError::Ok();
}

// ---------------------------------------------------------------------------------------------------------
// Receives

SysError UdpSocket::TryRecv(RecvOp* op, int64_t* got, bool* truncated, SockAddr* from) {
  *got = -1;
  *truncated = false;
  msghdr msg{};
  msg.msg_name = &from->storage;
  msg.msg_iov = op->iov.data();
  msg.msg_iovlen = std::min(op->iov.size(), kMaxIov);
  // One buffer (the usual case): recvfrom() with MSG_TRUNC, which returns the datagram's real length, so
  // truncation shows without recvmsg's msghdr and iovec copies.
  const bool plain = msg.msg_iovlen == 1;
  for (int skips = 0;;) {
    msg.msg_namelen = sizeof from->storage;
    const ssize_t r = plain ? ::recvfrom(fd_, msg.msg_iov[0].iov_base, msg.msg_iov[0].iov_len, MSG_TRUNC, from->get(), &msg.msg_namelen)
                            : ::recvmsg(fd_, &msg, 0);
    if (r >= 0) {
      const size_t room = plain ? msg.msg_iov[0].iov_len : 0;
      *truncated = plain ? static_cast<size_t>(r) > room : (msg.msg_flags & MSG_TRUNC) != 0;
      *got = plain && *truncated ? static_cast<int64_t>(room) : r;
      from->len = msg.msg_namelen;
      return SysError::Ok();
    }
    if (errno == EINTR) continue;
    if (WouldBlock(errno)) {
      readable_ = false;
      return SysError::Ok();
    }
    if (!connected_ && IsIcmpErrno(errno) && ++skips < kIcmpSkips) continue;  // consumed by this read
    return LastError();  // on a connected socket: ECONNREFUSED and the like, from ICMP
  }
}

napi_value UdpSocket::Recv(napi_env env, BufferList&& bufs, size_t chunk_max) {
  auto* op = new RecvOp(engine_, std::move(bufs), chunk_max);
  napi_value promise = op->Begin(env);
  SysError early;
  if (recv_ != nullptr) early = SysError::Of(kErrInvalidState);
  else if (fd_ < 0) early = SysError::Of(kErrSocketClosed);
  if (!early.ok()) {
    op->Reject(env, early);
    delete op;
    return promise;
  }
  if (readable_) {
    // A datagram (or an error) already queued: complete at once, no wait.
    int64_t got = -1;
    bool truncated = false;
    SockAddr from;
    const SysError e = inline_.Try([&](int64_t* r) { return TryRecv(op, r, &truncated, &from); }, &got);
    if (!e.ok() || got >= 0) {
      if (e.ok()) {
        ResolveDatagram(op, env, op->chunk(), static_cast<size_t>(got), from, truncated);
      } else {
        if (connected_) op->SetErrorAddress(remote_.Address(), remote_.port());
        op->Reject(env, e);
      }
      delete op;
      return promise;
    }
  }
  op->PinAll(env, op->bufs);
  recv_ = op;
  OpHandedToOs(env);
  if (readable_) Kick();  // the budget is used up, not the queue: go on from the engine's next dispatch
  return promise;
}

void UdpSocket::ContinueRecv(napi_env env) {
  RecvOp* op = recv_;
  // A cancel request reads once more whatever the flag says: a datagram that arrived wins over the cancel.
  if (!readable_ && !op->cancel_requested) return;
  int64_t got = -1;
  bool truncated = false;
  SockAddr from;
  // JS ran since the receive was queued: if it detached the buffer, fail without receiving (the datagram
  // stays queued for the next receive).
  SysError e = op->PinsDetached(env) ? SysError::Of(kErrBufferDetached) : TryRecv(op, &got, &truncated, &from);
  if (e.ok() && got < 0) {
    if (!op->cancel_requested) return;  // woken without a datagram (a stale event): wait again
    e = SysError::Of(kErrCancelled);
  }
  FinishRecv(env, op, e, got, truncated, from);
}

void UdpSocket::FinishRecv(napi_env env, RecvOp* op, const SysError& err, int64_t got, bool truncated,
                           const SockAddr& from) {
  recv_ = nullptr;
  if (err.ok()) {
    ResolveDatagram(op, env, op->chunk(), static_cast<size_t>(got), from, truncated);
  } else {
    if (connected_) op->SetErrorAddress(remote_.Address(), remote_.port());  // "recv ECONNREFUSED 127.0.0.1:53"
    op->Reject(env, err);
  }
  op->ReleasePins(env);
  delete op;
  OpReturned(env);
}

void UdpSocket::CancelRecv() {
  if (recv_ == nullptr) return;
  recv_->cancel_requested = true;
  Kick();
}

// ---------------------------------------------------------------------------------------------------------
// Sends

SysError UdpSocket::SendOne(const iovec* iov, size_t count, const SockAddr* to) {
  msghdr msg{};
  if (to != nullptr && to->len > 0) {
    msg.msg_name = const_cast<sockaddr*>(to->get());
    msg.msg_namelen = to->len;
  }
  msg.msg_iov = const_cast<iovec*>(iov);
  msg.msg_iovlen = count;
  // One buffer to the connected peer (a DNS query): send(), whose kernel path skips copying in a msghdr
  // and an iovec array.
  const bool plain = msg.msg_name == nullptr && count == 1;
  for (;;) {
    const ssize_t r = plain ? ::send(fd_, iov[0].iov_base, iov[0].iov_len, MSG_NOSIGNAL) : ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
    if (r >= 0) return SysError::Ok();  // a datagram goes whole or not at all
    if (errno == EINTR) continue;
    if (WouldBlock(errno)) writable_ = false;
    return LastError();
  }
}

napi_value UdpSocket::Send(napi_env env, BufferList&& bufs, const SockAddr* to, uint32_t id) {
  SysError early;
  if (fd_ < 0) {
    early = SysError::Of(kErrSocketClosed);
  } else if (sends_.empty() && writable_ && inline_.available()) {
    // Nothing queued ahead: hand the datagram over now. One the kernel takes at once needs neither an
    // operation nor a promise.
    SmallVector<iovec, 8> iov;
    AppendIovecs(bufs, &iov);
    early = SendOne(iov.data(), iov.size(), to);
    if (early.ok()) {
      inline_.Spend();
      return nullptr;
    }
    if (!writable_) early = SysError::Ok();  // EAGAIN: queue it
  }
  auto* op = new SendOp(engine_, bufs, to);
  napi_value promise = op->Begin(env);
  op->id = id;
  if (!early.ok()) {
    const SockAddr& dest = to != nullptr ? *to : remote_;
    if (dest.len > 0) op->SetErrorAddress(dest.Address(), dest.port());
    op->Reject(env, early);
    delete op;
    return promise;
  }
  op->PinAll(env, bufs);
  sends_.push_back(op);
  OpHandedToOs(env);
  if (writable_ && sends_.front() == op) Kick();  // not sent for want of budget: send from the next dispatch
  return promise;
}

void UdpSocket::Flush(napi_env env) {
  while (!sends_.empty() && writable_) {
    SendOp* op = sends_.front();
    // JS ran since the datagram was queued; if it detached the buffer, that memory is not to be read.
    const SysError e = op->PinsDetached(env) ? SysError::Of(kErrBufferDetached)
                                             : SendOne(op->iov.data(), op->iov.size(), &op->to);
    if (!e.ok() && !writable_) return;  // EAGAIN: wait for the next EPOLLOUT
    sends_.pop_front();
    if (!e.ok()) {
      const SockAddr& dest = op->to.len > 0 ? op->to : remote_;
      if (dest.len > 0) op->SetErrorAddress(dest.Address(), dest.port());
    }
    FinishSend(env, op, e);  // one datagram refused does not fail the others, unlike a byte stream
  }
}

void UdpSocket::FinishSend(napi_env env, SendOp* op, const SysError& err) {
  if (err.ok()) op->ResolveUndefined(env);
  else op->Reject(env, err);
  op->ReleasePins(env);
  delete op;
  OpReturned(env);
}

void UdpSocket::CancelSend(napi_env env, uint32_t id) {
  // Queued sends only wait for buffer space, so any of them can be taken out at once.
  for (SendOp* op = sends_.front(); op != nullptr; op = op->next) {
    if (op->id != id) continue;
    sends_.remove(op);
    FinishSend(env, op, SysError::Of(kErrCancelled));
    return;
  }
}

}  // namespace iocpnet
