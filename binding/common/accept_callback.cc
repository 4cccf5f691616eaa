#include "accept_callback.h"

#include "addon.h"
#include "engine.h"

namespace iocpnet {

void AcceptCallback::Set(napi_env env, napi_value fn) {
  Drop(env);
  napi_create_reference(env, fn, 1, &fn_);
}

void AcceptCallback::Drop(napi_env env) {
  if (fn_ != nullptr) napi_delete_reference(env, fn_);
  fn_ = nullptr;
}

void AcceptCallback::DeliverError(napi_env env, Engine* engine, const SysError& e) {
  if (engine->tearing_down() || fn_ == nullptr) return;
  Call(env, engine, Addon::Of(env)->MakeError(env, e, "accept", "", -1), nullptr);
}

void AcceptCallback::Call(napi_env env, Engine* engine, napi_value error, napi_value conn) {
  if (engine->tearing_down() || fn_ == nullptr) return;
  napi_value fn, recv, args[2];
  napi_get_reference_value(env, fn_, &fn);
  napi_get_undefined(env, &recv);
  if (error == nullptr) napi_get_null(env, &error);
  if (conn == nullptr) napi_get_null(env, &conn);
  args[0] = error;
  args[1] = conn;
  napi_value result;
  if (napi_call_function(env, recv, fn, 2, args, &result) == napi_pending_exception) {
    napi_value exc;
    napi_get_and_clear_last_exception(env, &exc);
    napi_fatal_exception(env, exc);
  }
}

}  // namespace iocpnet
