#include "socket_base.h"

#include "engine.h"

namespace iocpnet {

SocketBase::SocketBase(Engine* engine) : engine_(engine) {
  engine_->Retain();
  engine_->Register(this);
}

SocketBase::~SocketBase() {
  engine_->Unregister(this);
  engine_->Release();
}

void SocketBase::SetJsOwner(napi_env env, napi_value wrapper) {
  napi_create_reference(env, wrapper, 0, &js_owner_);
}

void SocketBase::DropJsOwner(napi_env env) {
  if (js_owner_ == nullptr) return;
  napi_delete_reference(env, js_owner_);
  js_owner_ = nullptr;
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
  if (close_op_ != nullptr) return close_op_->Begin(env);  // not reached: wrappers close once
  close_op_ = new Op(engine_, "close");
  napi_value promise = close_op_->Begin(env);
  MaybeFinishClose(env);
  return promise;
}

void SocketBase::MaybeFinishClose(napi_env env) {
  if (close_op_ == nullptr || in_flight_ != 0) return;
  Op* op = close_op_;
  close_op_ = nullptr;
  op->ResolveUndefined(env);
  delete op;
}

}  // namespace iocpnet
