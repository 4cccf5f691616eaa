// What every native socket shares, whatever the backend: a reference count (held by its JS wrapper and by
// each operation the OS holds), membership in its engine's socket list for teardown, the count of
// operations in flight, and the close() promise that settles once that count reaches zero — only then has
// the OS let go of every buffer.
#pragma once

#include <node_api.h>

#include <cstdint>

#include "op.h"

namespace iocpnet {

class Engine;

// What a socket is, for the calls that find it from a JS handle (socket_handle.h).
enum class SocketKind : uint8_t { kTcp, kUdp, kListener };

class SocketBase {
 public:
  explicit SocketBase(Engine* engine);
  virtual ~SocketBase();
  SocketBase(const SocketBase&) = delete;
  SocketBase& operator=(const SocketBase&) = delete;

  void Retain() { refs_++; }
  void Release() {
    if (--refs_ == 0) delete this;
  }

  virtual SocketKind kind() const = 0;

  // Environment teardown: close the OS socket so that its operations complete promptly. No JS runs.
  virtual void CloseForTeardown() = 0;
  // The JS owner was collected without close(): release the OS socket.
  virtual void CloseOnCollect() = 0;

  // The JS object that owns the socket (the handle of a TCP or UDP socket, or a listener's ObjectWrap),
  // by the reference its finalizer was registered with (deleted when it is finalized). It is held
  // strongly while any operation is in flight, so a socket that is working is never collected (and closed)
  // under an awaiting caller; weakly otherwise. Reusing that reference rather than making one of our own
  // saves a reference object and a V8 global handle per socket.
  void SetJsOwner(napi_ref wrapper) { js_owner_ = wrapper; }
  napi_ref js_owner() const { return js_owner_; }
  // The wrapper is being finalized: forget it, and let go of close()'s promise.
  void DropJsOwner(napi_env env);

  Engine* engine() const { return engine_; }
  bool closing() const { return closing_; }
  int64_t in_flight() const { return in_flight_; }
  bool close_started() const { return close_ != nullptr; }

 protected:
  // An operation was handed to / returned by the OS. OpReturned settles a pending close() at zero.
  void OpHandedToOs(napi_env env, bool keep_alive = true);
  void OpReturned(napi_env env, bool keep_alive = true);
  // Starts close(): returns its promise, settled once no operation is in flight. Every later call returns
  // the same promise.
  napi_value BeginClose(napi_env env);

  Engine* engine_;

 private:
  friend class Engine;
  void MaybeFinishClose(napi_env env);

  // What close() needs, made when it is called: sockets that are open do not carry it.
  struct CloseState {
    Op* op = nullptr;            // settled once nothing is in flight
    napi_ref promise = nullptr;  // close()'s promise, for the calls that follow
  };

  int32_t refs_ = 1;
  int32_t in_flight_ = 0;
  CloseState* close_ = nullptr;
  napi_ref js_owner_ = nullptr;
  SocketBase* next_ = nullptr;
  SocketBase* prev_ = nullptr;

 protected:
  bool closing_ = false;  // last, so that the small fields of derived classes can share its word
};

}  // namespace iocpnet
