// A TCP connection on IOCP. ConnectEx from a pre-bound local address; reads wait with a zero-byte WSARecv
// and then read the caller's buffers without blocking (so idle connections pin no kernel buffers); writes
// are queued and gathered into overlapped WSASend, continued natively until every byte is sent.
#pragma once

#include <vector>

#include "../common/inline_budget.h"
#include "../common/op_queue.h"
#include "../common/socket_base.h"
#include "../common/sockaddr.h"
#include "../common/stream_fault.h"
#include "../common/stream_fill.h"
#include "iocp_op.h"

namespace iocpnet {

class TcpSocket : public SocketBase {
 public:
  static constexpr SocketKind kKind = SocketKind::kTcp;
  SocketKind kind() const override { return kKind; }

  static TcpSocket* Create(Engine* engine, int af, SysError* err);
  // Takes over a socket that AcceptEx accepted (already on the engine's port).
  static TcpSocket* Adopt(Engine* engine, SOCKET s, int af);

  int family() const { return af_; }
  // Addresses already known (from GetAcceptExSockaddrs), so no getsockname/getpeername is needed.
  void SetKnownAddresses(const SockAddr& local, const SockAddr& remote) {
    known_local_ = local;
    known_remote_ = remote;
  }

  napi_value Connect(napi_env env, const SockAddr& remote, const SockAddr* local);
  // A plain read (min 1) of data already there, without an operation or a promise: *got becomes the bytes
  // read (0 at end of stream), or stays -1 when the read must go through Read(): nothing there, another
  // read pending, or this socket's inline budget spent.
  SysError ReadNow(const BufferList& bufs, int64_t* got);
  // With no buffers and chunk_max > 0: a chunk read, resolving with a new Buffer (null at end of stream).
  // Otherwise it completes once `min` bytes are in the buffers (or at end of stream). `just_tried`: ReadNow
  // found nothing a moment ago, so the read waits without receiving again.
  napi_value Read(napi_env env, BufferList&& bufs, size_t chunk_max, uint64_t min, bool just_tried = false);
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

  void CloseForTeardown() override;
  void CloseOnCollect() override { CloseOsSocket(); }

 private:
  struct ConnectOp;
  struct ReadOp;
  struct WriteOp;

  TcpSocket(Engine* engine, SOCKET s, int af) : SocketBase(engine), s_(s), af_(af) {}
  ~TcpSocket() override;

  void CloseOsSocket();
  // Error to report for a failed operation: closed by us, cancelled by the caller, or what the OS said.
  SysError FailureOf(const Op* op, const SysError& os) const;

  // Reads
  SysError TryRecv(ReadOp* op, int64_t* got);  // got = -1 while the read must wait
  SysError RecvOnce(const WSABUF* bufs, size_t count, int64_t* got);  // got = -1 when nothing is there
  void PostZeroRead(napi_env env, ReadOp* op);
  static void OnZeroRead(IocpOp* base, napi_env env);

  // Writes
  void PostWrite(napi_env env);
  void FailQueuedWrites(napi_env env, const SysError& err);
  void FinishWrite(napi_env env, WriteOp* op, const SysError& err);
  void MaybeShutdownAfterWrites(napi_env env);
  static void OnWriteDone(IocpOp* base, napi_env env);

  static void OnConnected(IocpOp* base, napi_env env);

  SOCKET s_;
  int af_;
  ConnectOp* connect_ = nullptr;
  ReadOp* read_ = nullptr;
  OpQueue<WriteOp> writes_;  // front is the one in flight when write_in_flight_
  bool write_in_flight_ = false;
  InlineBudget inline_;  // refilled by every completion through the port
  Op* pending_shutdown_ = nullptr;
  bool shut_down_ = false;
  StreamFault fault_;  // the error that broke the connection, for the direction that did not meet it
  SockAddr known_local_;
  SockAddr known_remote_;
};

}  // namespace iocpnet
