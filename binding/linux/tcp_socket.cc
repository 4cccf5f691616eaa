#include "tcp_socket.h"

#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>

#include "fd_util.h"
#include "iovecs.h"

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24  // Linux 4.2; older glibc headers lack the name
#endif

namespace iocpnet {

namespace {

constexpr uint32_t kSocketEvents = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;

// Reads report a connection aborted by the peer as a reset, as the Windows backend does.
SysError ReadError(SysError e) {
  if (e.code != nullptr && std::string(e.code) == "ECONNABORTED") e.code = "ECONNRESET";
  return e;
}

bool WouldBlock(int e) { return e == EAGAIN || e == EWOULDBLOCK; }

}  // namespace

// Reads into the caller's buffers, or, with chunk_max > 0 and no buffers, into the engine's scratch
// buffer, to be copied into a fresh Buffer: such a read pins nothing while it waits. It is what every idle
// connection holds, so it keeps no copy of the buffer list (the pins hold the buffers), only their
// descriptors, trimmed past what was read.
struct TcpSocket::ReadOp : Op {
  ReadOp(Engine* e, const BufferList& bufs, size_t chunk, uint64_t min)
      : Op(e, "read"), chunk_max(static_cast<uint32_t>(std::min(chunk, Engine::kReadScratchSize))) {
    if (chunk_max > 0) fill.push_back(iovec{e->read_scratch(), chunk_max});
    else AppendIovecs(bufs, &fill);
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
  StreamFill<iovec> fill;  // the caller's buffers, or the scratch buffer for a chunk read
  uint32_t chunk_max;  // a chunk read's limit, at most the scratch buffer; 0 for the caller's buffers
};

struct TcpSocket::WriteOp : Op {
  WriteOp(Engine* e, const BufferList& b) : Op(e, "write") { AppendIovecs(b, &data); }
  GatherList<iovec> data;
  WriteOp* next = nullptr;  // the socket's queue
};

// ---------------------------------------------------------------------------------------------------------
// Life

TcpSocket* TcpSocket::Create(Engine* engine, int af, SysError* err) {
  const int fd = OpenSocket(af, SOCK_STREAM, IPPROTO_TCP, err);
  if (fd < 0) return nullptr;
  // Watched only once connect() has started: an unconnected socket reports EPOLLOUT|EPOLLHUP, which would
  // read as a finished connect.
  return new TcpSocket(engine, fd, af);
}

TcpSocket* TcpSocket::Adopt(Engine* engine, int fd, int af, const SockAddr& local, const SockAddr& remote,
                            SysError* err) {
  auto* t = new TcpSocket(engine, fd, af);
  t->connected_ = true;
  t->local_ = local;
  t->remote_ = remote;
  *err = t->Watch(kSocketEvents);
  if (!err->ok()) {
    t->CloseOsSocket();
    t->Release();
    return nullptr;
  }
  return t;
}

napi_value TcpSocket::Close(napi_env env) {
  CloseOsSocket();
  // Nothing is in the kernel's hands: queued operations only wait for readiness, so they settle now and
  // the close promise can resolve at once.
  FailAll(env, SysError::Of(kErrSocketClosed));
  return BeginClose(env);
}

void TcpSocket::FailAll(napi_env env, const SysError& err) {
  if (connect_ != nullptr) {
    Op* op = connect_;
    connect_ = nullptr;
    op->Reject(env, err);
    delete op;
    OpReturned(env);
  }
  if (read_ != nullptr) {
    ReadOp* op = read_;
    read_ = nullptr;
    op->Fail(env, err);
    op->ReleasePins(env);
    delete op;
    OpReturned(env);
  }
  FailQueuedWrites(env, err);
}

SysError TcpSocket::FailureOf(const Op* op, const SysError& os) const {
  if (closing_) return SysError::Of(kErrSocketClosed, os.native);
  if (op->cancel_requested) return SysError::Of(kErrCancelled, os.native);
  return os;
}

void TcpSocket::OnReady(napi_env env, uint32_t events) {
  if (fd_ < 0) return;
  inline_.Refill();
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP)) readable_ = true;
  if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) writable_ = true;
  if (connect_ != nullptr) ContinueConnect(env);
  if (read_ != nullptr && fd_ >= 0) ContinueRead(env);
  if (!writes_.empty() && fd_ >= 0) Flush(env);
}

// ---------------------------------------------------------------------------------------------------------
// Connect

napi_value TcpSocket::Connect(napi_env env, const SockAddr& remote, const SockAddr* local) {
  auto* op = new Op(engine_, "connect");
  napi_value promise = op->Begin(env);
  op->SetErrorAddress(remote.Address(), remote.port());
  auto fail = [&](const SysError& e) {
    op->Reject(env, e);
    delete op;
    return promise;
  };
  if (fd_ < 0) return fail(SysError::Of(kErrSocketClosed));
  if (connect_ != nullptr) return fail(SysError::Of("EALREADY"));
  if (connected_ || shut_down_) return fail(SysError::Of("EISCONN"));

  if (local != nullptr) {
    // With port 0 the kernel would pick a port at bind() time, not knowing the destination, and outbound
    // connections would exhaust the ephemeral range; this defers the choice to connect() (Linux 4.2+).
    if (local->port() == 0) SetOptionQuietly(fd_, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1);
    if (::bind(fd_, local->get(), local->len) != 0) {
      const SysError e = LastError();
      op->SetErrorAddress(local->Address(), local->port());  // reported as connect; the address says which end
      return fail(e);
    }
  }
  const int rc = ::connect(fd_, remote.get(), remote.len);
  // An interrupted connect goes on in the background, exactly as EINPROGRESS (POSIX): never re-issue it.
  const bool pending = rc != 0 && (errno == EINPROGRESS || errno == EINTR);
  if (rc != 0 && !pending) return fail(LastError());
  const SysError w = Watch(kSocketEvents);
  if (!w.ok()) return fail(w);
  remote_ = remote;
  if (!pending) {
    const SysError e = RecordLocalAddress();
    if (!e.ok()) return fail(e);
    connected_ = true;
    op->ResolveUndefined(env);
    delete op;
    return promise;
  }
  connect_ = op;
  OpHandedToOs(env);
  return promise;
}

void TcpSocket::CancelConnect() {
  if (connect_ == nullptr) return;
  connect_->cancel_requested = true;
  Kick();
}

void TcpSocket::ContinueConnect(napi_env env) {
  Op* op = connect_;
  int so_error = 0;
  socklen_t len = sizeof so_error;
  if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &so_error, &len) != 0) so_error = errno;
  SysError e = MapOsError(so_error);
  if (e.ok()) {
    // No error is not yet success: the event may be a kick or stale. A peer name proves the handshake is
    // done; a connect that finished despite a cancel request keeps its result, as on Windows.
    sockaddr_storage peer;
    socklen_t plen = sizeof peer;
    if (getpeername(fd_, reinterpret_cast<sockaddr*>(&peer), &plen) != 0) {
      if (errno != ENOTCONN) e = LastError();
      else if (op->cancel_requested) e = SysError::Of(kErrCancelled);
      else return;  // still in progress: wait for the next event
    }
  }
  if (e.ok()) e = RecordLocalAddress();
  connect_ = nullptr;
  if (e.ok()) {
    connected_ = true;
    op->ResolveUndefined(env);
  } else {
    op->Reject(env, FailureOf(op, e));
    remote_ = SockAddr();
    local_ = SockAddr();
  }
  delete op;
  OpReturned(env);
}

// ---------------------------------------------------------------------------------------------------------
// Reads

SysError TcpSocket::TryRecv(ReadOp* op, int64_t* got) {
  return op->fill.Fill([this](const iovec* iov, size_t count, int64_t* r) { return RecvOnce(iov, count, r); }, got);
}

SysError TcpSocket::RecvOnce(const iovec* iov, size_t count, int64_t* got) {
  const int n = static_cast<int>(std::min(count, kMaxIov));
  for (;;) {
    // One buffer (the common case) goes through recv(): readv takes the VFS path and copies the vector in
    // first, which perf put at twice recv()'s kernel time per 64-byte read.
    const ssize_t r = n == 1 ? ::recv(fd_, iov[0].iov_base, iov[0].iov_len, 0) : ::readv(fd_, iov, n);
    if (r == 0) {
      // End of stream, unless a write met the reset that cut it (and with it the one error Linux reports).
      const SysError broken = fault_.AtEnd();
      if (!broken.ok()) return ReadError(broken);
    }
    if (r >= 0) {
      *got = r;
      // readable_ stays set after a short read too, so the next read tries recv() at once and waits for
      // an edge only after EAGAIN (Asio's speculative read). Clearing it after a short read, as libuv's
      // UV_HANDLE_READ_PARTIAL does, saves a recv() that fails when the peer is slow; but under load a
      // socket's next read() comes after the other sockets of the batch were served, by when the peer's
      // next message has often arrived, and waiting for its edge sends it through another epoll_wait.
      // Measured against the C load generator at 1,000 connections, the echo server made ~212k round
      // trips/s speculating and ~172k waiting, ~+2% at 100 connections, and no difference at one
      // (latency-bound there).
      return SysError::Ok();
    }
    if (errno == EINTR) continue;
    if (WouldBlock(errno)) {
      readable_ = false;
      return SysError::Ok();
    }
    return ReadError(fault_.Note(LastError()));
  }
}

void TcpSocket::SetLowWater(const ReadOp* op) {
  // The kernel caps the mark at half its largest receive buffer (tcp_rmem[2]) and wakes readers anyway
  // when the window runs low, so a large one cannot stall the connection.
  const int want = static_cast<int>(std::min<uint64_t>(op->fill.missing(), INT_MAX / 2));
  // Lowered whenever it is above what the read lacks: the read would wait for bytes it does not need, and
  // forever if the peer waits for an answer. Raised only when below half of it: a mark a little low costs
  // one more wake-up, where a setsockopt for every read that waits would cost a system call each.
  if (want >= lowat_ && want / 2 <= lowat_) return;
  // Cannot fail on an open TCP socket (EINVAL is for negative values only).
  if (SetIntOption(fd_, SOL_SOCKET, SO_RCVLOWAT, want).ok()) lowat_ = want;
}

SysError TcpSocket::ReadNow(const BufferList& bufs, int64_t* got) {
  *got = -1;
  if (read_ != nullptr || fd_ < 0 || !readable_) return SysError::Ok();
  return inline_.Try([&](int64_t* r) {
    SmallVector<iovec, 8> vec;
    AppendIovecs(bufs, &vec);
    return RecvOnce(vec.data(), vec.size(), r);  // EAGAIN clears readable_: Read() then waits
  }, got);
}

napi_value TcpSocket::Read(napi_env env, BufferList&& bufs, size_t chunk_max, uint64_t min, bool just_tried) {
  auto* op = new ReadOp(engine_, bufs, chunk_max, min);
  napi_value promise = op->Begin(env);
  SysError early;
  if (read_ != nullptr) early = SysError::Of(kErrInvalidState);
  else if (fd_ < 0) early = SysError::Of(kErrSocketClosed);
  if (!early.ok()) {
    op->Reject(env, early);
    delete op;
    return promise;
  }
  // Data (or FIN, or an error) already there: complete at once, no wait.
  if (readable_ && !just_tried && inline_.TryRead(env, op, [&](int64_t* got) { return TryRecv(op, got); })) {
    return promise;
  }
  op->PinAll(env, bufs);
  read_ = op;
  OpHandedToOs(env);
  if (readable_) Kick();  // the budget is used up, not the data: go on from the engine's next dispatch
  else SetLowWater(op);
  return promise;
}

void TcpSocket::ContinueRead(napi_env env) {
  ReadOp* op = read_;
  // A cancel request reads once more whatever the flag says: data that arrived wins over the cancel.
  if (!readable_ && !op->cancel_requested) return;
  int64_t got = -1;
  // JS ran since the read was queued: if it detached the buffer, the memory may be gone. Fail the read
  // without receiving, so the data stays queued for the next one.
  const SysError e = op->PinsDetached(env) ? SysError::Of(kErrBufferDetached) : TryRecv(op, &got);
  if (e.ok() && got < 0 && !op->cancel_requested) {
    SetLowWater(op);  // not enough yet, or a stale event: wait again
    return;
  }
  read_ = nullptr;
  if (!e.ok()) op->Fail(env, e);
  else if (got < 0) op->Fail(env, SysError::Of(kErrCancelled));
  else op->Complete(env, got);
  op->ReleasePins(env);
  delete op;
  OpReturned(env);
}

void TcpSocket::CancelRead() {
  if (read_ == nullptr) return;
  read_->cancel_requested = true;
  Kick();
}

// ---------------------------------------------------------------------------------------------------------
// Writes

SysError TcpSocket::SendNow(const BufferList& bufs, size_t* sent) {
  *sent = 0;
  SmallVector<iovec, 8> vec;
  AppendIovecs(bufs, &vec);
  // The kernel takes at most kMaxIov buffers per call, so a longer list goes out in several. Only a call
  // that takes less than it was offered says the socket buffer is full; taking a whole first part of the
  // list does not, and waiting for EPOLLOUT then would wait for an edge that never comes.
  for (size_t first = 0; first < vec.size();) {
    iovec* iov = vec.data() + first;
    const size_t count = std::min(vec.size() - first, kMaxIov);
    size_t offered = 0;
    for (size_t i = 0; i < count; i++) offered += iov[i].iov_len;
    ssize_t n;
    if (count == 1) {
      n = ::send(fd_, iov[0].iov_base, iov[0].iov_len, MSG_NOSIGNAL);
    } else {
      msghdr msg{};
      msg.msg_iov = iov;
      msg.msg_iovlen = count;
      n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);  // EPIPE, not SIGPIPE, when the peer is gone
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (!WouldBlock(errno)) return fault_.Note(LastError());
      writable_ = false;
      return SysError::Ok();
    }
    *sent += static_cast<size_t>(n);
    if (static_cast<size_t>(n) < offered) {
      // A short send means the buffer is full: the rest waits for EPOLLOUT rather than a failing retry.
      writable_ = false;
      return SysError::Ok();
    }
    first += count;
  }
  return SysError::Ok();
}

napi_value TcpSocket::Write(napi_env env, BufferList&& bufs, uint32_t id) {
  size_t total = 0;
  for (const BufferRef& b : bufs) total += b.length;
  SysError early;
  size_t sent = 0;
  if (fd_ < 0) {
    early = SysError::Of(kErrSocketClosed);
  } else if (shut_down_ || pending_shutdown_ != nullptr) {
    early = SysError::Of("EPIPE");
  } else if (writes_.empty()) {
    // Nothing queued ahead: hand everything to the kernel now. A write it takes whole needs neither an
    // operation object nor a promise: JS receives undefined and returns its shared resolved promise.
    if (total == 0) return nullptr;
    if (writable_ && inline_.available()) {
      early = SendNow(bufs, &sent);
      if (early.ok() && sent == total) {
        inline_.Spend();
        return nullptr;
      }
    }
  }
  auto* op = new WriteOp(engine_, bufs);
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
  OpHandedToOs(env);
  if (writable_ && writes_.front() == op) Kick();  // not sent for want of budget: send from the next dispatch
  return promise;
}

void TcpSocket::Flush(napi_env env) {
  // JS ran since these writes were queued. One whose buffer it detached fails before that memory is read,
  // and so do the writes behind it: they would follow a hole in the stream.
  ForEachTaken(writes_.take_from_first([env](WriteOp* w) { return w->PinsDetached(env); }),
               [&](WriteOp* w) { FinishWrite(env, w, SysError::Of(kErrBufferDetached)); });
  std::vector<iovec>& gather = epoll()->gather_scratch();
  while (!writes_.empty() && writable_) {
    // Gather the queue (in order, up to the kernel's vector limit) into one sendmsg.
    gather.clear();
    for (WriteOp* w = writes_.front(); w != nullptr && gather.size() < kMaxIov; w = w->next) {
      const iovec* pending = w->data.pending();
      for (size_t i = 0; i < w->data.pending_count() && gather.size() < kMaxIov; i++) gather.push_back(pending[i]);
    }
    ssize_t n = 0;
    if (!gather.empty()) {
      msghdr msg{};
      msg.msg_iov = gather.data();
      msg.msg_iovlen = gather.size();
      n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (WouldBlock(errno)) {
          writable_ = false;
          return;
        }
        FailQueuedWrites(env, fault_.Note(LastError()));  // the stream is broken: later writes cannot succeed
        return;
      }
    }
    size_t left = static_cast<size_t>(n);
    while (!writes_.empty()) {
      WriteOp* w = writes_.front();
      const size_t take = std::min<uint64_t>(left, w->data.remaining());
      w->data.Advance(take);
      left -= take;
      if (w->data.remaining() > 0) break;
      FinishWrite(env, writes_.pop_front(), SysError::Ok());
    }
  }
  MaybeShutdownAfterWrites(env);
}

void TcpSocket::FinishWrite(napi_env env, WriteOp* op, const SysError& err) {
  if (err.ok()) op->ResolveUndefined(env);
  else op->Reject(env, err);
  op->ReleasePins(env);
  delete op;
  OpReturned(env);
}

void TcpSocket::FailQueuedWrites(napi_env env, const SysError& err) {
  while (!writes_.empty()) FinishWrite(env, writes_.pop_front(), err);
  if (pending_shutdown_ != nullptr) {
    pending_shutdown_->Reject(env, err);
    delete pending_shutdown_;
    pending_shutdown_ = nullptr;
  }
}

void TcpSocket::CancelWrite(napi_env env, uint32_t id) {
  // The queue only waits for buffer space, so any queued write can be taken out at once. One that has
  // started leaves its tail unsent: the stream is then in an unknown state, as the JS API documents.
  for (WriteOp* op = writes_.front(); op != nullptr; op = op->next) {
    if (op->id != id) continue;
    writes_.remove(op);
    FinishWrite(env, op, SysError::Of(kErrCancelled));
    MaybeShutdownAfterWrites(env);
    return;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Shutdown and options

napi_value TcpSocket::Shutdown(napi_env env) {
  auto* op = new Op(engine_, "shutdown");
  napi_value promise = op->Begin(env);
  if (fd_ < 0) {
    op->Reject(env, SysError::Of(kErrSocketClosed));
    delete op;
    return promise;
  }
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
  if (::shutdown(fd_, SHUT_WR) != 0) op->Reject(env, fault_.Note(LastError()));
  else op->ResolveUndefined(env);
  delete op;
}

SysError TcpSocket::SetNoDelay(bool on) { return SetIntOption(fd_, IPPROTO_TCP, TCP_NODELAY, on ? 1 : 0); }

SysError TcpSocket::SetKeepAlive(bool on, uint32_t delay_ms) {
  SysError e = SetIntOption(fd_, SOL_SOCKET, SO_KEEPALIVE, on ? 1 : 0);
  if (!e.ok() || !on) return e;
  // The Windows backend's values: first probe after the delay (default 2 h, the OS default), then one a
  // second. Linux counts in whole seconds and refuses more than 32767.
  const uint32_t idle_s = delay_ms > 0 ? std::min<uint32_t>((delay_ms + 999) / 1000, 32767) : 7200;
  e = SetIntOption(fd_, IPPROTO_TCP, TCP_KEEPIDLE, static_cast<int>(idle_s));
  if (e.ok()) e = SetIntOption(fd_, IPPROTO_TCP, TCP_KEEPINTVL, 1);
  if (e.ok()) e = SetIntOption(fd_, IPPROTO_TCP, TCP_KEEPCNT, 10);  // Windows' fixed probe count
  return e;
}

SysError TcpSocket::SetBufferSize(bool send, int size) {
  return SetIntOption(fd_, SOL_SOCKET, send ? SO_SNDBUF : SO_RCVBUF, size);
}

SysError TcpSocket::RecordLocalAddress() { return SocketName(fd_, &local_); }

SysError TcpSocket::LocalAddress(SockAddr* out) const {
  if (local_.len > 0) {
    *out = local_;
    return SysError::Ok();
  }
  return SocketName(fd_, out);
}

SysError TcpSocket::RemoteAddress(SockAddr* out) const {
  if (connected_ && remote_.len > 0) {
    *out = remote_;
    return SysError::Ok();
  }
  return PeerName(fd_, out);
}

}  // namespace iocpnet
