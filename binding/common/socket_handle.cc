#include "socket_handle.h"

#include "wrap_helpers.h"

namespace iocpnet {

namespace {

// The handle was collected, or its environment is going away.
void OnHandleFinalized(napi_env env, void* data, void*) {
  auto* sock = static_cast<SocketBase*>(data);
  if (!sock->close_started()) sock->CloseOnCollect();
  napi_ref self = sock->js_owner();
  sock->DropJsOwner(env);
  napi_delete_reference(env, self);  // made by napi_add_finalizer for us, to delete here and only here
  sock->Release();
}

}  // namespace

napi_value MakeSocketHandle(napi_env env, SocketBase* sock) {
  napi_value handle = nullptr;
  napi_ref self = nullptr;
  if (napi_create_external(env, sock, nullptr, nullptr, &handle) != napi_ok ||
      napi_add_finalizer(env, handle, sock, OnHandleFinalized, nullptr, &self) != napi_ok) {
    return nullptr;
  }
  sock->SetJsOwner(self);
  return handle;
}

Napi::Value HandleOfNew(Napi::Env env, SocketBase* sock, const SysError& err) {
  if (sock == nullptr) {
    ThrowIfError(env, err.ok() ? SysError::Of("ENOMEM") : err, "socket");
  }
  napi_value handle = MakeSocketHandle(env, sock);
  if (handle == nullptr) {
    sock->CloseOnCollect();
    sock->Release();
    throw Napi::Error::New(env, "cannot make the socket's handle");
  }
  return Napi::Value(env, handle);
}

void ExportHandleFunctions(Napi::Env env, Napi::Object exports, const char* name,
                           const napi_property_descriptor* functions, size_t count, Napi::Function::Callback open) {
  Napi::Object object = Napi::Object::New(env);
  NAPI_THROW_IF_FAILED_VOID(env, napi_define_properties(env, object, count, functions));
  object.Set("open", Napi::Function::New(env, open, "open"));
  exports.Set(name, object);
}

HandleArgs::HandleArgs(napi_env env, const napi_value* v, size_t n) : env_(env) {
  napi_value undefined;
  napi_get_undefined(env, &undefined);
  for (size_t i = 0; i < kMax; i++) v_[i] = i < n ? v[i] : undefined;
}

}  // namespace iocpnet
