#include "udp_socket.h"

#include <algorithm>
#include <cstring>

#include "../common/datagram_result.h"
#include "iocp_engine.h"
#include "win_error.h"
#include "winsock.h"
#include "wsabufs.h"

namespace iocpnet {

namespace {

// Stale ICMP errors an unconnected socket may skip in one read before giving up until the next wake-up.
constexpr int kIcmpSkips = 16;

bool Is(const SysError& e, const char* code) { return e.code != nullptr && std::strcmp(e.code, code) == 0; }

// What an ICMP port unreachable (or TTL exceeded) looks like on a UDP socket: Windows reports WSAECONNRESET
// or ERROR_PORT_UNREACHABLE, Wine (Linux semantics) ECONNREFUSED.
bool IsIcmpError(const SysError& e) { return Is(e, "ECONNRESET") || Is(e, "ECONNREFUSED"); }

// On a connected socket every such error means the peer's port is closed: ECONNREFUSED, as Linux says.
SysError Refused(const SysError& e) { return SysError::Of("ECONNREFUSED", e.native); }

}  // namespace

// A receive into the caller's buffers, or (chunk_max > 0, no buffers) into the engine's scratch buffer.
// While it waits, the only thing the kernel holds is this OVERLAPPED: the peek reads zero bytes.
struct UdpSocket::RecvOp : IocpOp {
  RecvOp(UdpSocket* s, BufferList&& b, size_t chunk)
      : IocpOp(s->engine(), "recv", &UdpSocket::OnPeek), sock(s), bufs(std::move(b)), chunk_max(chunk) {
    if (chunk_max > 0) {
      const size_t n = std::min(chunk_max, Engine::kReadScratchSize);
      wsabufs.push_back(WSABUF{static_cast<ULONG>(n), s->engine()->read_scratch()});
    } else {
      AppendDatagramBufs(bufs, &wsabufs);
    }
    // One receive fills at most the first kMaxWsaBufs buffers (Wine refuses more; Linux's recvmsg takes
    // IOV_MAX): the rest of a datagram is cut off and reported as truncated, the same on both backends.
    for (size_t i = 0; i < count(); i++) capacity += wsabufs[i].len;
  }
  DWORD count() const { return WsaBufCount(wsabufs.size()); }
  const char* chunk() const { return chunk_max > 0 ? wsabufs[0].buf : nullptr; }
  UdpSocket* sock;
  BufferList bufs;
  size_t chunk_max;
  SmallVector<WSABUF, 1> wsabufs;
  size_t capacity = 0;
};

struct UdpSocket::SendOp : IocpOp {
  SendOp(UdpSocket* s, const BufferList& b, const SockAddr* dest)
      : IocpOp(s->engine(), "send", &UdpSocket::OnSendDone), sock(s) {
    AppendDatagramBufs(b, &wsabufs);
    if (dest != nullptr) to = *dest;
  }
  const sockaddr* dest() const { return to.len > 0 ? to.get() : nullptr; }
  UdpSocket* sock;
  SmallVector<WSABUF, 1> wsabufs;
  SockAddr to;  // empty on a connected socket
  // WSASendTo returned success at once: the datagram was taken before JS could run again, so a detach
  // after that cannot have changed it.
  bool taken_at_post = false;
  SendOp* next = nullptr;  // the socket's queue
};

// ---------------------------------------------------------------------------------------------------------
// Life

UdpSocket* UdpSocket::Create(Engine* engine, int af, SysError* err) {
  SOCKET s = CreateEngineSocket(IocpEngine::Of(engine), af, SOCK_DGRAM, IPPROTO_UDP, err);
  if (s == INVALID_SOCKET) return nullptr;
  auto* u = new UdpSocket(engine, s, af);
  u->SetConnReset(false);
  return u;
}

UdpSocket::~UdpSocket() { CloseOsSocket(); }

void UdpSocket::SetConnReset(bool report) {
  // A stub that succeeds under Wine, whose sockets have Linux semantics anyway (only connected sockets see
  // ICMP errors); best effort elsewhere: the read path copes with the errors either way.
  BOOL on = report ? TRUE : FALSE;
  DWORD bytes = 0;
  WSAIoctl(s_, SIO_UDP_CONNRESET, &on, sizeof on, nullptr, 0, &bytes, nullptr, nullptr);
}

void UdpSocket::CloseOsSocket() {
  closing_ = true;
  CancelAndCloseSocket(&s_);
}

void UdpSocket::CloseForTeardown() {
  CloseOsSocket();
  // Queued sends never reached the kernel; their references belong to the environment being torn down.
  ForEachTaken(sends_.take_after(send_in_flight_ ? sends_.front() : nullptr), [](SendOp* op) { delete op; });
}

napi_value UdpSocket::Close(napi_env env) {
  CloseOsSocket();
  RejectQueuedSends(env, SysError::Of(kErrSocketClosed));
  return BeginClose(env);
}

SysError UdpSocket::FailureOf(const Op* op, const SysError& os) const {
  if (closing_) return SysError::Of(kErrSocketClosed, os.native);
  if (op->cancel_requested) return SysError::Of(kErrCancelled, os.native);
  return os;
}

// ---------------------------------------------------------------------------------------------------------
// Addresses

SysError UdpSocket::Bind(const SockAddr& addr, const UdpBindOptions& opts, const char** syscall) {
  return BindUdp(s_, af_, addr, opts, syscall);
}

SysError UdpSocket::Connect(const SockAddr& remote) {
  if (::connect(s_, remote.get(), remote.len) != 0) return LastSocketError();
  connected_ = true;
  remote_ = remote;
  SetConnReset(true);
  return SysError::Ok();
}

SysError UdpSocket::Disconnect() {
  // An all-zero address of family AF_UNSPEC dissolves the association (as libuv does; a zero AF_INET
  // address would mean "this host" to Wine's Linux sockets).
  sockaddr none;
  std::memset(&none, 0, sizeof none);
  if (::connect(s_, &none, sizeof none) != 0) return LastSocketError();
  connected_ = false;
  remote_ = SockAddr();
  SetConnReset(false);
  // Windows keeps the local port. (Under Wine the Linux socket gives up a port the system chose, and Wine
  // refuses a second bind, so there the next send takes a new one, as with Linux's own dgram.)
  return SysError::Ok();
}

SysError UdpSocket::LocalAddress(SockAddr* out) const { return SocketName(s_, out); }

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
  for (int i = 0; i < kIcmpSkips; i++) {
    DWORD bytes = 0;
    DWORD flags = 0;
    *from = SockAddr();
    INT from_len = sizeof from->storage;
    const int rc = WSARecvFrom(s_, op->wsabufs.data(), op->count(), &bytes, &flags,
                               from->get(), &from_len, nullptr, nullptr);
    const int err = rc == 0 ? 0 : WSAGetLastError();
    if (err == 0 || err == WSAEMSGSIZE) {
      // WSAEMSGSIZE: the datagram filled the buffers and its rest was discarded; no count is reported.
      *got = err == 0 ? static_cast<int64_t>(bytes) : static_cast<int64_t>(op->capacity);
      *truncated = err != 0 || (flags & MSG_PARTIAL) != 0;
      from->len = from_len;
      if (from->family() != AF_INET && from->family() != AF_INET6) *from = remote_;
      return SysError::Ok();
    }
    if (err == WSAEWOULDBLOCK) return SysError::Ok();
    const SysError e = MapOsError(err);
    if (!IsIcmpError(e)) return e;
    if (connected_) return Refused(e);
    // Unconnected: the error answered some earlier sendto and is consumed now; the queue may hold more.
  }
  return SysError::Ok();
}

napi_value UdpSocket::Recv(napi_env env, BufferList&& bufs, size_t chunk_max) {
  auto* op = new RecvOp(this, std::move(bufs), chunk_max);
  napi_value promise = op->Begin(env);
  SysError early;
  if (recv_ != nullptr) early = SysError::Of(kErrInvalidState);
  else if (s_ == INVALID_SOCKET) early = SysError::Of(kErrSocketClosed);
  if (!early.ok()) {
    op->Reject(env, early);
    delete op;
    return promise;
  }
  {
    // A datagram already queued: complete at once, no kernel round trip.
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
  Wait(env, op);
  return promise;
}

void UdpSocket::Wait(napi_env env, RecvOp* op) {
  for (int i = 0; i < kIcmpSkips; i++) {
    op->ResetOverlapped();
    WSABUF none{0, nullptr};
    DWORD bytes = 0;
    DWORD flags = MSG_PEEK;
    const int rc = WSARecv(s_, &none, 1, &bytes, &flags, op, nullptr);
    const int err = rc == 0 ? 0 : WSAGetLastError();
    // Without FILE_SKIP_COMPLETION_PORT_ON_SUCCESS every start that is not a failure queues exactly one
    // packet: success, pending, and WSAEMSGSIZE — a datagram already queued, reported with the NT warning
    // STATUS_BUFFER_OVERFLOW, which is not a failure (verified under Wine; see iocp-anchors §4.2, §7.3).
    if (err == 0 || err == WSA_IO_PENDING || err == WSAEMSGSIZE) {
      OpHandedToOs(env);
      return;
    }
    SysError e = MapOsError(err);
    if (!IsIcmpError(e)) return FailRecv(env, op, e);
    if (connected_) return FailRecv(env, op, Refused(e));
    // Unconnected: a peek does not consume the error; a real read does, and may find a datagram behind it.
    int64_t got = -1;
    bool truncated = false;
    SockAddr from;
    e = TryRecv(op, &got, &truncated, &from);
    if (!e.ok()) return FailRecv(env, op, e);
    if (got >= 0) return CompleteRecv(env, op, got, truncated, from);
  }
  FailRecv(env, op, SysError::Of("ECONNRESET"));
}

void UdpSocket::CompleteRecv(napi_env env, RecvOp* op, int64_t got, bool truncated, const SockAddr& from) {
  recv_ = nullptr;
  ResolveDatagram(op, env, op->chunk(), static_cast<size_t>(got), from, truncated);
  op->ReleasePins(env);
  delete op;
}

void UdpSocket::FailRecv(napi_env env, RecvOp* op, const SysError& err) {
  recv_ = nullptr;
  if (connected_) op->SetErrorAddress(remote_.Address(), remote_.port());  // "recv ECONNREFUSED 127.0.0.1:53"
  op->Reject(env, err);
  op->ReleasePins(env);
  delete op;
}

void UdpSocket::OnPeek(IocpOp* base, napi_env env) {
  auto* op = static_cast<RecvOp*>(base);
  UdpSocket* self = op->sock;
  self->Retain();  // OpReturned at the end may drop the last reference
  self->inline_.Refill();  // a wake-up through the port: operations may complete at once again
  SysError e = MapNtStatus(op->status());
  // "A datagram is here": success, or STATUS_BUFFER_OVERFLOW (mapped from ERROR_MORE_DATA). An ICMP error on
  // an unconnected socket is only consumed by a real read, which may find a datagram too.
  const bool readable = e.ok() || Is(e, "EMSGSIZE") || (IsIcmpError(e) && !self->connected_);
  if (self->closing_ || !readable) {
    if (IsIcmpError(e)) e = Refused(e);
    self->FailRecv(env, op, self->FailureOf(op, e));
  } else {
    int64_t got = -1;
    bool truncated = false;
    SockAddr from;
    // JS ran while the peek waited: if it detached the buffer, fail without receiving (the datagram stays
    // queued for the next receive).
    e = op->PinsDetached(env) ? SysError::Of(kErrBufferDetached) : self->TryRecv(op, &got, &truncated, &from);
    if (!e.ok()) self->FailRecv(env, op, e);
    else if (got >= 0) self->CompleteRecv(env, op, got, truncated, from);  // data wins over a late cancel
    else if (op->cancel_requested) self->FailRecv(env, op, SysError::Of(kErrCancelled));
    else self->Wait(env, op);  // woken without a datagram (a cancelled or consumed one): wait again
  }
  self->OpReturned(env);
  self->Release();
}

void UdpSocket::CancelRecv() {
  if (recv_ == nullptr || s_ == INVALID_SOCKET) return;
  recv_->cancel_requested = true;
  CancelIoEx(reinterpret_cast<HANDLE>(s_), recv_);
}

// ---------------------------------------------------------------------------------------------------------
// Sends

napi_value UdpSocket::Send(napi_env env, BufferList&& bufs, const SockAddr* to, uint32_t id) {
  SysError early;
  if (s_ == INVALID_SOCKET) {
    early = SysError::Of(kErrSocketClosed);
  } else if (sends_.empty() && inline_.available()) {
    // Nothing queued ahead: hand the datagram over now. One the OS takes at once needs neither an
    // operation nor a promise.
    SmallVector<WSABUF, 8> wb;
    AppendDatagramBufs(bufs, &wb);
    DWORD sent = 0;
    if (WSASendTo(s_, wb.data(), static_cast<DWORD>(wb.size()), &sent, 0, to != nullptr ? to->get() : nullptr, to != nullptr ? to->len : 0, nullptr,
                  nullptr) == 0) {
      inline_.Spend();
      return nullptr;
    }
    const int err = WSAGetLastError();
    if (err != WSAEWOULDBLOCK) {
      early = MapOsError(err);
      if (connected_ && IsIcmpError(early)) early = Refused(early);
    }
  }
  auto* op = new SendOp(this, bufs, to);
  napi_value promise = op->Begin(env);
  op->id = id;
  const SockAddr& dest = to != nullptr ? *to : remote_;
  if (dest.len > 0) op->SetErrorAddress(dest.Address(), dest.port());
  if (!early.ok()) {
    op->Reject(env, early);
    delete op;
    return promise;
  }
  op->PinAll(env, bufs);
  sends_.push_back(op);
  if (!send_in_flight_) PostSend(env);
  return promise;
}

void UdpSocket::PostSend(napi_env env) {
  while (!sends_.empty()) {
    SendOp* op = sends_.front();
    if (op->PinsDetached(env)) {
      // JS ran since the datagram was queued and detached its buffer: that memory is not to be sent.
      sends_.pop_front();
      FinishSend(env, op, SysError::Of(kErrBufferDetached));
      continue;
    }
    op->ResetOverlapped();
    DWORD sent = 0;
    const int rc = WSASendTo(s_, op->wsabufs.data(), static_cast<DWORD>(op->wsabufs.size()), &sent, 0, op->dest(),
                             op->to.len, op, nullptr);
    op->taken_at_post = rc == 0;
    if (rc == 0 || WSAGetLastError() == WSA_IO_PENDING) {
      send_in_flight_ = true;
      OpHandedToOs(env);
      return;
    }
    SysError e = LastSocketError();
    if (connected_ && IsIcmpError(e)) e = Refused(e);
    // One datagram refused does not fail the others, unlike a byte stream.
    sends_.pop_front();
    FinishSend(env, op, e);
  }
}

void UdpSocket::FinishSend(napi_env env, SendOp* op, const SysError& err) {
  if (err.ok()) op->ResolveUndefined(env);
  else op->Reject(env, err);
  op->ReleasePins(env);
  delete op;
}

void UdpSocket::RejectQueuedSends(napi_env env, const SysError& err) {
  ForEachTaken(sends_.take_after(send_in_flight_ ? sends_.front() : nullptr),
               [&](SendOp* op) { FinishSend(env, op, err); });
}

void UdpSocket::OnSendDone(IocpOp* base, napi_env env) {
  auto* op = static_cast<SendOp*>(base);
  UdpSocket* self = op->sock;
  self->Retain();
  self->send_in_flight_ = false;
  self->inline_.Refill();
  self->sends_.pop_front();
  SysError e = MapNtStatus(op->status());
  if (self->connected_ && IsIcmpError(e)) e = Refused(e);
  // The kernel read this memory while JS could run: if JS detached it meanwhile, what went out is unknown
  // (and a failure the kernel reported, such as a fault on memory freed since, has that as its cause).
  if (!op->taken_at_post && op->PinsDetached(env)) e = SysError::Of(kErrBufferDetached);
  // A datagram that went out despite a close or cancel is reported as sent: it was.
  self->FinishSend(env, op, e.ok() ? e : self->FailureOf(op, e));
  if (!self->closing_) self->PostSend(env);
  else self->RejectQueuedSends(env, SysError::Of(kErrSocketClosed));
  self->OpReturned(env);
  self->Release();
}

void UdpSocket::CancelSend(napi_env env, uint32_t id) {
  for (SendOp* op = sends_.front(); op != nullptr; op = op->next) {
    if (op->id != id) continue;
    if (op == sends_.front() && send_in_flight_) {
      op->cancel_requested = true;
      CancelIoEx(reinterpret_cast<HANDLE>(s_), op);
    } else {
      sends_.remove(op);
      FinishSend(env, op, SysError::Of(kErrCancelled));
    }
    return;
  }
}

}  // namespace iocpnet
