#include "tcp_wrap.h"

#include "addon.h"
#include "sockaddr.h"
#include "tcp_listener.h"  // backend (win/ or linux/)
#include "tcp_socket.h"    // backend (win/ or linux/)
#include "wrap_helpers.h"

namespace iocpnet {

// ---------------------------------------------------------------------------------------------------------
// A TCP socket's JS side is an External holding the backend's TcpSocket, with a finalizer whose reference
// is the socket's JS owner (SocketBase); lib/ passes it first to every function of `native.tcp`. No object
// of a JS class wraps it: napi_wrap costs a connection 96 bytes of heap (the object, the property array
// its private key needs, and an External inside), and napi_unwrap is a property lookup on every call, which
// perf put at ~2.5% of an echo server's time, twice per round trip. A server holds connections by the
// thousand; this handle is one 32-byte External, and a call unpacks it with a type check and a load.
// That check cannot tell our Externals from another addon's: the functions rely on only lib/ calling them,
// with handles made here (`native` is internal; the package's exports map does not expose it).

namespace {

// Arguments after the handle; missing ones read as undefined, as in CallbackInfo.
class Args {
 public:
  static constexpr size_t kMax = 5;
  Args(napi_env env, const napi_value* v, size_t n) : env_(env) {
    napi_value undefined;
    napi_get_undefined(env, &undefined);
    for (size_t i = 0; i < kMax; i++) v_[i] = i < n ? v[i] : undefined;
  }
  Napi::Value operator[](size_t i) const { return Napi::Value(env_, v_[i]); }

 private:
  napi_env env_;
  napi_value v_[kMax];
};

using SocketFunction = Napi::Value (*)(Napi::Env env, TcpSocket* s, const Args& args);

// A function's C entry point: finds the socket, and turns the C++ exceptions node-addon-api reports JS
// errors with back into JS exceptions.
template <SocketFunction fn>
napi_value Entry(napi_env env, napi_callback_info cb) {
  try {
    size_t argc = Args::kMax + 1;
    napi_value argv[Args::kMax + 1];
    napi_get_cb_info(env, cb, &argc, argv, nullptr, nullptr);
    void* sock = nullptr;
    if (argc < 1 || napi_get_value_external(env, argv[0], &sock) != napi_ok || sock == nullptr) {
      throw Napi::TypeError::New(env, "expected a TCP socket handle");
    }
    return fn(Napi::Env(env), static_cast<TcpSocket*>(sock), Args(env, argv + 1, argc > 0 ? argc - 1 : 0));
  } catch (const Napi::Error& e) {
    e.ThrowAsJavaScriptException();
    return nullptr;
  }
}

// The handle was collected, or its environment is going away.
void OnHandleFinalized(napi_env env, void* data, void*) {
  auto* sock = static_cast<TcpSocket*>(data);
  if (!sock->close_started()) sock->CloseOnCollect();
  napi_ref self = sock->js_owner();
  sock->DropJsOwner(env);
  napi_delete_reference(env, self);  // made by napi_add_finalizer for us, to delete here and only here
  sock->Release();
}

// The handle for `sock`, which then holds the reference the caller had; nullptr (the reference still the
// caller's) when no handle can be made, as while a worker terminates.
napi_value MakeHandle(napi_env env, TcpSocket* sock) {
  napi_value handle = nullptr;
  napi_ref self = nullptr;
  if (napi_create_external(env, sock, nullptr, nullptr, &handle) != napi_ok ||
      napi_add_finalizer(env, handle, sock, OnHandleFinalized, nullptr, &self) != napi_ok) {
    return nullptr;
  }
  sock->SetJsOwner(self);
  return handle;
}

// The socket, or nullptr once close() was called.
TcpSocket* Live(TcpSocket* s) { return s->close_started() ? nullptr : s; }

// open(family: 4 | 6)
Napi::Value Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int af = FamilyArg(info[0]);
  SysError err;
  TcpSocket* sock = TcpSocket::Create(Addon::Of(env)->engine(), af, &err);
  ThrowIfError(env, err, "socket");
  napi_value handle = MakeHandle(env, sock);
  if (handle == nullptr) {
    sock->CloseOnCollect();
    sock->Release();
    throw Napi::Error::New(env, "cannot make the socket's handle");
  }
  return Napi::Value(env, handle);
}

// connect(socket, address, port, localAddress, localPort)
Napi::Value Connect(Napi::Env env, TcpSocket* sock, const Args& a) {
  TcpSocket* s = Live(sock);
  if (s == nullptr) return Rejected(env, SysError::Of(kErrSocketClosed), "connect");
  SockAddr remote, local;
  const int fam = s->family() == AF_INET6 ? 6 : 4;
  const std::string host = StringArg(a[0]);
  if (!remote.Parse(host, PortArg(a[1]))) {
    // The JS layer resolves names and checks families first; reaching here means a mismatch.
    return Rejected(env, SysError::Of("EAFNOSUPPORT"), "connect");
  }
  if (remote.family() != s->family()) return Rejected(env, SysError::Of("EAFNOSUPPORT"), "connect");
  bool has_local = a[2].IsString() || (a[3].IsNumber() && PortArg(a[3]) != 0);
  if (has_local) {
    std::string laddr = a[2].IsString() ? a[2].As<Napi::String>().Utf8Value() : (fam == 6 ? "::" : "0.0.0.0");
    if (!local.Parse(laddr, PortArg(a[3]), fam)) {
      return Rejected(env, SysError::Of("EAFNOSUPPORT"), "bind");
    }
  }
  return Napi::Value(env, s->Connect(env, remote, has_local ? &local : nullptr));
}

// read(socket, buffers)
Napi::Value Read(Napi::Env env, TcpSocket* sock, const Args& a) {
  BufferList bufs;
  if (!ParseBufferList(env, a[0], &bufs)) throw env.GetAndClearPendingException();
  TcpSocket* s = Live(sock);
  if (s == nullptr) return Rejected(env, SysError::Of(kErrSocketClosed), "read");
  return Napi::Value(env, s->Read(env, std::move(bufs), 0));
}

// readChunk(socket, maxBytes)
Napi::Value ReadChunk(Napi::Env env, TcpSocket* sock, const Args& a) {
  const double max = a[0].IsNumber() ? a[0].As<Napi::Number>().DoubleValue() : 0;
  if (!(max >= 1)) throw Napi::RangeError::New(env, "readChunk: maxBytes must be >= 1");
  TcpSocket* s = Live(sock);
  if (s == nullptr) return Rejected(env, SysError::Of(kErrSocketClosed), "read");
  return Napi::Value(env, s->Read(env, BufferList(), static_cast<size_t>(max)));
}

// write(socket, buffers, id)
Napi::Value Write(Napi::Env env, TcpSocket* sock, const Args& a) {
  BufferList bufs;
  if (!ParseBufferList(env, a[0], &bufs)) throw env.GetAndClearPendingException();
  uint32_t id = a[1].IsNumber() ? a[1].As<Napi::Number>().Uint32Value() : 0;
  TcpSocket* s = Live(sock);
  if (s == nullptr) return Rejected(env, SysError::Of(kErrSocketClosed), "write");
  return Napi::Value(env, s->Write(env, std::move(bufs), id));
}

Napi::Value Shutdown(Napi::Env env, TcpSocket* sock, const Args&) {
  TcpSocket* s = Live(sock);
  if (s == nullptr) return Rejected(env, SysError::Of(kErrSocketClosed), "shutdown");
  return Napi::Value(env, s->Shutdown(env));
}

// Idempotent: a later call finds nothing left to close or fail, and SocketBase::BeginClose hands out the
// first call's promise again.
Napi::Value Close(Napi::Env env, TcpSocket* sock, const Args&) { return Napi::Value(env, sock->Close(env)); }

Napi::Value CancelRead(Napi::Env env, TcpSocket* sock, const Args&) {
  if (TcpSocket* s = Live(sock)) s->CancelRead();
  return env.Undefined();
}

Napi::Value CancelWrite(Napi::Env env, TcpSocket* sock, const Args& a) {
  if (TcpSocket* s = Live(sock)) s->CancelWrite(env, a[0].IsNumber() ? a[0].As<Napi::Number>().Uint32Value() : 0);
  return env.Undefined();
}

Napi::Value CancelConnect(Napi::Env env, TcpSocket* sock, const Args&) {
  if (TcpSocket* s = Live(sock)) s->CancelConnect();
  return env.Undefined();
}

Napi::Value SetNoDelay(Napi::Env env, TcpSocket* sock, const Args& a) {
  TcpSocket* s = Live(sock);
  if (s == nullptr) ThrowIfError(env, SysError::Of(kErrSocketClosed), "setsockopt");
  ThrowIfError(env, s->SetNoDelay(a[0].ToBoolean()), "setsockopt");
  return env.Undefined();
}

Napi::Value SetKeepAlive(Napi::Env env, TcpSocket* sock, const Args& a) {
  TcpSocket* s = Live(sock);
  if (s == nullptr) ThrowIfError(env, SysError::Of(kErrSocketClosed), "setsockopt");
  uint32_t delay_ms = a[1].IsNumber() ? a[1].As<Napi::Number>().Uint32Value() : 0;
  ThrowIfError(env, s->SetKeepAlive(a[0].ToBoolean(), delay_ms), "setsockopt");
  return env.Undefined();
}

Napi::Value SetBufferSize(Napi::Env env, TcpSocket* sock, const Args& a) {
  TcpSocket* s = Live(sock);
  if (s == nullptr) ThrowIfError(env, SysError::Of(kErrSocketClosed), "setsockopt");
  int size = a[1].IsNumber() ? a[1].As<Napi::Number>().Int32Value() : 0;
  ThrowIfError(env, s->SetBufferSize(a[0].ToBoolean(), size), "setsockopt");
  return env.Undefined();
}

// Also after close(): a connection keeps the addresses it was connected with, and JS asks for them only
// when someone reads them.
Napi::Value Addresses(Napi::Env env, TcpSocket* s, const Args&) {
  SockAddr local, remote;
  ThrowIfError(env, s->LocalAddress(&local), "getsockname");
  ThrowIfError(env, s->RemoteAddress(&remote), "getpeername");
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, AddressTriple(env, local));
  out.Set(1u, AddressTriple(env, remote));
  return out;
}

napi_property_descriptor FunctionNamed(const char* name, napi_callback entry) {
  return napi_property_descriptor{name, nullptr, entry, nullptr, nullptr, nullptr, napi_enumerable, nullptr};
}

}  // namespace

void TcpSocketWrap::Init(Napi::Env env, Napi::Object exports, Addon*) {
  const napi_property_descriptor functions[] = {
      FunctionNamed("connect", Entry<Connect>),
      FunctionNamed("read", Entry<Read>),
      FunctionNamed("readChunk", Entry<ReadChunk>),
      FunctionNamed("write", Entry<Write>),
      FunctionNamed("shutdown", Entry<Shutdown>),
      FunctionNamed("close", Entry<Close>),
      FunctionNamed("cancelRead", Entry<CancelRead>),
      FunctionNamed("cancelWrite", Entry<CancelWrite>),
      FunctionNamed("cancelConnect", Entry<CancelConnect>),
      FunctionNamed("setNoDelay", Entry<SetNoDelay>),
      FunctionNamed("setKeepAlive", Entry<SetKeepAlive>),
      FunctionNamed("setBufferSize", Entry<SetBufferSize>),
      FunctionNamed("addresses", Entry<Addresses>),
  };
  Napi::Object tcp = Napi::Object::New(env);
  NAPI_THROW_IF_FAILED_VOID(env, napi_define_properties(env, tcp, sizeof functions / sizeof functions[0], functions));
  tcp.Set("open", Napi::Function::New(env, Open, "open"));
  exports.Set("tcp", tcp);
}

napi_value TcpSocketWrap::FromAccepted(napi_env env, TcpSocket* sock) { return MakeHandle(env, sock); }

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
  listener_->SetJsOwner(*this);
}

TcpListenerWrap::~TcpListenerWrap() {
  if (!listener_->close_started()) listener_->CloseOnCollect();
  listener_->DropJsOwner(Env());
  listener_->Release();
}

// listen(address, port, backlog, ipv6Only, exclusive, reuseAddr, acceptDepth, onAccept)
Napi::Value TcpListenerWrap::Listen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (listener_->close_started()) ThrowIfError(env, SysError::Of(kErrSocketClosed), "listen");
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
  if (!listener_->close_started()) listener_->Pause();
  return info.Env().Undefined();
}

Napi::Value TcpListenerWrap::Resume(const Napi::CallbackInfo& info) {
  if (!listener_->close_started()) listener_->Resume(info.Env());
  return info.Env().Undefined();
}

Napi::Value TcpListenerWrap::Address(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SockAddr a;
  if (listener_->close_started()) ThrowIfError(env, SysError::Of(kErrSocketClosed), "getsockname");
  ThrowIfError(env, listener_->LocalAddress(&a), "getsockname");
  return AddressTriple(env, a);
}

// Idempotent, as UdpSocketWrap::Close.
Napi::Value TcpListenerWrap::Close(const Napi::CallbackInfo& info) {
  return Napi::Value(info.Env(), listener_->Close(info.Env()));
}

}  // namespace iocpnet
