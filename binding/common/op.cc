#include "op.h"

#include "addon.h"
#include "engine.h"

namespace iocpnet {

napi_value Op::Begin(napi_env env) {
  napi_value promise = nullptr;
  napi_create_promise(env, &deferred_, &promise);
  return promise;
}

void Op::PinAll(napi_env env, const BufferList& bufs) {
  for (const BufferRef& b : bufs) {
    if (b.length == 0) continue;
    napi_ref ref = nullptr;
    if (napi_create_reference(env, b.owner, 1, &ref) != napi_ok) continue;
    if (pin_ == nullptr) {
      pin_ = ref;
      continue;
    }
    if (!more_pins_) {
      more_pins_.reset(new std::vector<napi_ref>());
      more_pins_->reserve(bufs.size() - 1);
    }
    more_pins_->push_back(ref);
  }
}

static bool Detached(napi_env env, napi_ref pin) {
  napi_value ab = nullptr;
  bool detached = false;
  if (napi_get_reference_value(env, pin, &ab) != napi_ok || ab == nullptr) return true;
  // A pinned buffer is never empty (PinAll skips those), so a null data pointer means detached.
  return napi_is_detached_arraybuffer(env, ab, &detached) != napi_ok || detached;
}

bool Op::PinsDetached(napi_env env) const {
  if (pin_ != nullptr && Detached(env, pin_)) return true;
  if (!more_pins_) return false;
  for (napi_ref ref : *more_pins_) {
    if (Detached(env, ref)) return true;
  }
  return false;
}

void Op::ReleasePins(napi_env env) {
  if (pin_ != nullptr) napi_delete_reference(env, pin_);
  pin_ = nullptr;
  if (!more_pins_) return;
  for (napi_ref ref : *more_pins_) napi_delete_reference(env, ref);
  more_pins_.reset();
}

void Op::Resolve(napi_env env, napi_value value) {
  if (deferred_ == nullptr) return;
  napi_deferred d = deferred_;
  deferred_ = nullptr;
  if (engine_->tearing_down()) return;
  napi_resolve_deferred(env, d, value);
}

void Op::ResolveNumber(napi_env env, double value) {
  if (deferred_ == nullptr || engine_->tearing_down()) return;
  napi_value v;
  napi_create_double(env, value, &v);
  Resolve(env, v);
}

void Op::ResolveUndefined(napi_env env) {
  if (deferred_ == nullptr || engine_->tearing_down()) return;
  napi_value v;
  napi_get_undefined(env, &v);
  Resolve(env, v);
}

void Op::ResolveChunk(napi_env env, const char* data, size_t n) {
  if (deferred_ == nullptr || engine_->tearing_down()) return;
  napi_value v;
  if (n == 0) {
    napi_get_null(env, &v);
  } else if ((v = Addon::Of(env)->NewChunk(env, data, n)) == nullptr) {
    RejectWithPending(env, "cannot allocate a Buffer for the data read");
    return;
  }
  Resolve(env, v);
}

void Op::Reject(napi_env env, const SysError& err) {
  if (deferred_ == nullptr || engine_->tearing_down()) {
    deferred_ = nullptr;
    return;
  }
  RejectWith(env, MakeError(env, err));
}

void Op::Reject(napi_env env, const SysError& err, uint64_t bytes_read) {
  if (bytes_read == 0 || deferred_ == nullptr || engine_->tearing_down()) return Reject(env, err);
  napi_value error = MakeError(env, err);
  napi_value n;
  napi_create_double(env, static_cast<double>(bytes_read), &n);
  napi_set_named_property(env, error, "bytesRead", n);
  RejectWith(env, error);
}

napi_value Op::MakeError(napi_env env, const SysError& err) const {
  return err_at_ ? Addon::Of(env)->MakeError(env, err, syscall_, err_at_->address, err_at_->port)
                 : Addon::Of(env)->MakeError(env, err, syscall_, std::string(), -1);
}

void Op::RejectWith(napi_env env, napi_value error) {
  if (deferred_ == nullptr) return;
  napi_deferred d = deferred_;
  deferred_ = nullptr;
  if (engine_->tearing_down()) return;
  napi_reject_deferred(env, d, error);
}

void Op::RejectWithPending(napi_env env, const char* fallback) {
  napi_value err;
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) napi_get_and_clear_last_exception(env, &err);
  else {
    napi_value msg;
    napi_create_string_utf8(env, fallback, NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, nullptr, msg, &err);  // a reason callers can treat as every other: an Error
  }
  RejectWith(env, err);
}

static bool ReadView(napi_env env, napi_value v, BufferRef* out) {
  bool is = false;
  if (napi_is_typedarray(env, v, &is) == napi_ok && is) {
    napi_typedarray_type type;
    size_t length = 0;
    void* data = nullptr;
    napi_value ab;
    size_t offset = 0;
    if (napi_get_typedarray_info(env, v, &type, &length, &data, &ab, &offset) != napi_ok) return false;
    size_t elem = 1;
    switch (type) {
      case napi_int16_array: case napi_uint16_array: elem = 2; break;
      case napi_int32_array: case napi_uint32_array: case napi_float32_array: elem = 4; break;
      case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array: elem = 8; break;
      default: elem = 1;
    }
    *out = {static_cast<char*>(data), length * elem, ab};
    return true;
  }
  if (napi_is_dataview(env, v, &is) == napi_ok && is) {
    size_t length = 0;
    void* data = nullptr;
    napi_value ab;
    size_t offset = 0;
    if (napi_get_dataview_info(env, v, &length, &data, &ab, &offset) != napi_ok) return false;
    *out = {static_cast<char*>(data), length, ab};
    return true;
  }
  return false;
}

bool ParseBufferList(napi_env env, napi_value value, BufferList* out) {
  out->clear();
  BufferRef one;
  if (ReadView(env, value, &one)) {
    out->push_back(one);
    return true;
  }
  bool is_array = false;
  napi_is_array(env, value, &is_array);
  if (is_array) {
    uint32_t n = 0;
    napi_get_array_length(env, value, &n);
    out->reserve(n);
    for (uint32_t i = 0; i < n; i++) {
      napi_value item;
      napi_get_element(env, value, i, &item);
      if (!ReadView(env, item, &one)) break;
      out->push_back(one);
    }
    if (out->size() == n) return true;
  }
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "expected a Uint8Array or an array of Uint8Array");
  return false;
}

}  // namespace iocpnet
