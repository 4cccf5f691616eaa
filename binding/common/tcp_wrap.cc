#include "tcp_wrap.h"

#include "addon.h"
#include "sockaddr.h"
#include "tcp_listener.h"  // backend (win/ or linux/)
#include "tcp_socket.h"    // backend (win/ or linux/)
#include "wrap_helpers.h"

namespace iocpnet {

// ---------------------------------------------------------------------------------------------------------
// TcpSocketWrap

void TcpSocketWrap::Init(Napi::Env env, Napi::Object exports, Addon* addon) {
  Napi::Function ctor = DefineClass(env, "TcpSocket",
                                    {
                                        InstanceMethod("connect", &TcpSocketWrap::Connect),
                                        InstanceMethod("read", &TcpSocketWrap::Read),
                                        InstanceMethod("readChunk", &TcpSocketWrap::ReadChunk),
                                        InstanceMethod("write", &TcpSocketWrap::Write),
                                        InstanceMethod("shutdown", &TcpSocketWrap::Shutdown),
                                        InstanceMethod("close", &TcpSocketWrap::Close),
                                        InstanceMethod("cancelRead", &TcpSocketWrap::CancelRead),
                                        InstanceMethod("cancelWrite", &TcpSocketWrap::CancelWrite),
                                        InstanceMethod("cancelConnect", &TcpSocketWrap::CancelConnect),
                                        InstanceMethod("setNoDelay", &TcpSocketWrap::SetNoDelay),
                                        InstanceMethod("setKeepAlive", &TcpSocketWrap::SetKeepAlive),
                                        InstanceMethod("setBufferSize", &TcpSocketWrap::SetBufferSize),
                                        InstanceMethod("addresses", &TcpSocketWrap::Addresses),
                                    });
  addon->tcp_socket_ctor = Napi::Persistent(ctor);
  exports.Set("TcpSocket", ctor);
}

napi_value TcpSocketWrap::FromAccepted(napi_env env, TcpSocket* sock) {
  Napi::Env e(env);
  Napi::External<TcpSocket> ext = Napi::External<TcpSocket>::New(e, sock);
  return Addon::Of(env)->tcp_socket_ctor.New({ext});
}

TcpSocketWrap::TcpSocketWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TcpSocketWrap>(info) {
  Napi::Env env = info.Env();
  if (info[0].IsExternal()) {
    sock_ = info[0].As<Napi::External<TcpSocket>>().Data();
    sock_->SetJsOwner(env, info.This());
    return;
  }
  int family = info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : 0;
  if (family != 4 && family != 6) {
    Napi::RangeError e = Napi::RangeError::New(env, "family must be 4 or 6");
    e.Set("code", Napi::String::New(env, "ERR_OUT_OF_RANGE"));
    throw e;
  }
  SysError err;
  sock_ = TcpSocket::Create(Addon::Of(env)->engine(), family == 6 ? AF_INET6 : AF_INET, &err);
  if (sock_ == nullptr) {
    Addon::Of(env)->ThrowError(env, err, "socket");
    throw env.GetAndClearPendingException();
  }
  sock_->SetJsOwner(env, info.This());
}

TcpSocketWrap::~TcpSocketWrap() {
  if (sock_ == nullptr) return;
  if (!closed_) sock_->CloseOnCollect();
  sock_->DropJsOwner(Env());
  sock_->Release();
}

TcpSocket* TcpSocketWrap::Live(const Napi::Env&) { return closed_ ? nullptr : sock_; }

Napi::Value TcpSocketWrap::Connect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  TcpSocket* s = Live(env);
  if (s == nullptr) return Rejected(env, SysError::Of(kErrSocketClosed), "connect");
  SockAddr remote, local;
  const int fam = s->family() == AF_INET6 ? 6 : 4;
  const std::string host = StringArg(info[0]);
  if (!remote.Parse(host, PortArg(info[1]))) {
    // The JS layer resolves names and checks families first; reaching here means a mismatch.
    return Rejected(env, SysError::Of("EAFNOSUPPORT"), "connect");
  }
  if (remote.family() != s->family()) return Rejected(env, SysError::Of("EAFNOSUPPORT"), "connect");
  bool has_local = info[2].IsString() || (info[3].IsNumber() && PortArg(info[3]) != 0);
  if (has_local) {
    std::string laddr = info[2].IsString() ? info[2].As<Napi::String>().Utf8Value() : (fam == 6 ? "::" : "0.0.0.0");
    if (!local.Parse(laddr, PortArg(info[3]), fam)) {
      return Rejected(env, SysError::Of("EAFNOSUPPORT"), "bind");
    }
  }
  return Napi::Value(env, s->Connect(env, remote, has_local ? &local : nullptr));
}

Napi::Value TcpSocketWrap::Read(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  BufferList bufs;
  if (!ParseBufferList(env, info[0], &bufs)) throw env.GetAndClearPendingException();
  TcpSocket* s = Live(env);
  if (s == nullptr) return Rejected(env, SysError::Of(kErrSocketClosed), "read");
  return Napi::Value(env, s->Read(env, std::move(bufs), 0));
}

Napi::Value TcpSocketWrap::ReadChunk(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const double max = info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : 0;
  if (!(max >= 1)) throw Napi::RangeError::New(env, "readChunk: maxBytes must be >= 1");
  TcpSocket* s = Live(env);
  if (s == nullptr) return Rejected(env, SysError::Of(kErrSocketClosed), "read");
  return Napi::Value(env, s->Read(env, BufferList(), static_cast<size_t>(max)));
}

Napi::Value TcpSocketWrap::Write(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  BufferList bufs;
  if (!ParseBufferList(env, info[0], &bufs)) throw env.GetAndClearPendingException();
  uint32_t id = info[1].IsNumber() ? info[1].As<Napi::Number>().Uint32Value() : 0;
  TcpSocket* s = Live(env);
  if (s == nullptr) return Rejected(env, SysError::Of(kErrSocketClosed), "write");
  return Napi::Value(env, s->Write(env, std::move(bufs), id));
}

Napi::Value TcpSocketWrap::Shutdown(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  TcpSocket* s = Live(env);
  if (s == nullptr) return Rejected(env, SysError::Of(kErrSocketClosed), "shutdown");
  return Napi::Value(env, s->Shutdown(env));
}

Napi::Value TcpSocketWrap::Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!closed_) {
    closed_ = true;
    close_promise_ = Napi::Persistent(Napi::Value(env, sock_->Close(env)).As<Napi::Promise>());
  }
  return close_promise_.Value();
}

Napi::Value TcpSocketWrap::CancelRead(const Napi::CallbackInfo& info) {
  if (TcpSocket* s = Live(info.Env())) s->CancelRead();
  return info.Env().Undefined();
}

Napi::Value TcpSocketWrap::CancelWrite(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (TcpSocket* s = Live(env)) s->CancelWrite(env, info[0].IsNumber() ? info[0].As<Napi::Number>().Uint32Value() : 0);
  return env.Undefined();
}

Napi::Value TcpSocketWrap::CancelConnect(const Napi::CallbackInfo& info) {
  if (TcpSocket* s = Live(info.Env())) s->CancelConnect();
  return info.Env().Undefined();
}

Napi::Value TcpSocketWrap::SetNoDelay(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  TcpSocket* s = Live(env);
  if (s == nullptr) ThrowIfError(env, SysError::Of(kErrSocketClosed), "setsockopt");
  ThrowIfError(env, s->SetNoDelay(info[0].ToBoolean()), "setsockopt");
  return env.Undefined();
}

Napi::Value TcpSocketWrap::SetKeepAlive(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  TcpSocket* s = Live(env);
  if (s == nullptr) ThrowIfError(env, SysError::Of(kErrSocketClosed), "setsockopt");
  uint32_t delay_ms = info[1].IsNumber() ? info[1].As<Napi::Number>().Uint32Value() : 0;
  ThrowIfError(env, s->SetKeepAlive(info[0].ToBoolean(), delay_ms), "setsockopt");
  return env.Undefined();
}

Napi::Value TcpSocketWrap::SetBufferSize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  TcpSocket* s = Live(env);
  if (s == nullptr) ThrowIfError(env, SysError::Of(kErrSocketClosed), "setsockopt");
  int size = info[1].IsNumber() ? info[1].As<Napi::Number>().Int32Value() : 0;
  ThrowIfError(env, s->SetBufferSize(info[0].ToBoolean(), size), "setsockopt");
  return env.Undefined();
}

Napi::Value TcpSocketWrap::Addresses(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  TcpSocket* s = Live(env);
  if (s == nullptr) ThrowIfError(env, SysError::Of(kErrSocketClosed), "getsockname");
  SockAddr local, remote;
  ThrowIfError(env, s->LocalAddress(&local), "getsockname");
  ThrowIfError(env, s->RemoteAddress(&remote), "getpeername");
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, AddressTriple(env, local));
  out.Set(1u, AddressTriple(env, remote));
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// TcpListenerWrap

void TcpListenerWrap::Init(Napi::Env env, Napi::Object exports, Addon* addon) {
  Napi::Function ctor = DefineClass(env, "TcpListener",
                                    {
                                        InstanceMethod("listen", &TcpListenerWrap::Listen),
                                        InstanceMethod("pause", &TcpListenerWrap::Pause),
                                        InstanceMethod("resume", &TcpListenerWrap::Resume),
                                        InstanceMethod("address", &TcpListenerWrap::Address),
                                        InstanceMethod("close", &TcpListenerWrap::Close),
                                    });
  addon->tcp_listener_ctor = Napi::Persistent(ctor);
  exports.Set("TcpListener", ctor);
}

TcpListenerWrap::TcpListenerWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TcpListenerWrap>(info) {
  listener_ = new TcpListener(Addon::Of(info.Env())->engine());
  listener_->SetJsOwner(info.Env(), info.This());
}

TcpListenerWrap::~TcpListenerWrap() {
  if (!closed_) listener_->CloseOnCollect();
  listener_->DropJsOwner(Env());
  listener_->Release();
}

// listen(address, port, backlog, ipv6Only, exclusive, reuseAddr, acceptDepth, onAccept)
Napi::Value TcpListenerWrap::Listen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closed_) ThrowIfError(env, SysError::Of(kErrSocketClosed), "listen");
  SockAddr addr;
  const std::string host = StringArg(info[0]);
  const uint16_t port = PortArg(info[1]);
  if (!addr.Parse(host, port)) ThrowIfError(env, SysError::Of("EAFNOSUPPORT"), "bind");
  ListenOptions opts;
  opts.backlog = info[2].IsNumber() ? info[2].As<Napi::Number>().Int32Value() : -1;
  opts.ipv6_only = info[3].ToBoolean();
  opts.exclusive = info[4].ToBoolean();
  opts.reuse_addr = info[5].ToBoolean();
  opts.accept_depth = info[6].IsNumber() ? info[6].As<Napi::Number>().Int32Value() : 32;
  if (!info[7].IsFunction()) throw Napi::TypeError::New(env, "onAccept must be a function");
  const char* syscall = "bind";
  SysError err = listener_->Listen(env, addr, opts, info[7].As<Napi::Function>(), &syscall);
  if (!err.ok()) {
    Addon::Of(env)->ThrowError(env, err, syscall, host, port);
    throw env.GetAndClearPendingException();
  }
  return env.Undefined();
}

Napi::Value TcpListenerWrap::Pause(const Napi::CallbackInfo& info) {
  if (!closed_) listener_->Pause();
  return info.Env().Undefined();
}

Napi::Value TcpListenerWrap::Resume(const Napi::CallbackInfo& info) {
  if (!closed_) listener_->Resume(info.Env());
  return info.Env().Undefined();
}

Napi::Value TcpListenerWrap::Address(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SockAddr a;
  if (closed_) ThrowIfError(env, SysError::Of(kErrSocketClosed), "getsockname");
  ThrowIfError(env, listener_->LocalAddress(&a), "getsockname");
  return AddressTriple(env, a);
}

Napi::Value TcpListenerWrap::Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!closed_) {
    closed_ = true;
    close_promise_ = Napi::Persistent(Napi::Value(env, listener_->Close(env)).As<Napi::Promise>());
  }
  return close_promise_.Value();
}

}  // namespace iocpnet
