// A UDP socket on IOCP.
//
// Receiving: a receive first reads without blocking (WSARecvFrom on the non-blocking socket). Only when no
// datagram is queued does it wait, with one zero-byte overlapped WSARecv(MSG_PEEK): it pins no buffer and
// its completion — success, STATUS_BUFFER_OVERFLOW/ERROR_MORE_DATA or WSAEMSGSIZE, all meaning "a datagram
// is here" — is followed by the non-blocking read into the caller's buffers. Receives that find datagrams
// queued complete at once, and so do sends the OS takes at once, at most InlineBudget::kPerWake in a row;
// then one goes through the port, so a busy socket cannot keep the JS thread in a chain of synchronous
// completions. A datagram larger than the buffers is delivered cut, with truncated = true (WSAEMSGSIZE is
// not an error here).
//
// ICMP: SIO_UDP_CONNRESET is off while the socket is unconnected, so a port-unreachable answer to some
// earlier sendto cannot fail (wedge) a server's receives; once connect()ed it is on, and the error reaches
// the pending receive as ECONNREFUSED, as on Linux.
//
// Sending: a non-blocking WSASendTo first; a send the OS cannot take at once is queued and posted as an
// overlapped WSASendTo (gathering the caller's buffers), one in flight at a time so datagrams leave in order.
#pragma once

#include <vector>

#include "../common/inline_budget.h"
#include "../common/op_queue.h"
#include "../common/socket_base.h"
#include "../common/sockaddr.h"
#include "../common/udp_options.h"
#include "iocp_op.h"

namespace iocpnet {

class UdpSocket : public SocketBase {
 public:
  static constexpr SocketKind kKind = SocketKind::kUdp;
  SocketKind kind() const override { return kKind; }

  static UdpSocket* Create(Engine* engine, int af, SysError* err);

  int family() const { return af_; }
  bool connected() const { return connected_; }
  // For the shared option helpers (common/udp_options.h); kInvalidSocket once closed.
  socket_t handle() const { return s_; }

  SysError Bind(const SockAddr& addr, const UdpBindOptions& opts, const char** syscall);
  SysError Connect(const SockAddr& remote);
  SysError Disconnect();
  // Returns the send's promise, or nullptr when the OS took the datagram at once (JS: undefined).
  napi_value Send(napi_env env, BufferList&& bufs, const SockAddr* to, uint32_t id);
  // With no buffers and chunk_max > 0: a chunk receive into the engine's scratch buffer.
  napi_value Recv(napi_env env, BufferList&& bufs, size_t chunk_max);
  napi_value Close(napi_env env);

  void CancelRecv();
  void CancelSend(napi_env env, uint32_t id);

  SysError LocalAddress(SockAddr* out) const;
  SysError RemoteAddress(SockAddr* out) const;  // ENOTCONN unless connected

  void CloseForTeardown() override;
  void CloseOnCollect() override { CloseOsSocket(); }

 private:
  struct RecvOp;
  struct SendOp;

  UdpSocket(Engine* engine, SOCKET s, int af) : SocketBase(engine), s_(s), af_(af) {}
  ~UdpSocket() override;

  void CloseOsSocket();
  SysError FailureOf(const Op* op, const SysError& os) const;
  void SetConnReset(bool report);

  // Receives
  // One non-blocking read: *got = -1 when nothing is queued. ICMP errors of an unconnected socket are
  // consumed and skipped; a connected one reports them as ECONNREFUSED.
  SysError TryRecv(RecvOp* op, int64_t* got, bool* truncated, SockAddr* from);
  void Wait(napi_env env, RecvOp* op);  // posts the zero-byte peek, or settles op if that fails
  void CompleteRecv(napi_env env, RecvOp* op, int64_t got, bool truncated, const SockAddr& from);
  void FailRecv(napi_env env, RecvOp* op, const SysError& err);
  static void OnPeek(IocpOp* base, napi_env env);

  // Sends
  void PostSend(napi_env env);
  void FinishSend(napi_env env, SendOp* op, const SysError& err);
  void RejectQueuedSends(napi_env env, const SysError& err);
  static void OnSendDone(IocpOp* base, napi_env env);

  SOCKET s_;
  int af_;
  bool connected_ = false;
  SockAddr remote_;
  RecvOp* recv_ = nullptr;
  InlineBudget inline_;  // receives and sends that may still complete at once; refilled by every completion
  OpQueue<SendOp> sends_;  // front is the one in flight when send_in_flight_
  bool send_in_flight_ = false;
};

}  // namespace iocpnet
