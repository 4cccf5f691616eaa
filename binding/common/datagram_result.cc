#include "datagram_result.h"

#include <cstring>

#include "addon.h"
#include "datagram_factory.h"
#include "engine.h"

namespace iocpnet {

napi_value DatagramFactory::Make(napi_env env, napi_value bytes_or_data, const SockAddr& from, bool truncated) {
  napi_value args[5];
  args[0] = bytes_or_data;
  if (has_last_ && from.len == last_from_.len && std::memcmp(from.get(), last_from_.get(), from.len) == 0) {
    napi_get_undefined(env, &args[1]);
  } else {
    napi_create_string_utf8(env, from.Address().c_str(), NAPI_AUTO_LENGTH, &args[1]);
    last_from_ = from;
    has_last_ = true;
  }
  napi_create_uint32(env, from.port(), &args[2]);
  napi_get_boolean(env, from.family() == AF_INET6, &args[3]);
  napi_get_boolean(env, truncated, &args[4]);
  napi_value undefined, result;
  napi_get_undefined(env, &undefined);
  if (napi_call_function(env, undefined, fn_.Value(), 5, args, &result) != napi_ok) {
    has_last_ = false;  // the function may not have kept the address text
    return nullptr;
  }
  return result;
}

namespace {

// Without a registered factory (the addon used without lib/udp.ts): the same object, built here.
napi_value MakeHere(napi_env env, napi_value bytes_or_data, bool chunk, const SockAddr& from, bool truncated) {
  napi_value result, v;
  napi_create_object(env, &result);
  napi_set_named_property(env, result, chunk ? "data" : "bytes", bytes_or_data);
  napi_create_string_utf8(env, from.Address().c_str(), NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, result, "address", v);
  napi_create_uint32(env, from.port(), &v);
  napi_set_named_property(env, result, "port", v);
  napi_create_string_utf8(env, from.FamilyName(), NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, result, "family", v);
  napi_get_boolean(env, truncated, &v);
  napi_set_named_property(env, result, "truncated", v);
  return result;
}

}  // namespace

void ResolveDatagram(Op* op, napi_env env, const char* chunk, size_t bytes, const SockAddr& from, bool truncated) {
  if (op->settled() || op->engine()->tearing_down()) return;
  napi_value first;
  if (chunk != nullptr) {
    // Made the way TCP chunks are (Addon::NewChunk): a DNS answer or a small datagram is a slice of Node's pool.
    if ((first = Addon::Of(env)->NewChunk(env, bytes > 0 ? chunk : "", bytes)) == nullptr) {
      op->RejectWithPending(env, "cannot allocate a Buffer for the datagram");
      return;
    }
  } else {
    napi_create_double(env, static_cast<double>(bytes), &first);
  }
  DatagramFactory& factory = Addon::Of(env)->datagram_factory();
  napi_value result = factory.empty() ? MakeHere(env, first, chunk != nullptr, from, truncated)
                                      : factory.Make(env, first, from, truncated);
  if (result == nullptr) {
    op->RejectWithPending(env, "cannot make the datagram result");
    return;
  }
  op->Resolve(env, result);
}

}  // namespace iocpnet
