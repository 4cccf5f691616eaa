#include "iocp_engine.h"

#include <chrono>
#include <cstdint>

#include "../common/guarded_call.h"
#include "winsock.h"

namespace iocpnet {

namespace {
constexpr ULONG_PTR kQuitKey = 1;   // posted with a NULL OVERLAPPED to stop the poller
constexpr ULONG kBatch = 128;       // entries per GetQueuedCompletionStatusEx, as libuv
constexpr DWORD kTeardownBudgetMs = 10000;
// Completions handled per call into JS. Each call of the threadsafe function is its own callback scope,
// so the promises a group settled continue (a microtask checkpoint) before the next group is handled,
// while what those sockets touched is still in cache. The Linux engine does the same (kCheckpointEvery
// there, where it was measured: +5-10% round trips/s for an echo server at 1,000 connections). The next
// group is asked for from the JS thread, and Node's threadsafe function runs queued calls in the same
// loop iteration, so a batch is still one wake-up.
constexpr size_t kCheckpointEvery = 32;

// Node runs a threadsafe function's calls until its queue stays empty, also those queued while it runs.
// Completions that arrive while the JS thread handles a batch (or runs the microtasks it settled) must not
// be handled in the same turn of the loop: a socket past its inline budget (inline_budget.h) waits for the
// engine's next dispatch precisely so that the loop turns, and an overlapped receive of data already there
// completes at once. So two threadsafe functions take turns: a dispatch on one points the poller at the
// other, whose wake-up libuv sees only at its next poll, after timers, setImmediate and other I/O ran.
// With one, under CPU load Wine handled all 200 receives of loop-fairness.test.ts's UDP case (and all 257
// reads of a TCP one) in one turn; with two, never more than the budget's bound.
void* WakeData(int k) { return reinterpret_cast<void*>(static_cast<intptr_t>(k)); }
}  // namespace

Engine* Engine::Create(napi_env env, SysError* err) {
  *err = WinsockStartup();
  if (!err->ok()) return nullptr;
  auto* e = new IocpEngine();
  if (!e->Start(env, err)) {
    e->Release();
    return nullptr;
  }
  return e;
}

bool IocpEngine::Start(napi_env env, SysError* err) {
  port_ = CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 1);
  if (port_ == nullptr) {
    *err = MapOsError(GetLastError());
    return false;
  }
  napi_value name;
  napi_create_string_utf8(env, "iocp-net completions", NAPI_AUTO_LENGTH, &name);
  for (napi_threadsafe_function& wake : wake_) {
    if (napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, nullptr, nullptr, this, OnWake, &wake) !=
        napi_ok) {
      *err = SysError::Of("ENOMEM");
      return false;
    }
    // Idle engines must not keep the process alive; OpEntered refs the wake-ups while work is in flight.
    napi_unref_threadsafe_function(env, wake);
  }
  poller_ = std::thread([this] { PollerMain(); });
  started_ = true;
  return true;
}

IocpEngine::~IocpEngine() {
  if (poller_.joinable()) {  // only if the environment never ran Shutdown()
    PostQueuedCompletionStatus(port_, 0, kQuitKey, nullptr);
    poller_.join();
  }
  // Shutdown() ran at environment teardown; a port still holding operations is deliberately leaked.
  if (port_ != nullptr && Stats().ops_in_flight == 0) CloseHandle(port_);
}

SysError IocpEngine::Associate(SOCKET s) {
  if (CreateIoCompletionPort(reinterpret_cast<HANDLE>(s), port_, 0, 0) == nullptr) return MapOsError(GetLastError());
  return SysError::Ok();
}

void IocpEngine::SetLoopAlive(napi_env env, bool alive) {
  for (napi_threadsafe_function wake : wake_) {
    if (alive) napi_ref_threadsafe_function(env, wake);
    else napi_unref_threadsafe_function(env, wake);
  }
}

int64_t IocpEngine::OsHandleCount() const {
  DWORD n = 0;
  if (!GetProcessHandleCount(GetCurrentProcess(), &n)) return -1;
  return n;
}

void IocpEngine::PollerMain() {
  OVERLAPPED_ENTRY entries[kBatch];
  for (;;) {
    ULONG n = 0;
    // Check the BOOL before n: Wine sets n = 1 on a timeout.
    if (!GetQueuedCompletionStatusEx(port_, entries, kBatch, &n, INFINITE, FALSE)) {
      if (GetLastError() == ERROR_ABANDONED_WAIT_0 || GetLastError() == ERROR_INVALID_HANDLE) return;
      continue;
    }
    bool quit = false;
    std::lock_guard<std::mutex> lock(mu_);
    const bool was_empty = ready_.empty();
    for (ULONG i = 0; i < n; i++) {
      if (entries[i].lpOverlapped == nullptr) {
        if (entries[i].lpCompletionKey == kQuitKey) quit = true;
        continue;
      }
      ready_.push_back(static_cast<IocpOp*>(entries[i].lpOverlapped));
    }
    if (quit) return;
    // One wake-up per batch: the JS thread takes everything queued so far when it runs. Called under the
    // lock, so that a dispatch starting meanwhile cannot be the one woken (it points next_wake_ away first).
    if (was_empty && !ready_.empty()) {
      napi_call_threadsafe_function(wake_[next_wake_], WakeData(next_wake_), napi_tsfn_nonblocking);
    }
  }
}

void IocpEngine::OnWake(napi_env env, napi_value, void* context, void* data) {
  if (env == nullptr) return;  // the threadsafe function is being torn down
  auto* self = static_cast<IocpEngine*>(context);
  if (self->tearing_down_) return;
  const int k = static_cast<int>(reinterpret_cast<intptr_t>(data));
  {
    std::lock_guard<std::mutex> lock(self->mu_);
    self->next_wake_ = 1 - k;  // what arrives from now on is for the loop's next turn
  }
  // The rest of the batch in hand is this turn's: its groups go on through this same function.
  if (self->DispatchReady(env, kCheckpointEvery)) napi_call_threadsafe_function(self->wake_[k], data, napi_tsfn_nonblocking);
}

bool IocpEngine::DispatchReady(napi_env env, size_t limit) {
  if (next_ == handling_.size()) {
    handling_.clear();
    next_ = 0;
    std::lock_guard<std::mutex> lock(mu_);
    handling_.swap(ready_);
  }
  const size_t end = handling_.size() - next_ > limit ? next_ + limit : handling_.size();
  while (next_ < end) {
    IocpOp* op = handling_[next_++];
    GuardedCall(env, [&] { op->handler(op, env); });
  }
  return next_ < handling_.size();
}

void IocpEngine::DrainPort(napi_env env, DWORD timeout_ms) {
  OVERLAPPED_ENTRY entries[kBatch];
  ULONG n = 0;
  if (!GetQueuedCompletionStatusEx(port_, entries, kBatch, &n, timeout_ms, FALSE)) return;
  for (ULONG i = 0; i < n; i++) {
    if (entries[i].lpOverlapped == nullptr) continue;
    IocpOp* op = static_cast<IocpOp*>(entries[i].lpOverlapped);
    GuardedCall(env, [&] { op->handler(op, env); });
  }
}

void IocpEngine::Shutdown(napi_env env) {
  if (!started_ || tearing_down_) return;
  tearing_down_ = true;
  // Close every socket so the kernel completes (cancels) everything it holds.
  CloseAllSockets();
  PostQueuedCompletionStatus(port_, 0, kQuitKey, nullptr);
  if (poller_.joinable()) poller_.join();
  DispatchReady(env, SIZE_MAX);  // the rest of the batch in hand (or, if none, the poller's queue)
  DispatchReady(env, SIZE_MAX);  // and what the poller queued meanwhile
  // Wait for the rest on this thread; nothing is freed while the kernel may still write into it.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kTeardownBudgetMs);
  while (Stats().ops_in_flight > 0 && std::chrono::steady_clock::now() < deadline) DrainPort(env, 50);
  for (napi_threadsafe_function& wake : wake_) {
    napi_release_threadsafe_function(wake, napi_tsfn_abort);
    wake = nullptr;
  }
}

}  // namespace iocpnet
