#include "socket_base.h"

#include "engine.h"

namespace iocpnet {

SocketBase::SocketBase(Engine* engine) : engine_(engine) {
  engine_->Retain();
  engine_->Register(this);
}

SocketBase::~SocketBase() {
  if (close_ != nullptr) delete close_->op;  // null unless a teardown skipped the last OpReturned
  delete close_;
  engine_->Unregister(this);
  engine_->Release();
}

void SocketBase::DropJsOwner(napi_env env) {
  js_owner_ = nullptr;
  if (close_ == nullptr || close_->promise == nullptr) return;
  napi_delete_reference(env, close_->promise);
  close_->promise = nullptr;
}

void SocketBase::OpHandedToOs(napi_env env, bool keep_alive) {
  if (in_flight_++ == 0 && js_owner_ != nullptr) napi_reference_ref(env, js_owner_, nullptr);
  Retain();
  engine_->OpEntered(env, keep_alive);
}

void SocketBase::OpReturned(napi_env env, bool keep_alive) {
  if (--in_flight_ == 0 && js_owner_ != nullptr) napi_reference_unref(env, js_owner_, nullptr);
  engine_->OpLeft(env, keep_alive);
  MaybeFinishClose(env);
  Release();  // may delete this: last line
}

napi_value SocketBase::BeginClose(napi_env env) {
  napi_value promise = nullptr;
  if (close_ != nullptr) {
    if (close_->promise != nullptr) napi_get_reference_value(env, close_->promise, &promise);
    if (promise == nullptr) napi_get_undefined(env, &promise);  // not reached: the wrapper is alive
    return promise;
  }
  close_ = new CloseState;
  close_->op = new Op(engine_, "close");
  promise = close_->op->Begin(env);
  napi_create_reference(env, promise, 1, &close_->promise);
  MaybeFinishClose(env);
  return promise;
}

void SocketBase::MaybeFinishClose(napi_env env) {
  if (close_ == nullptr || close_->op == nullptr || in_flight_ != 0) return;
  Op* op = close_->op;
  close_->op = nullptr;
  op->ResolveUndefined(env);
  delete op;
}

}  // namespace iocpnet
