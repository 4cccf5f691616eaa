#include "datagram_result.h"

#include <cstring>

#include "addon.h"
#include "datagram_keys.h"
#include "engine.h"

namespace iocpnet {

DatagramKeys::DatagramKeys(napi_env env) {
  static const char* const kText[] = {"bytes", "data", "address", "port", "family", "truncated", "IPv4", "IPv6", ""};
  Napi::Array strings = Napi::Array::New(env, kSlots);
  for (uint32_t i = 0; i < kSlots; i++) strings.Set(i, Napi::String::New(env, kText[i]));
  strings_ = Napi::Persistent(Napi::Object(strings));
}

napi_value DatagramKeys::Get(napi_env env, Slot slot) const {
  napi_value v;
  napi_get_element(env, strings_.Value(), slot, &v);
  return v;
}

napi_value DatagramKeys::AddressOf(napi_env env, const SockAddr& from) {
  if (has_last_ && from.len == last_from_.len && std::memcmp(from.get(), last_from_.get(), from.len) == 0) {
    return Get(env, kLastAddress);
  }
  napi_value text;
  napi_create_string_utf8(env, from.Address().c_str(), NAPI_AUTO_LENGTH, &text);
  napi_set_element(env, strings_.Value(), kLastAddress, text);
  last_from_ = from;
  has_last_ = true;
  return text;
}

namespace {

void Set(napi_env env, napi_value obj, const DatagramKeys& keys, DatagramKeys::Slot key, napi_value value) {
  napi_set_property(env, obj, keys.Get(env, key), value);
}

}  // namespace

void ResolveDatagram(Op* op, napi_env env, const char* chunk, size_t bytes, const SockAddr& from, bool truncated) {
  if (op->settled() || op->engine()->tearing_down()) return;
  DatagramKeys& keys = Addon::Of(env)->datagram_keys(env);
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
    Set(env, result, keys, DatagramKeys::kData, data);
  } else {
    napi_value n;
    napi_create_double(env, static_cast<double>(bytes), &n);
    Set(env, result, keys, DatagramKeys::kBytes, n);
  }
  Set(env, result, keys, DatagramKeys::kAddress, keys.AddressOf(env, from));
  napi_value port;
  napi_create_uint32(env, from.port(), &port);
  Set(env, result, keys, DatagramKeys::kPort, port);
  Set(env, result, keys, DatagramKeys::kFamily, keys.Get(env, from.family() == AF_INET6 ? DatagramKeys::kIPv6 : DatagramKeys::kIPv4));
  napi_value t;
  napi_get_boolean(env, truncated, &t);
  Set(env, result, keys, DatagramKeys::kTruncated, t);
  op->Resolve(env, result);
}

}  // namespace iocpnet
