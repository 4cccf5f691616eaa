// A TCP connection on the epoll engine. Every operation is first tried at once (a read that finds data,
// or a write that fits in the socket buffer, completes without waiting); what cannot finish is queued on
// the socket, counted as in flight (OpHandedToOs) and continued by OnReady when epoll reports readiness.
// One read at a time; writes queue in order and are gathered into one sendmsg; shutdown sends the FIN
// after the last queued byte.
#pragma once

#include <sys/uio.h>

#include "../common/inline_budget.h"
#include "../common/op_queue.h"
#include "../common/sockaddr.h"
#include "../common/stream_fault.h"
#include "../common/stream_fill.h"
#include "epoll_engine.h"

namespace iocpnet {

class TcpSocket : public EpollHandle {
 public:
  static constexpr SocketKind kKind = SocketKind::kTcp;
  SocketKind kind() const override { return kKind; }

  static TcpSocket* Create(Engine* engine, int af, SysError* err);
  // Takes over a socket accept4 returned (non-blocking, close-on-exec) and watches it. On failure closes
  // the fd, sets *err and returns nullptr.
  static TcpSocket* Adopt(Engine* engine, int fd, int af, const SockAddr& local, const SockAddr& remote,
                          SysError* err);

  int family() const { return af_; }

  napi_value Connect(napi_env env, const SockAddr& remote, const SockAddr* local);
  // A plain read (min 1) of data already there, without an operation or a promise: *got becomes the bytes
  // read (0 at end of stream), or stays -1 when the read must go through Read(): nothing there, another
  // read pending, or this socket's inline budget spent.
  SysError ReadNow(const BufferList& bufs, int64_t* got);
  // With no buffers and chunk_max > 0: a chunk read, resolving with a new Buffer (null at end of stream).
  // Otherwise it completes once `min` bytes are in the buffers (or at end of stream). `just_tried`: ReadNow
  // found nothing a moment ago, so the read waits without receiving again.
  napi_value Read(napi_env env, BufferList&& bufs, size_t chunk_max, uint64_t min, bool just_tried = false);
  // Returns the write's promise, or nullptr when the kernel took every byte at once (JS: undefined).
  napi_value Write(napi_env env, BufferList&& bufs, uint32_t id);
  napi_value Shutdown(napi_env env);
  napi_value Close(napi_env env);

  void CancelRead();
  void CancelWrite(napi_env env, uint32_t id);
  void CancelConnect();

  SysError SetNoDelay(bool on);
  SysError SetKeepAlive(bool on, uint32_t delay_ms);
  SysError SetBufferSize(bool send, int size);
  SysError LocalAddress(SockAddr* out) const;
  SysError RemoteAddress(SockAddr* out) const;


  void OnReady(napi_env env, uint32_t events) override;
  void AbortPending(napi_env env) override { FailAll(env, SysError::Of(kErrSocketClosed)); }

 private:
  struct ReadOp;
  struct WriteOp;

  TcpSocket(Engine* engine, int fd, int af) : EpollHandle(engine, fd), af_(af) {}
  ~TcpSocket() override = default;

  // Error to report for a failed operation: closed by us, cancelled by the caller, or what the OS said.
  SysError FailureOf(const Op* op, const SysError& os) const;
  // Settles every queued operation with `err` (close, teardown).
  void FailAll(napi_env env, const SysError& err);

  void ContinueConnect(napi_env env);

  SysError TryRecv(ReadOp* op, int64_t* got);  // got = -1 while the read must wait
  SysError RecvOnce(const iovec* iov, size_t count, int64_t* got);  // got = -1 when nothing is there
  // SO_RCVLOWAT for the read about to wait: the kernel then wakes it once what it lacks has arrived.
  void SetLowWater(const ReadOp* op);
  void ContinueRead(napi_env env);

  // The whole list at once, nothing queued ahead: *sent is what the kernel took (0 on EAGAIN).
  SysError SendNow(const BufferList& bufs, size_t* sent);
  void Flush(napi_env env);        // the queue, gathered, until empty or EAGAIN
  void FinishWrite(napi_env env, WriteOp* op, const SysError& err);
  void FailQueuedWrites(napi_env env, const SysError& err);
  void MaybeShutdownAfterWrites(napi_env env);

  // Reads the local end into local_ once connected: after close() there is no descriptor left to ask.
  SysError RecordLocalAddress();

  int af_;
  bool readable_ = true;  // cleared by EAGAIN, set by an epoll event: no syscall sure to fail
  bool writable_ = true;
  InlineBudget inline_;  // refilled by every OnReady
  int lowat_ = 1;  // the socket's SO_RCVLOWAT as last set
  bool shut_down_ = false;
  bool connected_ = false;
  StreamFault fault_;  // the error that broke the connection, for the direction that did not meet it
  Op* connect_ = nullptr;
  ReadOp* read_ = nullptr;
  // In order, linked through the operations (no container that allocates); each counted in flight.
  OpQueue<WriteOp> writes_;
  Op* pending_shutdown_ = nullptr;
  SockAddr local_;
  SockAddr remote_;  // known peer (connect target or accept4 result): no getpeername needed
};

}  // namespace iocpnet
