// A UDP socket on the epoll engine, with the interface of the Windows one (win/udp_socket.h).
//
// Receiving: a receive first reads without blocking (recvmsg); only when nothing is queued does it wait,
// counted in flight, for EPOLLIN — the readiness the Windows backend gets from its zero-byte MSG_PEEK, and
// like it without holding a buffer in the kernel. Receives that find datagrams queued complete at once, and
// so do sends the kernel takes at once, at most InlineBudget::kPerWake in a row; then one waits for the
// engine's next dispatch (Kick), so a busy socket cannot keep the JS thread in a chain of synchronous
// completions. MSG_TRUNC marks a datagram larger than the buffers: it is delivered cut, with
// truncated = true.
//
// ICMP: without IP_RECVERR, Linux reports a port unreachable only to a connected socket (as the socket
// error: EPOLLERR, then ECONNREFUSED from the next recvmsg or send), never to an unconnected one — the
// behaviour the Windows backend sets up with SIO_UDP_CONNRESET.
//
// Sending: sendmsg at once; a datagram the kernel cannot take (EAGAIN) is queued, in order, for EPOLLOUT.
#pragma once

#include <sys/uio.h>

#include <vector>

#include "../common/inline_budget.h"
#include "../common/op_queue.h"
#include "../common/sockaddr.h"
#include "../common/udp_options.h"
#include "epoll_engine.h"

namespace iocpnet {

class UdpSocket : public EpollHandle {
 public:
  static constexpr SocketKind kKind = SocketKind::kUdp;
  SocketKind kind() const override { return kKind; }

  static UdpSocket* Create(Engine* engine, int af, SysError* err);

  int family() const { return af_; }
  bool connected() const { return connected_; }
  // For the shared option helpers (common/udp_options.h); kInvalidSocket once closed.
  socket_t handle() const { return fd_; }

  SysError Bind(const SockAddr& addr, const UdpBindOptions& opts, const char** syscall);
  SysError Connect(const SockAddr& remote);
  SysError Disconnect();
  // Returns the send's promise, or nullptr when the kernel took the datagram at once (JS: undefined).
  napi_value Send(napi_env env, BufferList&& bufs, const SockAddr* to, uint32_t id);
  // With no buffers and chunk_max > 0: a chunk receive into the engine's scratch buffer.
  napi_value Recv(napi_env env, BufferList&& bufs, size_t chunk_max);
  napi_value Close(napi_env env);

  void CancelRecv();
  void CancelSend(napi_env env, uint32_t id);

  SysError LocalAddress(SockAddr* out) const;
  SysError RemoteAddress(SockAddr* out) const;  // ENOTCONN unless connected


  void OnReady(napi_env env, uint32_t events) override;
  void AbortPending(napi_env env) override { FailAll(env, SysError::Of(kErrSocketClosed)); }

 private:
  struct RecvOp;
  struct SendOp;

  UdpSocket(Engine* engine, int fd, int af) : EpollHandle(engine, fd), af_(af) {}
  ~UdpSocket() override = default;

  void FailAll(napi_env env, const SysError& err);

  // One non-blocking read: *got = -1 when nothing is queued.
  SysError TryRecv(RecvOp* op, int64_t* got, bool* truncated, SockAddr* from);
  void ContinueRecv(napi_env env);
  void FinishRecv(napi_env env, RecvOp* op, const SysError& err, int64_t got, bool truncated, const SockAddr& from);

  SysError SendOne(const iovec* iov, size_t count, const SockAddr* to);  // EAGAIN clears writable_
  void Flush(napi_env env);
  void FinishSend(napi_env env, SendOp* op, const SysError& err);

  int af_;
  bool readable_ = true;   // cleared by EAGAIN, set by an epoll event: no syscall sure to fail
  bool writable_ = true;
  bool connected_ = false;
  SockAddr remote_;
  SockAddr bound_;  // the bound address, with the port the kernel chose
  InlineBudget inline_;  // receives and sends that may still complete at once; refilled by every OnReady
  RecvOp* recv_ = nullptr;
  OpQueue<SendOp> sends_;  // in order; each counted in flight while queued
};

}  // namespace iocpnet
