// The Linux completion engine: an epoll reactor (in the manner of Boost.Asio's epoll_reactor) presented to
// the shared code as the proactor the JS layer expects. One per JS environment. A poller thread waits in
// epoll_wait and only records which socket became ready for what; one threadsafe function wakes the JS
// thread once per batch, and there each socket performs its own non-blocking syscalls for the operations
// queued on it. Socket state is thus only ever touched on the JS thread, as on Windows, and the poller
// never needs to know what a socket is.
//
// Registration is by a token, never by pointer: the poller may still hold an event for a socket the JS
// thread has just closed (and whose fd number the kernel may already have reused); the token of a closed
// socket is no longer in the table, so its late events are dropped.
#pragma once

#include <sys/epoll.h>

#include <cstdint>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "../common/engine.h"
#include "../common/socket_base.h"

namespace iocpnet {

class EpollEngine;

// A socket the engine watches: registered once, edge-triggered. Subclasses keep their own "readable" and
// "writable" flags (set by events, cleared by EAGAIN) and try every operation speculatively first.
class EpollHandle : public SocketBase {
 public:
  explicit EpollHandle(Engine* engine) : SocketBase(engine) {}

  // Engine only, on the JS thread. `events` is the epoll mask the poller saw, or 0 when the handle asked to
  // be looked at again (Kick): a cancel request, a resume, an accept budget used up. The engine holds a
  // reference for the duration, so the handle may settle its last operation here.
  virtual void OnReady(napi_env env, uint32_t events) = 0;
  // Engine only, at environment teardown, after the fd is closed: free every queued operation (Op settles
  // nothing then; no JS runs).
  virtual void AbortPending(napi_env env) = 0;

 protected:
  EpollEngine* epoll() const;
  SysError Watch(int fd, uint32_t events);
  void Unwatch(int fd);  // call before close(fd)
  // Asks for OnReady(env, 0) from the engine's next dispatch, after the events already queued. Deferring
  // keeps completions asynchronous as on Windows (a cancel never settles inside the caller's call).
  void Kick();
  // CloseForTeardown helper: queue AbortPending for after every socket is closed.
  void AbortAtTeardown();

 private:
  uint64_t token_ = 0;  // 0: not watched
};

class EpollEngine : public Engine {
 public:
  static EpollEngine* Of(Engine* e) { return static_cast<EpollEngine*>(e); }

  EpollEngine() = default;
  ~EpollEngine() override;

  bool Start(napi_env env, SysError* err);
  void Shutdown(napi_env env) override;

  // JS thread only.
  SysError Watch(int fd, uint32_t events, EpollHandle* h, uint64_t* token);
  void Unwatch(int fd, uint64_t token);
  void Kick(uint64_t token);
  void AbortAtTeardown(EpollHandle* h);

 protected:
  void SetLoopAlive(napi_env env, bool alive) override;
  int64_t OsHandleCount() const override;

 private:
  struct Ready {
    uint64_t token;
    uint32_t events;
  };

  void PollerMain();
  void StopPoller();
  static void OnWake(napi_env env, napi_value js_cb, void* context, void* data);
  void DispatchReady(napi_env env);

  int epfd_ = -1;
  int quit_fd_ = -1;  // eventfd that stops the poller
  std::thread poller_;
  std::mutex mu_;
  std::vector<Ready> ready_;     // readiness not yet handled (guarded by mu_)
  std::vector<Ready> handling_;  // the batch being handled on the JS thread
  std::unordered_map<uint64_t, EpollHandle*> handles_;  // watched sockets by token (JS thread only)
  uint64_t next_token_ = 1;                             // token 0 is the quit eventfd
  std::vector<EpollHandle*> teardown_;                  // retained, for AbortPending at Shutdown
  napi_threadsafe_function wake_ = nullptr;
  bool started_ = false;
};

}  // namespace iocpnet
