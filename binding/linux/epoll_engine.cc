#include "epoll_engine.h"

#include <dirent.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <exception>
#include <system_error>

#include "fd_util.h"

namespace iocpnet {

namespace {
constexpr uint64_t kQuitToken = 0;
constexpr int kBatch = 128;  // events per epoll_wait, as on Windows per GetQueuedCompletionStatusEx
}  // namespace

// ---------------------------------------------------------------------------------------------------------
// EpollHandle

EpollEngine* EpollHandle::epoll() const { return EpollEngine::Of(engine_); }

SysError EpollHandle::Watch(int fd, uint32_t events) { return epoll()->Watch(fd, events, this, &token_); }

void EpollHandle::Unwatch(int fd) {
  if (token_ == 0) return;
  epoll()->Unwatch(fd, token_);
  token_ = 0;
}

void EpollHandle::Kick() {
  if (token_ != 0) epoll()->Kick(token_);
}

void EpollHandle::AbortAtTeardown() { epoll()->AbortAtTeardown(this); }

// ---------------------------------------------------------------------------------------------------------
// EpollEngine

Engine* Engine::Create(napi_env env, SysError* err) {
  auto* e = new EpollEngine();
  if (!e->Start(env, err)) {
    e->Release();
    return nullptr;
  }
  return e;
}

bool EpollEngine::Start(napi_env env, SysError* err) {
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0) {
    *err = LastError();
    return false;
  }
  quit_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (quit_fd_ < 0) {
    *err = LastError();
    return false;
  }
  epoll_event ev{};
  ev.events = EPOLLIN;  // level-triggered: once written it stays readable, so the poller cannot miss it
  ev.data.u64 = kQuitToken;
  if (epoll_ctl(epfd_, EPOLL_CTL_ADD, quit_fd_, &ev) != 0) {
    *err = LastError();
    return false;
  }
  napi_value name;
  napi_create_string_utf8(env, "iocp-net readiness", NAPI_AUTO_LENGTH, &name);
  if (napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, nullptr, nullptr, this, OnWake, &wake_) !=
      napi_ok) {
    *err = SysError::Of("ENOMEM");
    return false;
  }
  // Idle engines must not keep the process alive; OpEntered refs the wake-up while work is in flight.
  napi_unref_threadsafe_function(env, wake_);
  // The poller starts with every signal blocked, so that signals meant for the process are handled by
  // Node's threads and epoll_wait is never interrupted.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  try {
    poller_ = std::thread([this] { PollerMain(); });
  } catch (const std::system_error&) {
    *err = SysError::Of("EAGAIN");
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (!poller_.joinable()) {
    napi_release_threadsafe_function(wake_, napi_tsfn_abort);
    wake_ = nullptr;
    return false;
  }
  started_ = true;
  return true;
}

EpollEngine::~EpollEngine() {
  StopPoller();  // normally done by Shutdown(); this covers an engine released without one
  if (quit_fd_ >= 0) CloseFd(quit_fd_);
  if (epfd_ >= 0) CloseFd(epfd_);
}

void EpollEngine::StopPoller() {
  if (!poller_.joinable()) return;
  const uint64_t one = 1;
  while (write(quit_fd_, &one, sizeof one) < 0 && errno == EINTR) {
  }
  poller_.join();
}

void EpollEngine::SetLoopAlive(napi_env env, bool alive) {
  if (alive) napi_ref_threadsafe_function(env, wake_);
  else napi_unref_threadsafe_function(env, wake_);
}

int64_t EpollEngine::OsHandleCount() const {
  // Open descriptors of the process: what leak tests watch, like the handle count on Windows.
  DIR* d = opendir("/proc/self/fd");
  if (d == nullptr) return -1;
  int64_t n = 0;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] != '.') n++;
  }
  closedir(d);
  return n - 1;  // not the directory's own descriptor
}

SysError EpollEngine::Watch(int fd, uint32_t events, EpollHandle* h, uint64_t* token) {
  const uint64_t t = next_token_++;
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = t;
  if (epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0) return LastError();
  handles_.emplace(t, h);
  *token = t;
  return SysError::Ok();
}

void EpollEngine::Unwatch(int fd, uint64_t token) {
  // Explicit, though close() would drop the registration too: a descriptor duplicated elsewhere (a
  // child process between fork and exec) would otherwise keep it alive.
  epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
  handles_.erase(token);
}

void EpollEngine::Kick(uint64_t token) {
  if (tearing_down_ || wake_ == nullptr) return;
  bool wake;
  {
    std::lock_guard<std::mutex> lock(mu_);
    wake = ready_.empty();
    ready_.push_back({token, 0});
  }
  if (wake) napi_call_threadsafe_function(wake_, nullptr, napi_tsfn_nonblocking);
}

void EpollEngine::AbortAtTeardown(EpollHandle* h) {
  h->Retain();
  teardown_.push_back(h);
}

void EpollEngine::PollerMain() {
  epoll_event events[kBatch];
  for (;;) {
    const int n = epoll_wait(epfd_, events, kBatch, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // EBADF/EINVAL: the engine is broken beyond repair; operations then never complete
    }
    bool quit = false;
    bool wake = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      const bool was_empty = ready_.empty();
      for (int i = 0; i < n; i++) {
        if (events[i].data.u64 == kQuitToken) {
          quit = true;
          continue;
        }
        ready_.push_back({events[i].data.u64, events[i].events});
      }
      wake = was_empty && !ready_.empty();
    }
    // One wake-up per batch: the JS thread takes everything queued so far when it runs.
    if (wake && !quit) napi_call_threadsafe_function(wake_, nullptr, napi_tsfn_nonblocking);
    if (quit) return;
  }
}

void EpollEngine::OnWake(napi_env env, napi_value, void* context, void*) {
  if (env == nullptr) return;  // the threadsafe function is being torn down
  auto* self = static_cast<EpollEngine*>(context);
  if (self->tearing_down_) return;
  self->DispatchReady(env);
}

void EpollEngine::DispatchReady(napi_env env) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    handling_.swap(ready_);
  }
  for (const Ready& r : handling_) {
    // Looked up per event, not once per batch: a handler may close other sockets (or itself).
    auto it = handles_.find(r.token);
    if (it == handles_.end()) continue;  // closed since the poller saw it
    EpollHandle* h = it->second;
    h->Retain();
    try {
      h->OnReady(env, r.events);
    } catch (const std::exception&) {
      // The shared code calls into JS through node-addon-api, which reports a failed call as a C++
      // exception (the error factory or a constructor failing while a worker terminates). It must not
      // unwind into Node's C callback; what it interrupted is cleaned up at teardown.
    }
    h->Release();
  }
  handling_.clear();
}

void EpollEngine::Shutdown(napi_env env) {
  if (!started_ || tearing_down_) return;
  tearing_down_ = true;
  // Every socket closes its fd and queues itself in teardown_; nothing is freed while the list is walked.
  CloseAllSockets();
  StopPoller();
  {
    std::lock_guard<std::mutex> lock(mu_);
    ready_.clear();  // readiness of sockets that are closed now
  }
  std::vector<EpollHandle*> handles;
  handles.swap(teardown_);
  for (EpollHandle* h : handles) {
    h->AbortPending(env);
    h->Release();  // may delete h
  }
  napi_release_threadsafe_function(wake_, napi_tsfn_abort);
  wake_ = nullptr;
}

}  // namespace iocpnet
