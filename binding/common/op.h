// The JavaScript half of an asynchronous operation, shared by every backend: the promise it settles and
// the JS buffers it keeps pinned. Backends derive their OS operation objects from Op (on Windows together
// with OVERLAPPED, so the completion packet leads straight back to the operation, as in Asio).
//
// Rules that keep memory safe:
//  - an Op is created, settled and deleted on the JS thread only;
//  - while the OS may still touch an Op or the buffers it describes, the Op is alive and its pins hold the
//    buffers (napi references keep the ArrayBuffers from being collected or detached);
//  - an Op is deleted only after the OS has reported it complete (or it never reached the OS).
#pragma once

#include <node_api.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "buffer_list.h"
#include "sys_error.h"

namespace iocpnet {

class Engine;


class Op {
 public:
  Op(Engine* engine, const char* syscall) : engine_(engine), syscall_(syscall) {}
  virtual ~Op() = default;
  Op(const Op&) = delete;
  Op& operator=(const Op&) = delete;

  // Creates the promise this operation settles.
  napi_value Begin(napi_env env);
  // Keeps the JS buffers alive until ReleasePins(). Empty buffers are not pinned: they hold no memory.
  void PinAll(napi_env env, const BufferList& bufs);
  void ReleasePins(napi_env env);
  // True when JavaScript detached a pinned buffer's memory since PinAll (structuredClone or postMessage
  // with a transfer list): the pin keeps the ArrayBuffer object, but its memory now belongs to another
  // one, which may already have been collected. Must be asked after any JS ran and before the memory is
  // touched again; an operation whose buffer was detached fails with kErrBufferDetached. False for an
  // operation that pinned nothing (a chunk read, into the engine's own buffer).
  bool PinsDetached(napi_env env) const;

  // Settling. They do nothing once the environment is being torn down (no JS may run then).
  void Resolve(napi_env env, napi_value value);
  void ResolveNumber(napi_env env, double value);
  void ResolveUndefined(napi_env env);
  // A chunk read's result: a new Buffer holding a copy of `n` bytes, or null for n == 0 (end of stream).
  void ResolveChunk(napi_env env, const char* data, size_t n);
  void Reject(napi_env env, const SysError& err);
  // A read that fails after it put bytes into the caller's buffers: the error says how many (bytesRead),
  // so that they are not lost. With 0 it is Reject(env, err).
  void Reject(napi_env env, const SysError& err, uint64_t bytes_read);
  void RejectWith(napi_env env, napi_value error);
  // A N-API call failed while making the result: rejects with the exception it left pending, or with
  // `fallback` as the reason when it left none.
  void RejectWithPending(napi_env env, const char* fallback);

  // Context for error messages ("connect ECONNREFUSED 127.0.0.1:80").
  void SetErrorAddress(std::string address, int port) {
    err_at_.reset(new ErrorAddress{std::move(address), port});
  }
  const char* syscall() const { return syscall_; }
  bool settled() const { return deferred_ == nullptr; }
  Engine* engine() const { return engine_; }

 private:
  napi_value MakeError(napi_env env, const SysError& err) const;

  // An idle connection keeps one operation (its pending read) for as long as it is idle, so what is
  // rarely needed lives behind a pointer: the pins of a scatter/gather list beyond the first, and the
  // address that connects and addressed datagrams name in their errors.
  struct ErrorAddress {
    std::string address;
    int port;
  };

  Engine* engine_;
  const char* syscall_;
  napi_deferred deferred_ = nullptr;
  napi_ref pin_ = nullptr;
  std::unique_ptr<std::vector<napi_ref>> more_pins_;
  std::unique_ptr<ErrorAddress> err_at_;

 public:
  uint32_t id = 0;
  // Set when the caller asked to cancel (abort/timeout); the completion then reports ECANCELED.
  bool cancel_requested = false;
};

// Reads a Uint8Array (or any TypedArray/DataView) or an array of them into a BufferList.
// Returns false (with a pending JS TypeError) when the value is not of that shape.
bool ParseBufferList(napi_env env, napi_value value, BufferList* out);

}  // namespace iocpnet
