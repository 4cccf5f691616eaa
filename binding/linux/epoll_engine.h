// The Linux completion engine: an epoll reactor (in the manner of Boost.Asio's epoll_reactor) presented to
// the shared code as the proactor the JS layer expects. One per JS environment.
//
// It runs on the environment's own libuv loop, not on a thread of its own: our epoll set is one descriptor
// that libuv watches (uv_poll), and when it turns readable libuv calls us once; we then take every ready
// socket in one epoll_wait and let each perform its non-blocking syscalls inside a callback scope, so the
// promises they settle continue at a microtask checkpoint every few dozen sockets (kCheckpointEvery), while
// those sockets are still in cache. That is the "one wake-up per batch" of DESIGN.md without a thread hop: a first design with a poller thread and a threadsafe
// function paid a cross-thread wake-up (futex + eventfd + a context switch) for every batch, which at one
// connection is the whole round trip's budget. Socket state is only ever touched on the JS thread.
//
// Why epoll and not io_uring (measured, not assumed; bench/uring/README.md has the figures and how to
// repeat them): on this kind of machine an io_uring echo server in C, with batched submissions and
// multishot accept, was slower than the C epoll echo server under the same load generator: 5.4-7.7 us of
// server CPU per round trip against 3.9-4.5 at 100 connections, 7.6-7.8 against 4.8-5.4 at 1,000, and
// the same ~11-28k round trips/s at one connection, where wake-up latency decides. perf on a Node server at 1,000 connections puts ~60% of its time in the kernel's TCP
// work (tcp_sendmsg with loopback delivery, the copies in readv), which io_uring performs just the same;
// epoll_wait itself was ~5%. What io_uring would cost: a receive queued in the kernel owns its buffer, so
// every idle connection would pin memory (or need provided-buffer rings), and kernels or container seccomp
// profiles that refuse io_uring (Docker's default does) would need this reactor anyway as the fallback.
//
// Registration is by pointer (epoll_event.data.ptr), with no table to look sockets up in: a table entry
// per socket cost every idle connection ~50 bytes. What makes the pointer safe: a socket is removed from
// the epoll set (EPOLL_CTL_DEL, which also drops its queued events) before its fd is closed and before it
// can be freed, so an epoll_wait never returns a freed socket; the handles of a batch are retained until
// the whole batch is handled, so a socket closed (and released) by an earlier handler in the same batch
// stays allocated; and a socket no longer watched ignores what is still addressed to it, events and
// kicks alike (its fd number may already belong to a new socket, which has its own registration).
#pragma once

#include <sys/epoll.h>
#include <sys/uio.h>
#include <uv.h>

#include <cstdint>
#include <vector>

#include "../common/engine.h"
#include "../common/socket_base.h"

namespace iocpnet {

class EpollEngine;

// A socket the engine watches: one descriptor, registered once, edge-triggered. Subclasses keep their own
// "readable" and "writable" flags (set by events, cleared by EAGAIN) and try every operation speculatively
// first. Closing is the same for every kind of socket, so it lives here.
class EpollHandle : public SocketBase {
 public:
  explicit EpollHandle(Engine* engine, int fd = -1) : SocketBase(engine), fd_(fd) {}
  ~EpollHandle() override { CloseOsSocket(); }

  // Engine only, on the JS thread. `events` is the epoll mask, or 0 when the handle asked to be looked at
  // again (Kick): a cancel request, a resume, an accept budget used up. The engine holds a reference for
  // the duration, so the handle may settle its last operation here.
  virtual void OnReady(napi_env env, uint32_t events) = 0;
  // Engine only, at environment teardown, after the fd is closed: free every queued operation (Op settles
  // nothing then; no JS runs).
  virtual void AbortPending(napi_env env) = 0;

  // SocketBase: close the descriptor; at teardown also queue AbortPending for after every socket is closed.
  void CloseForTeardown() override;
  void CloseOnCollect() override { CloseOsSocket(); }

 protected:
  EpollEngine* epoll() const;
  SysError Watch(uint32_t events);  // fd_
  // Stops watching fd_ and closes it (a listener's backlog is reset); marks the socket closing. Idempotent.
  void CloseOsSocket();
  // Asks for OnReady(env, 0) from the engine's next dispatch, after the events already queued. Deferring
  // keeps completions asynchronous as on Windows (a cancel never settles inside the caller's call).
  void Kick();

  int fd_;  // -1 once closed

 private:
  friend class EpollEngine;
  bool watched_ = false;  // in the epoll set
};

class EpollEngine : public Engine {
 public:
  static EpollEngine* Of(Engine* e) { return static_cast<EpollEngine*>(e); }

  EpollEngine() = default;
  ~EpollEngine() override;

  bool Start(napi_env env, SysError* err);
  void Shutdown(napi_env env) override;

  // JS thread only.
  SysError Watch(int fd, uint32_t events, EpollHandle* h);
  void Unwatch(int fd);
  void Kick(EpollHandle* h);
  void AbortAtTeardown(EpollHandle* h);
  // Where a socket gathers its queued writes for one sendmsg. Sockets send one at a time on the JS
  // thread, so one vector serves them all instead of one per socket.
  std::vector<iovec>& gather_scratch() { return gather_; }

 protected:
  void SetLoopAlive(napi_env env, bool alive) override;
  int64_t OsHandleCount() const override;

 private:
  static void OnPoll(uv_poll_t* poll, int status, int events);
  static void OnAsyncCleanup(napi_async_cleanup_hook_handle hook, void* arg);
  static void OnPollClosed(uv_handle_t* handle);
  void Dispatch();
  void Handle(EpollHandle* h, uint32_t events);
  void TakeKicks();

  napi_env env_ = nullptr;
  int epfd_ = -1;
  int kick_fd_ = -1;            // eventfd in our epoll set: makes it readable when kicks are queued
  uv_poll_t* poll_ = nullptr;   // libuv's watch on epfd_; heap-allocated, freed by its close callback
  napi_ref resource_ = nullptr;              // async resource of the callback scope
  napi_async_context async_context_ = nullptr;
  napi_async_cleanup_hook_handle cleanup_hook_ = nullptr;
  std::vector<EpollHandle*> kicks_;  // retained; asking for OnReady(env, 0)
  std::vector<EpollHandle*> kicks_handling_;
  bool kick_signalled_ = false;
  std::vector<EpollHandle*> teardown_;  // retained, for AbortPending at Shutdown
  std::vector<iovec> gather_;
  bool started_ = false;
};

}  // namespace iocpnet
