#include "wrap_helpers.h"

#include "addon.h"

namespace iocpnet {

uint16_t PortArg(const Napi::Value& v) {
  if (!v.IsNumber()) return 0;
  const int64_t p = v.As<Napi::Number>().Int64Value();
  return (p >= 0 && p <= 65535) ? static_cast<uint16_t>(p) : 0;
}

std::string StringArg(const Napi::Value& v) { return v.IsString() ? v.As<Napi::String>().Utf8Value() : ""; }

int FamilyArg(const Napi::Value& v) {
  const int family = v.IsNumber() ? v.As<Napi::Number>().Int32Value() : 0;
  if (family == 4) return AF_INET;
  if (family == 6) return AF_INET6;
  Napi::RangeError e = Napi::RangeError::New(v.Env(), "family must be 4 or 6");
  e.Set("code", Napi::String::New(v.Env(), "ERR_OUT_OF_RANGE"));
  throw e;
}

void ThrowIfError(Napi::Env env, const SysError& err, const char* syscall, const std::string& address, int port) {
  if (err.ok()) return;
  Addon::Of(env)->ThrowError(env, err, syscall, address, port);
  throw env.GetAndClearPendingException();
}

Napi::Value Rejected(Napi::Env env, const SysError& err, const char* syscall) {
  napi_deferred d;
  napi_value promise;
  napi_create_promise(env, &d, &promise);
  napi_reject_deferred(env, d, Addon::Of(env)->MakeError(env, err, syscall, "", -1));
  return Napi::Value(env, promise);
}

Napi::Array AddressTriple(Napi::Env env, const SockAddr& a) {
  Napi::Array out = Napi::Array::New(env, 3);
  out.Set(0u, Napi::String::New(env, a.Address()));
  out.Set(1u, Napi::Number::New(env, a.port()));
  out.Set(2u, Napi::String::New(env, a.FamilyName()));
  return out;
}

}  // namespace iocpnet
