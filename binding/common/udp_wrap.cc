#include "udp_wrap.h"

#include "addon.h"
#include "sockaddr.h"
#include "udp_options.h"
#include "udp_socket.h"  // backend (win/ or linux/)
#include "wrap_helpers.h"

namespace iocpnet {

namespace {

// An address for a socket of family af. An IPv6 socket takes IPv4 addresses too, as IPv4-mapped ones
// (it is dual-stack unless ipv6Only was asked, and then the OS refuses them).
bool ParseFor(int af, const std::string& host, uint16_t port, SockAddr* out) {
  if (af == AF_INET) return out->Parse(host, port, 4);
  if (out->Parse(host, port, 6)) return true;
  SockAddr v4;
  if (!v4.Parse(host, port, 4)) return false;
  *out = SockAddr();
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&out->storage);
  in6->sin6_family = AF_INET6;
  in6->sin6_port = htons(port);
  auto* bytes = reinterpret_cast<unsigned char*>(&in6->sin6_addr);
  bytes[10] = bytes[11] = 0xff;
  std::memcpy(bytes + 12, &reinterpret_cast<const sockaddr_in*>(&v4.storage)->sin_addr, 4);
  out->len = sizeof(sockaddr_in6);
  return true;
}

}  // namespace

void UdpSocketWrap::Init(Napi::Env env, Napi::Object exports, Addon*) {
  Napi::Function ctor = DefineClass(env, "UdpSocket",
                                    {
                                        InstanceMethod("bind", &UdpSocketWrap::Bind),
                                        InstanceMethod("connect", &UdpSocketWrap::Connect),
                                        InstanceMethod("disconnect", &UdpSocketWrap::Disconnect),
                                        InstanceMethod("send", &UdpSocketWrap::Send),
                                        InstanceMethod("recv", &UdpSocketWrap::Recv),
                                        InstanceMethod("recvChunk", &UdpSocketWrap::RecvChunk),
                                        InstanceMethod("close", &UdpSocketWrap::Close),
                                        InstanceMethod("cancelRecv", &UdpSocketWrap::CancelRecv),
                                        InstanceMethod("cancelSend", &UdpSocketWrap::CancelSend),
                                        InstanceMethod("setOption", &UdpSocketWrap::SetOption),
                                        InstanceMethod("getOption", &UdpSocketWrap::GetOption),
                                        InstanceMethod("setMulticastInterface", &UdpSocketWrap::SetMulticastInterface),
                                        InstanceMethod("membership", &UdpSocketWrap::Membership),
                                        InstanceMethod("sourceMembership", &UdpSocketWrap::SourceMembership),
                                        InstanceMethod("addresses", &UdpSocketWrap::Addresses),
                                    });
  exports.Set("UdpSocket", ctor);
}

UdpSocketWrap::UdpSocketWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<UdpSocketWrap>(info) {
  Napi::Env env = info.Env();
  const int af = FamilyArg(info[0]);
  SysError err;
  sock_ = UdpSocket::Create(Addon::Of(env)->engine(), af, &err);
  if (sock_ == nullptr) ThrowIfError(env, err, "socket");
  sock_->SetJsOwner(*this);
}

UdpSocketWrap::~UdpSocketWrap() {
  if (sock_ == nullptr) return;
  if (!sock_->close_started()) sock_->CloseOnCollect();
  sock_->DropJsOwner(Env());
  sock_->Release();
}

UdpSocket* UdpSocketWrap::LiveOrThrow(const Napi::Env& env, const char* syscall) {
  if (sock_->close_started()) ThrowIfError(env, SysError::Of(kErrSocketClosed), syscall);
  return sock_;
}

// bind(address, port, reuseAddress, ipv6Only, exclusive)
Napi::Value UdpSocketWrap::Bind(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  UdpSocket* s = LiveOrThrow(env, "bind");
  const std::string host = StringArg(info[0]);
  const uint16_t port = PortArg(info[1]);
  SockAddr addr;
  if (!ParseFor(s->family(), host, port, &addr)) ThrowIfError(env, SysError::Of("EAFNOSUPPORT"), "bind", host, port);
  UdpBindOptions opts;
  opts.reuse_addr = info[2].ToBoolean();
  opts.ipv6_only = info[3].ToBoolean();
  opts.exclusive = info[4].ToBoolean();
  const char* syscall = "bind";
  ThrowIfError(env, s->Bind(addr, opts, &syscall), syscall, host, port);
  return env.Undefined();
}

// connect(address, port): UDP's connect only records the peer, so it completes at once.
Napi::Value UdpSocketWrap::Connect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  UdpSocket* s = LiveOrThrow(env, "connect");
  const std::string host = StringArg(info[0]);
  const uint16_t port = PortArg(info[1]);
  SockAddr remote;
  if (!ParseFor(s->family(), host, port, &remote)) {
    ThrowIfError(env, SysError::Of("EAFNOSUPPORT"), "connect", host, port);
  }
  ThrowIfError(env, s->Connect(remote), "connect", host, port);
  return env.Undefined();
}

Napi::Value UdpSocketWrap::Disconnect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ThrowIfError(env, LiveOrThrow(env, "disconnect")->Disconnect(), "disconnect");
  return env.Undefined();
}

// send(buffers, id, address?, port?): without an address, to the connected peer.
Napi::Value UdpSocketWrap::Send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  BufferList bufs;
  if (!ParseBufferList(env, info[0], &bufs)) throw env.GetAndClearPendingException();
  const uint32_t id = info[1].IsNumber() ? info[1].As<Napi::Number>().Uint32Value() : 0;
  SockAddr to;
  const bool has_to = info[2].IsString();
  if (has_to && !ParseFor(sock_->family(), StringArg(info[2]), PortArg(info[3]), &to)) {
    ThrowIfError(env, SysError::Of("EAFNOSUPPORT"), "send", StringArg(info[2]), PortArg(info[3]));
  }
  return Napi::Value(env, sock_->Send(env, std::move(bufs), has_to ? &to : nullptr, id));
}

Napi::Value UdpSocketWrap::Recv(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  BufferList bufs;
  if (!ParseBufferList(env, info[0], &bufs)) throw env.GetAndClearPendingException();
  return Napi::Value(env, sock_->Recv(env, std::move(bufs), 0));
}

Napi::Value UdpSocketWrap::RecvChunk(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const double max = info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : 0;
  if (!(max >= 1)) throw Napi::RangeError::New(env, "recvChunk: maxBytes must be >= 1");
  return Napi::Value(env, sock_->Recv(env, BufferList(), static_cast<size_t>(max)));
}

// Idempotent: a later call finds nothing left to close or fail, and SocketBase::BeginClose hands out the
// first call's promise again.
Napi::Value UdpSocketWrap::Close(const Napi::CallbackInfo& info) {
  return Napi::Value(info.Env(), sock_->Close(info.Env()));
}

Napi::Value UdpSocketWrap::CancelRecv(const Napi::CallbackInfo& info) {
  if (!sock_->close_started()) sock_->CancelRecv();
  return info.Env().Undefined();
}

Napi::Value UdpSocketWrap::CancelSend(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!sock_->close_started()) sock_->CancelSend(env, info[0].IsNumber() ? info[0].As<Napi::Number>().Uint32Value() : 0);
  return env.Undefined();
}

// setOption(code, value): code is a UdpOption.
Napi::Value UdpSocketWrap::SetOption(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  UdpSocket* s = LiveOrThrow(env, "setsockopt");
  const auto opt = static_cast<UdpOption>(info[0].As<Napi::Number>().Int32Value());
  const int value = info[1].IsNumber() ? info[1].As<Napi::Number>().Int32Value() : (info[1].ToBoolean() ? 1 : 0);
  ThrowIfError(env, SetUdpOption(s->handle(), s->family(), opt, value), "setsockopt");
  return env.Undefined();
}

Napi::Value UdpSocketWrap::GetOption(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  UdpSocket* s = LiveOrThrow(env, "getsockopt");
  int value = 0;
  const auto opt = static_cast<UdpOption>(info[0].As<Napi::Number>().Int32Value());
  ThrowIfError(env, GetUdpOption(s->handle(), s->family(), opt, &value), "getsockopt");
  return Napi::Number::New(env, value);
}

Napi::Value UdpSocketWrap::SetMulticastInterface(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  UdpSocket* s = LiveOrThrow(env, "setsockopt");
  const std::string iface = StringArg(info[0]);
  SockAddr a;
  if (!a.Parse(iface, 0, s->family() == AF_INET6 ? 6 : 4)) ThrowIfError(env, SysError::Of("EINVAL"), "setsockopt", iface);
  ThrowIfError(env, iocpnet::SetMulticastInterface(s->handle(), s->family(), a), "setsockopt", iface);
  return env.Undefined();
}

// membership(join, group, iface?)
Napi::Value UdpSocketWrap::Membership(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const bool join = info[0].ToBoolean();
  const char* syscall = join ? "addMembership" : "dropMembership";
  UdpSocket* s = LiveOrThrow(env, syscall);
  const std::string group_text = StringArg(info[1]);
  SockAddr group, iface;
  const bool has_iface = info[2].IsString();
  if (!group.Parse(group_text, 0) || (has_iface && !iface.Parse(StringArg(info[2]), 0, group.family() == AF_INET6 ? 6 : 4))) {
    ThrowIfError(env, SysError::Of("EINVAL"), syscall, group_text);
  }
  ThrowIfError(env, SetMembership(s->handle(), join, group, has_iface ? &iface : nullptr), syscall, group_text);
  return env.Undefined();
}

// sourceMembership(join, source, group, iface?)
Napi::Value UdpSocketWrap::SourceMembership(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const bool join = info[0].ToBoolean();
  const char* syscall = join ? "addSourceSpecificMembership" : "dropSourceSpecificMembership";
  UdpSocket* s = LiveOrThrow(env, syscall);
  const std::string group_text = StringArg(info[2]);
  SockAddr source, group, iface;
  const bool has_iface = info[3].IsString();
  if (!source.Parse(StringArg(info[1]), 0) || !group.Parse(group_text, 0) ||
      (has_iface && !iface.Parse(StringArg(info[3]), 0, group.family() == AF_INET6 ? 6 : 4))) {
    ThrowIfError(env, SysError::Of("EINVAL"), syscall, group_text);
  }
  ThrowIfError(env, SetSourceMembership(s->handle(), join, source, group, has_iface ? &iface : nullptr), syscall,
               group_text);
  return env.Undefined();
}

// addresses(): [local, remote or null when not connected]
Napi::Value UdpSocketWrap::Addresses(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  UdpSocket* s = LiveOrThrow(env, "getsockname");
  SockAddr local, remote;
  ThrowIfError(env, s->LocalAddress(&local), "getsockname");
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, AddressTriple(env, local));
  if (s->RemoteAddress(&remote).ok()) out.Set(1u, AddressTriple(env, remote));
  else out.Set(1u, env.Null());
  return out;
}

}  // namespace iocpnet
