#include "addon.h"

#include <cstring>

#include "tcp_wrap.h"
#include "udp_wrap.h"

#ifdef _WIN32
#include "dns_servers.h"
#endif

namespace iocpnet {

#ifdef _WIN32
static const char* kBackend = "iocp";
#else
static const char* kBackend = "epoll";
#endif

#ifdef _WIN32
// dnsServers(): the adapters' DNS servers (binding/win/dns_servers.h), for lib/dns/config.ts. Linux has
// /etc/resolv.conf, read in JavaScript, and no such function.
static Napi::Value DnsServers(const Napi::CallbackInfo& info) {
  SysError err;
  std::vector<std::string> servers = SystemDnsServers(&err);
  if (!err.ok()) {
    Addon::Of(info.Env())->ThrowError(info.Env(), err, "GetAdaptersAddresses");
    return info.Env().Undefined();
  }
  Napi::Array out = Napi::Array::New(info.Env(), servers.size());
  for (size_t i = 0; i < servers.size(); i++) out.Set(static_cast<uint32_t>(i), Napi::String::New(info.Env(), servers[i]));
  return out;
}
#endif

Addon::Addon(Napi::Env env, Napi::Object exports) : env_(env) {
  SysError err;
  engine_ = Engine::Create(env, &err);
  if (engine_ == nullptr) {
    Napi::Error e = Napi::Error::New(env, std::string("iocp-net: cannot start the completion engine (") +
                                              err.code + ", " + std::to_string(err.native) + ")");
    e.Set("code", Napi::String::New(env, err.code));
    throw e;
  }
  napi_add_env_cleanup_hook(env, OnEnvCleanup, this);

  DefineAddon(exports, {
                           InstanceMethod("setErrorFactory", &Addon::SetErrorFactory),
                           InstanceMethod("setDatagramFactory", &Addon::SetDatagramFactory),
                           InstanceMethod("setChunkAllocator", &Addon::SetChunkAllocator),
                           InstanceMethod("stats", &Addon::GetStats),
                           InstanceValue("backend", Napi::String::New(env, kBackend)),
                       });
  TcpSocketWrap::Init(env, exports, this);
  TcpListenerWrap::Init(env, exports, this);
  UdpSocketWrap::Init(env, exports, this);
#ifdef _WIN32
  exports.Set("dnsServers", Napi::Function::New(env, DnsServers, "dnsServers"));
#endif
}

Addon::~Addon() {
  if (engine_ != nullptr) {
    napi_remove_env_cleanup_hook(env_, OnEnvCleanup, this);
    engine_->Release();
  }
}

void Addon::OnEnvCleanup(void* arg) {
  auto* self = static_cast<Addon*>(arg);
  if (self->engine_ != nullptr) self->engine_->Shutdown(self->env_);
}

Napi::Value Addon::SetErrorFactory(const Napi::CallbackInfo& info) {
  if (!info[0].IsFunction()) throw Napi::TypeError::New(info.Env(), "setErrorFactory expects a function");
  error_factory_ = Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

Napi::Value Addon::SetDatagramFactory(const Napi::CallbackInfo& info) {
  if (!info[0].IsFunction()) throw Napi::TypeError::New(info.Env(), "setDatagramFactory expects a function");
  datagram_factory_.Set(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

Napi::Value Addon::SetChunkAllocator(const Napi::CallbackInfo& info) {
  if (info[0].IsNull()) {
    chunk_allocator_.Reset();
    return info.Env().Undefined();
  }
  if (!info[0].IsFunction()) throw Napi::TypeError::New(info.Env(), "setChunkAllocator expects a function or null");
  chunk_allocator_ = Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

napi_value Addon::NewChunk(napi_env env, const char* data, size_t n) {
  napi_value out;
  if (chunk_allocator_.IsEmpty()) {
    return napi_create_buffer_copy(env, n, data, nullptr, &out) == napi_ok ? out : nullptr;
  }
  napi_value size, undefined;
  napi_create_uint32(env, static_cast<uint32_t>(n), &size);
  napi_get_undefined(env, &undefined);
  if (napi_call_function(env, undefined, chunk_allocator_.Value(), 1, &size, &out) != napi_ok) return nullptr;
  void* mem = nullptr;
  size_t len = 0;
  // Anything but a Buffer of at least n bytes is refused rather than written past.
  if (napi_get_buffer_info(env, out, &mem, &len) != napi_ok || len < n) return nullptr;
  if (n > 0) memcpy(mem, data, n);  // an empty datagram's Buffer may have no memory at all
  return out;
}

Napi::Value Addon::GetStats(const Napi::CallbackInfo& info) {
  EngineStats st = engine_->Stats();
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("sockets", Napi::Number::New(info.Env(), static_cast<double>(st.sockets)));
  o.Set("opsInFlight", Napi::Number::New(info.Env(), static_cast<double>(st.ops_in_flight)));
  o.Set("osHandles", Napi::Number::New(info.Env(), static_cast<double>(st.os_handles)));
  return o;
}

napi_value Addon::MakeError(napi_env env, const SysError& err, const char* syscall, const std::string& address,
                            int port) {
  Napi::Env e(env);
  const char* code = err.code != nullptr ? err.code : "UNKNOWN";
  if (!error_factory_.IsEmpty()) {
    Napi::Value addr = address.empty() ? e.Undefined() : Napi::String::New(e, address);
    Napi::Value p = port < 0 ? e.Undefined() : Napi::Number::New(e, port);
    Napi::Value made = error_factory_.Call({Napi::String::New(e, code), Napi::String::New(e, syscall),
                                            Napi::Number::New(e, static_cast<double>(err.native)), addr, p});
    if (!made.IsEmpty()) return made;
  }
  Napi::Error plain = Napi::Error::New(e, std::string(syscall) + " " + code);
  plain.Set("code", Napi::String::New(e, code));
  plain.Set("syscall", Napi::String::New(e, syscall));
  return plain.Value();
}

void Addon::ThrowError(napi_env env, const SysError& err, const char* syscall, const std::string& address,
                       int port) {
  napi_throw(env, MakeError(env, err, syscall, address, port));
}

}  // namespace iocpnet

using IocpNetAddon = iocpnet::Addon;
NODE_API_ADDON(IocpNetAddon)
