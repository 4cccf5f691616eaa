#include "tcp_socket.h"

#include <mstcpip.h>

#include <algorithm>

#include "iocp_engine.h"
#include "win_error.h"
#include "winsock.h"
#include "wsabufs.h"

#ifndef SO_REUSE_UNICASTPORT
#define SO_REUSE_UNICASTPORT 0x3007
#endif
#ifndef SIO_TCP_INITIAL_RTO
#define SIO_TCP_INITIAL_RTO _WSAIOW(IOC_VENDOR, 17)
#endif

namespace iocpnet {

namespace {

// Reads report a connection aborted by the peer as a reset, as on Unix (libuv does the same).
SysError ReadError(SysError e) {
  if (e.code != nullptr && std::string(e.code) == "ECONNABORTED") e.code = "ECONNRESET";
  return e;
}

bool IsLoopback(const SockAddr& a) {
  if (a.family() == AF_INET) {
    return (ntohl(reinterpret_cast<const sockaddr_in*>(&a.storage)->sin_addr.s_addr) >> 24) == 127;
  }
  const in6_addr& v6 = reinterpret_cast<const sockaddr_in6*>(&a.storage)->sin6_addr;
  static const in6_addr kLoop = IN6ADDR_LOOPBACK_INIT;
  return std::memcmp(&v6, &kLoop, sizeof v6) == 0;
}

}  // namespace

struct TcpSocket::ConnectOp : IocpOp {
  ConnectOp(TcpSocket* s, const SockAddr& to)
      : IocpOp(s->engine(), "connect", &TcpSocket::OnConnected), sock(s), remote(to) {}
  TcpSocket* sock;
  SockAddr remote;  // the peer, once connected: no getpeername needed
};

// Reads into the caller's buffers, or, with chunk_max > 0 and no buffers, into the engine's scratch
// buffer, to be copied into a fresh Buffer. Either way the kernel holds no buffer while the zero-byte
// receive waits; the non-blocking receives that follow are synchronous. No copy of the buffer list is
// kept (the pins hold the buffers), only their descriptors, trimmed past what was read.
struct TcpSocket::ReadOp : IocpOp {
  ReadOp(TcpSocket* s, const BufferList& b, size_t chunk, uint64_t min)
      : IocpOp(s->engine(), "read", &TcpSocket::OnZeroRead), sock(s), chunk_max(chunk) {
    if (chunk_max > 0) {
      const size_t n = chunk_max < Engine::kReadScratchSize ? chunk_max : Engine::kReadScratchSize;
      fill.push_back(WSABUF{static_cast<ULONG>(n), s->engine()->read_scratch()});
    } else {
      AppendStreamBufs(b, &fill);
    }
    // The scratch buffer is the engine's, shared by every socket: nothing may stay in it across a wait,
    // so a chunk read completes with whatever its first receive brings.
    fill.set_min(chunk_max > 0 ? 1 : min);
  }
  void Complete(napi_env env, int64_t got) {
    if (chunk_max > 0) ResolveChunk(env, engine()->read_scratch(), static_cast<size_t>(got));
    else ResolveNumber(env, static_cast<double>(got));
  }
  // What a read of at least minBytes had received stays in the caller's buffers; the error says how much.
  void Fail(napi_env env, const SysError& e) { Reject(env, e, fill.filled()); }
  TcpSocket* sock;
  size_t chunk_max;
  StreamFill<WSABUF> fill;  // the caller's buffers, or the scratch buffer for a chunk read
};

struct TcpSocket::WriteOp : IocpOp {
  WriteOp(TcpSocket* s, const BufferList& b) : IocpOp(s->engine(), "write", &TcpSocket::OnWriteDone), sock(s) {
    AppendStreamBufs(b, &data);
  }
  TcpSocket* sock;
  GatherList<WSABUF> data;
  WriteOp* next = nullptr;  // the socket's queue
  // The last WSASend returned success at once: the kernel had taken the bytes before JS could run again,
  // so a detach after that cannot have changed what was sent.
  bool taken_at_post = false;
};

// ---------------------------------------------------------------------------------------------------------
// Life

TcpSocket* TcpSocket::Create(Engine* engine, int af, SysError* err) {
  SOCKET s = CreateEngineSocket(IocpEngine::Of(engine), af, SOCK_STREAM, IPPROTO_TCP, err);
  if (s == INVALID_SOCKET) return nullptr;
  return new TcpSocket(engine, s, af);
}

TcpSocket* TcpSocket::Adopt(Engine* engine, SOCKET s, int af) {
  auto* t = new TcpSocket(engine, s, af);
  return t;
}

TcpSocket::~TcpSocket() { CloseOsSocket(); }

void TcpSocket::CloseOsSocket() {
  closing_ = true;
  CancelAndCloseSocket(&s_);
}

void TcpSocket::CloseForTeardown() {
  CloseOsSocket();
  // Queued writes never reached the kernel and nobody can await them any more. Their buffer references
  // belong to the environment being torn down, which frees them itself.
  ForEachTaken(writes_.take_after(write_in_flight_ ? writes_.front() : nullptr), [](WriteOp* op) { delete op; });
  delete pending_shutdown_;
  pending_shutdown_ = nullptr;
}

napi_value TcpSocket::Close(napi_env env) {
  CloseOsSocket();
  // Writes still queued behind the one in flight never reached the kernel: settle them now.
  ForEachTaken(writes_.take_after(write_in_flight_ ? writes_.front() : nullptr),
               [&](WriteOp* op) { FinishWrite(env, op, SysError::Of(kErrSocketClosed)); });
  if (pending_shutdown_ != nullptr) {
    pending_shutdown_->Reject(env, SysError::Of(kErrSocketClosed));
    delete pending_shutdown_;
    pending_shutdown_ = nullptr;
  }
  return BeginClose(env);
}

SysError TcpSocket::FailureOf(const Op* op, const SysError& os) const {
  if (closing_) return SysError::Of(kErrSocketClosed, os.native);
  if (op->cancel_requested) return SysError::Of(kErrCancelled, os.native);
  return os;
}

// ---------------------------------------------------------------------------------------------------------
// Connect

napi_value TcpSocket::Connect(napi_env env, const SockAddr& remote, const SockAddr* local) {
  auto* op = new ConnectOp(this, remote);
  napi_value promise = op->Begin(env);
  op->SetErrorAddress(remote.Address(), remote.port());
  auto fail = [&](const SysError& e) {
    op->Reject(env, e);
    delete op;
    return promise;
  };
  if (connect_ != nullptr) return fail(SysError::Of("EALREADY"));
  if (shut_down_) return fail(SysError::Of("EISCONN"));

  // ConnectEx needs a bound socket of the destination's family: the caller's local address, or the
  // wildcard of that family. With port 0, SO_REUSE_UNICASTPORT defers the port choice to connect time so
  // outbound connections do not exhaust the ephemeral range (Windows 10+; ignored where unsupported).
  SockAddr bind_to = local != nullptr ? *local : SockAddr::Any(af_);
  if (bind_to.port() == 0) SetOptionQuietly(s_, SOL_SOCKET, SO_REUSE_UNICASTPORT, 1);
  if (::bind(s_, bind_to.get(), bind_to.len) != 0) {
    SysError e = LastSocketError();
    op->SetErrorAddress(bind_to.Address(), bind_to.port());
    op->Reject(env, e);  // reported as connect; the address says which end
    delete op;
    return promise;
  }
  if (IsLoopback(remote)) {
    // A refused loopback connect fails at once instead of after ~2 s of SYN retries (libuv #2896). The
    // values are the ones libuv ships on Windows 10 1709+: no SYN retransmission, and Rtt set to the same
    // constant (it only matters if a loopback SYN were lost, which then is not retried anyway). Wine
    // answers WSAEOPNOTSUPP, so only real Windows exercises this; the result is ignored, as in libuv.
    TCP_INITIAL_RTO_PARAMETERS rto{};
    rto.Rtt = TCP_INITIAL_RTO_NO_SYN_RETRANSMISSIONS;
    rto.MaxSynRetransmissions = TCP_INITIAL_RTO_NO_SYN_RETRANSMISSIONS;
    DWORD bytes = 0;
    WSAIoctl(s_, SIO_TCP_INITIAL_RTO, &rto, sizeof rto, nullptr, 0, &bytes, nullptr, nullptr);
  }
  LPFN_CONNECTEX connect_ex = nullptr;
  GUID guid = WSAID_CONNECTEX;
  if (!LoadExtension(s_, guid, &connect_ex, sizeof connect_ex)) return fail(LastSocketError());
  if (!connect_ex(s_, remote.get(), remote.len, nullptr, 0, nullptr, op)) {
    const int e = WSAGetLastError();
    if (e != ERROR_IO_PENDING) return fail(MapOsError(e));
  }
  connect_ = op;
  OpHandedToOs(env);
  return promise;
}

void TcpSocket::CancelConnect() {
  if (connect_ == nullptr || s_ == INVALID_SOCKET) return;
  connect_->cancel_requested = true;
  CancelIoEx(reinterpret_cast<HANDLE>(s_), connect_);
}

void TcpSocket::OnConnected(IocpOp* base, napi_env env) {
  auto* op = static_cast<ConnectOp*>(base);
  TcpSocket* self = op->sock;
  self->connect_ = nullptr;
  SysError e = MapNtStatus(op->status());
  if (e.ok() && self->closing_) e = SysError::Of(kErrSocketClosed);
  if (e.ok()) {
    // Makes getsockname/getpeername/shutdown work on the socket (required after ConnectEx).
    if (setsockopt(self->s_, SOL_SOCKET, SO_UPDATE_CONNECT_CONTEXT, nullptr, 0) != 0) e = LastSocketError();
  }
  // Both ends, recorded now: JS asks only when someone reads them, maybe after close(), when the socket is
  // gone. The peer is the address connected to. Asking getpeername instead fails with WSAENOTCONN when the
  // peer reset the connection before this completion ran (a server that closes at once does), and the
  // connect would then report ENOTCONN for a connection that was made; the reset is the first read's to
  // report, as on Linux.
  if (e.ok()) {
    SockAddr local;
    e = SocketName(self->s_, &local);
    if (e.ok()) self->SetKnownAddresses(local, op->remote);
  }
  if (e.ok()) {
    op->ResolveUndefined(env);
  } else {
    op->Reject(env, self->FailureOf(op, e));
  }
  delete op;
  self->OpReturned(env);
}

// ---------------------------------------------------------------------------------------------------------
// Reads

SysError TcpSocket::TryRecv(ReadOp* op, int64_t* got) {
  return op->fill.Fill([this](const WSABUF* b, size_t n, int64_t* r) { return RecvOnce(b, n, r); }, got);
}

SysError TcpSocket::RecvOnce(const WSABUF* bufs, size_t count, int64_t* got) {
  DWORD bytes = 0;
  DWORD flags = 0;
  if (WSARecv(s_, const_cast<WSABUF*>(bufs), WsaBufCount(count), &bytes, &flags, nullptr, nullptr) == 0) {
    // End of stream, unless a write met the reset that cut it (Wine, like Linux, reports it only once).
    const SysError broken = bytes == 0 ? fault_.AtEnd() : SysError::Ok();
    if (broken.ok()) *got = bytes;
    return ReadError(broken);
  }
  const int e = WSAGetLastError();
  if (e == WSAEWOULDBLOCK) return SysError::Ok();
  return ReadError(fault_.Note(MapOsError(e)));
}

SysError TcpSocket::ReadNow(const BufferList& bufs, int64_t* got) {
  *got = -1;
  if (read_ != nullptr) return SysError::Ok();
  return inline_.Try([&](int64_t* r) {
    SmallVector<WSABUF, 8> wsa;
    AppendStreamBufs(bufs, &wsa);
    return RecvOnce(wsa.data(), wsa.size(), r);
  }, got);
}

napi_value TcpSocket::Read(napi_env env, BufferList&& bufs, size_t chunk_max, uint64_t min, bool just_tried) {
  auto* op = new ReadOp(this, bufs, chunk_max, min);
  napi_value promise = op->Begin(env);
  if (read_ != nullptr) {
    op->Reject(env, SysError::Of(kErrInvalidState));
    delete op;
    return promise;
  }
  // Data already there: complete at once, no kernel round trip (while the budget lasts; then the
  // zero-byte read below completes through the port at once).
  if (!just_tried && inline_.TryRead(env, op, [&](int64_t* got) { return TryRecv(op, got); })) return promise;
  op->PinAll(env, bufs);
  read_ = op;
  PostZeroRead(env, op);
  return promise;
}

void TcpSocket::PostZeroRead(napi_env env, ReadOp* op) {
  // A zero-byte receive completes when data (or FIN, or an error) arrives and locks no buffer meanwhile.
  op->ResetOverlapped();
  WSABUF none{0, nullptr};
  DWORD bytes = 0;
  DWORD flags = 0;
  if (WSARecv(s_, &none, 1, &bytes, &flags, op, nullptr) == 0 || WSAGetLastError() == WSA_IO_PENDING) {
    OpHandedToOs(env);
    return;
  }
  const SysError e = ReadError(fault_.Note(LastSocketError()));
  read_ = nullptr;
  op->Fail(env, e);
  op->ReleasePins(env);
  delete op;
}

void TcpSocket::OnZeroRead(IocpOp* base, napi_env env) {
  auto* op = static_cast<ReadOp*>(base);
  TcpSocket* self = op->sock;
  self->Retain();  // OpReturned below may drop the last reference; keep self valid until then
  self->OpReturned(env);
  self->inline_.Refill();
  SysError e = ReadError(self->fault_.Note(MapNtStatus(op->status())));
  if (!e.ok() || self->closing_) {
    self->read_ = nullptr;
    op->Fail(env, self->FailureOf(op, e));
    op->ReleasePins(env);
    delete op;
    self->Release();
    return;
  }
  int64_t got = -1;
  // JS ran while the zero-byte receive waited: if it detached the buffer, the memory may be gone. Fail the
  // read without receiving, so the data stays queued for the next one.
  e = op->PinsDetached(env) ? SysError::Of(kErrBufferDetached) : self->TryRecv(op, &got);
  if (e.ok() && got < 0 && !op->cancel_requested) {
    self->PostZeroRead(env, op);  // not enough yet, or woken without data: wait again
    self->Release();
    return;
  }
  self->read_ = nullptr;
  if (!e.ok()) op->Fail(env, e);
  else if (got < 0) op->Fail(env, SysError::Of(kErrCancelled));
  else op->Complete(env, got);  // data wins over a late cancel: nothing is lost
  op->ReleasePins(env);
  delete op;
  self->Release();
}

void TcpSocket::CancelRead() {
  if (read_ == nullptr || s_ == INVALID_SOCKET) return;
  read_->cancel_requested = true;
  CancelIoEx(reinterpret_cast<HANDLE>(s_), read_);
}

// ---------------------------------------------------------------------------------------------------------
// Writes

napi_value TcpSocket::Write(napi_env env, BufferList&& bufs, uint32_t id) {
  SysError early;
  DWORD sent = 0;
  if (shut_down_ || pending_shutdown_ != nullptr) {
    early = SysError::Of("EPIPE");
  } else if (writes_.empty() && inline_.available()) {
    // Nothing queued ahead: hand everything to the kernel now, without blocking. A write it takes whole
    // needs neither an operation object nor a promise: JS receives undefined and returns its shared
    // resolved promise (as on Linux).
    SmallVector<WSABUF, 8> wb;
    AppendStreamBufs(bufs, &wb);
    uint64_t total = 0;
    for (const WSABUF& w : wb) total += w.len;
    if (total == 0) return nullptr;
    // At most kMaxWsaBufs now; what is left of a longer list goes on through PostWrite.
    if (WSASend(s_, wb.data(), WsaBufCount(wb.size()), &sent, 0, nullptr, nullptr) != 0) {
      const int e = WSAGetLastError();
      if (e != WSAEWOULDBLOCK) early = fault_.Note(MapOsError(e));
      sent = 0;
    }
    if (early.ok() && sent == total) {
      inline_.Spend();
      return nullptr;
    }
  }
  auto* op = new WriteOp(this, bufs);
  napi_value promise = op->Begin(env);
  op->id = id;
  if (!early.ok()) {
    op->Reject(env, early);
    delete op;
    return promise;
  }
  op->data.Advance(sent);  // only the remainder waits
  op->PinAll(env, bufs);
  writes_.push_back(op);
  if (!write_in_flight_) PostWrite(env);
  return promise;
}

void TcpSocket::PostWrite(napi_env env) {
  // JS ran since these writes were queued. One whose buffer it detached fails before that memory is handed
  // to the kernel, and so do the writes behind it: they would follow a hole in the stream.
  ForEachTaken(writes_.take_from_first([env](WriteOp* w) { return w->PinsDetached(env); }),
               [&](WriteOp* w) { FinishWrite(env, w, SysError::Of(kErrBufferDetached)); });
  // Empty writes that waited behind others finish in their turn, without a WSASend of no buffers.
  while (!writes_.empty() && writes_.front()->data.remaining() == 0) FinishWrite(env, writes_.pop_front(), SysError::Ok());
  if (writes_.empty()) {
    MaybeShutdownAfterWrites(env);
    return;
  }
  WriteOp* op = writes_.front();
  op->ResetOverlapped();
  DWORD sent = 0;
  const DWORD n = WsaBufCount(op->data.pending_count());  // the rest: next post
  const int rc = WSASend(s_, op->data.pending(), n, &sent, 0, op, nullptr);
  op->taken_at_post = rc == 0;
  if (rc == 0 || WSAGetLastError() == WSA_IO_PENDING) {
    write_in_flight_ = true;
    OpHandedToOs(env);
    return;
  }
  FailQueuedWrites(env, fault_.Note(LastSocketError()));
}

void TcpSocket::FinishWrite(napi_env env, WriteOp* op, const SysError& err) {
  if (err.ok()) op->ResolveUndefined(env);
  else op->Reject(env, err);
  op->ReleasePins(env);
  delete op;
}

void TcpSocket::FailQueuedWrites(napi_env env, const SysError& err) {
  while (!writes_.empty()) FinishWrite(env, writes_.pop_front(), err);
  if (pending_shutdown_ != nullptr) {
    pending_shutdown_->Reject(env, err);
    delete pending_shutdown_;
    pending_shutdown_ = nullptr;
  }
}

void TcpSocket::OnWriteDone(IocpOp* base, napi_env env) {
  auto* op = static_cast<WriteOp*>(base);
  TcpSocket* self = op->sock;
  self->Retain();
  self->write_in_flight_ = false;
  self->OpReturned(env);
  self->inline_.Refill();
  SysError e = self->fault_.Note(MapNtStatus(op->status()));
  // The kernel read this memory while JS could run: if JS detached it meanwhile, what went out is unknown
  // (and a failure the kernel reported, such as a fault on memory freed since, has that as its cause).
  if (!op->taken_at_post && op->PinsDetached(env)) e = SysError::Of(kErrBufferDetached);
  if (e.ok() && !self->closing_) op->data.Advance(op->bytes());
  if (!e.ok() || self->closing_) {
    self->writes_.pop_front();
    const bool cancelled_alone = !self->closing_ && op->cancel_requested;
    self->FinishWrite(env, op, self->FailureOf(op, e));
    if (self->closing_) {
      self->FailQueuedWrites(env, SysError::Of(kErrSocketClosed));
    } else if (!cancelled_alone) {
      self->FailQueuedWrites(env, e);  // the stream is broken: later writes cannot succeed
    } else if (!self->writes_.empty()) {
      self->PostWrite(env);
    }
  } else if (op->data.remaining() > 0) {
    self->PostWrite(env);  // partial completion: continue with the rest
  } else {
    self->writes_.pop_front();
    self->FinishWrite(env, op, SysError::Ok());
    if (!self->writes_.empty()) self->PostWrite(env);
    else self->MaybeShutdownAfterWrites(env);
  }
  self->Release();
}

void TcpSocket::CancelWrite(napi_env env, uint32_t id) {
  for (WriteOp* op = writes_.front(); op != nullptr; op = op->next) {
    if (op->id != id) continue;
    if (op == writes_.front() && write_in_flight_) {
      op->cancel_requested = true;
      CancelIoEx(reinterpret_cast<HANDLE>(s_), op);
    } else {
      writes_.remove(op);
      FinishWrite(env, op, SysError::Of(kErrCancelled));
      MaybeShutdownAfterWrites(env);
    }
    return;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Shutdown and options

napi_value TcpSocket::Shutdown(napi_env env) {
  auto* op = new Op(engine_, "shutdown");
  napi_value promise = op->Begin(env);
  if (shut_down_ || pending_shutdown_ != nullptr) {
    op->ResolveUndefined(env);  // idempotent
    delete op;
    return promise;
  }
  pending_shutdown_ = op;
  MaybeShutdownAfterWrites(env);
  return promise;
}

void TcpSocket::MaybeShutdownAfterWrites(napi_env env) {
  // The FIN goes out only after every queued write has been handed to the kernel.
  if (pending_shutdown_ == nullptr || !writes_.empty()) return;
  Op* op = pending_shutdown_;
  pending_shutdown_ = nullptr;
  shut_down_ = true;
  if (::shutdown(s_, SD_SEND) != 0) op->Reject(env, fault_.Note(LastSocketError()));
  else op->ResolveUndefined(env);
  delete op;
}

SysError TcpSocket::SetNoDelay(bool on) {
  BOOL v = on ? TRUE : FALSE;
  if (setsockopt(s_, IPPROTO_TCP, TCP_NODELAY, reinterpret_cast<const char*>(&v), sizeof v) != 0)
    return LastSocketError();
  return SysError::Ok();
}

SysError TcpSocket::SetKeepAlive(bool on, uint32_t delay_ms) {
  // SIO_KEEPALIVE_VALS sets the idle time and interval in one call, on every Windows version (and Wine).
  tcp_keepalive ka{};
  ka.onoff = on ? 1 : 0;
  ka.keepalivetime = delay_ms > 0 ? delay_ms : 7200000;
  ka.keepaliveinterval = 1000;
  DWORD bytes = 0;
  if (WSAIoctl(s_, SIO_KEEPALIVE_VALS, &ka, sizeof ka, nullptr, 0, &bytes, nullptr, nullptr) != 0)
    return LastSocketError();
  return SysError::Ok();
}

SysError TcpSocket::SetBufferSize(bool send, int size) {
  if (setsockopt(s_, SOL_SOCKET, send ? SO_SNDBUF : SO_RCVBUF, reinterpret_cast<const char*>(&size), sizeof size) != 0)
    return LastSocketError();
  return SysError::Ok();
}

SysError TcpSocket::LocalAddress(SockAddr* out) const {
  if (known_local_.len > 0) {
    *out = known_local_;
    return SysError::Ok();
  }
  return SocketName(s_, out);
}

SysError TcpSocket::RemoteAddress(SockAddr* out) const {
  if (known_remote_.len > 0) {
    *out = known_remote_;
    return SysError::Ok();
  }
  return PeerName(s_, out);
}

}  // namespace iocpnet
