#include "datagram_result.h"

#include "engine.h"

namespace iocpnet {

namespace {

void SetString(napi_env env, napi_value obj, const char* key, const char* value) {
  napi_value v;
  napi_create_string_utf8(env, value, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, obj, key, v);
}

void SetNumber(napi_env env, napi_value obj, const char* key, double value) {
  napi_value v;
  napi_create_double(env, value, &v);
  napi_set_named_property(env, obj, key, v);
}

}  // namespace

void ResolveDatagram(Op* op, napi_env env, const char* chunk, size_t bytes, const SockAddr& from, bool truncated) {
  if (op->settled() || op->engine()->tearing_down()) return;
  napi_value result;
  napi_create_object(env, &result);
  if (chunk != nullptr) {
    napi_value data;
    void* copy = nullptr;
    if (napi_create_buffer_copy(env, bytes, bytes > 0 ? chunk : "", &copy, &data) != napi_ok) {
      napi_value err;
      bool pending = false;
      napi_is_exception_pending(env, &pending);
      if (pending) napi_get_and_clear_last_exception(env, &err);
      else napi_create_string_utf8(env, "cannot allocate a Buffer for the datagram", NAPI_AUTO_LENGTH, &err);
      op->RejectWith(env, err);
      return;
    }
    napi_set_named_property(env, result, "data", data);
  } else {
    SetNumber(env, result, "bytes", static_cast<double>(bytes));
  }
  SetString(env, result, "address", from.Address().c_str());
  SetNumber(env, result, "port", from.port());
  SetString(env, result, "family", from.FamilyName());
  napi_value t;
  napi_get_boolean(env, truncated, &t);
  napi_set_named_property(env, result, "truncated", t);
  op->Resolve(env, result);
}

}  // namespace iocpnet
