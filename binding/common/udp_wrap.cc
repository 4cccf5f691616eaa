#include "udp_wrap.h"

#include "addon.h"
#include "sockaddr.h"
#include "socket_handle.h"
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

using Args = HandleArgs;

// The socket, or a thrown ERR_SOCKET_CLOSED system error (for the synchronous functions).
UdpSocket* LiveOrThrow(const Napi::Env& env, UdpSocket* sock, const char* syscall) {
  if (sock->close_started()) ThrowIfError(env, SysError::Of(kErrSocketClosed), syscall);
  return sock;
}

// bind(address, port, reuseAddress, ipv6Only, exclusive)
Napi::Value Bind(Napi::Env env, UdpSocket* sock, const Args& a) {
  UdpSocket* s = LiveOrThrow(env, sock, "bind");
  const std::string host = StringArg(a[0]);
  const uint16_t port = PortArg(a[1]);
  SockAddr addr;
  if (!ParseFor(s->family(), host, port, &addr)) ThrowIfError(env, SysError::Of("EAFNOSUPPORT"), "bind", host, port);
  UdpBindOptions opts;
  opts.reuse_addr = a[2].ToBoolean();
  opts.ipv6_only = a[3].ToBoolean();
  opts.exclusive = a[4].ToBoolean();
  const char* syscall = "bind";
  ThrowIfError(env, s->Bind(addr, opts, &syscall), syscall, host, port);
  return env.Undefined();
}

// connect(address, port): UDP's connect only records the peer, so it completes at once.
Napi::Value Connect(Napi::Env env, UdpSocket* sock, const Args& a) {
  UdpSocket* s = LiveOrThrow(env, sock, "connect");
  const std::string host = StringArg(a[0]);
  const uint16_t port = PortArg(a[1]);
  SockAddr remote;
  if (!ParseFor(s->family(), host, port, &remote)) {
    ThrowIfError(env, SysError::Of("EAFNOSUPPORT"), "connect", host, port);
  }
  ThrowIfError(env, s->Connect(remote), "connect", host, port);
  return env.Undefined();
}

Napi::Value Disconnect(Napi::Env env, UdpSocket* sock, const Args& a) {
  ThrowIfError(env, LiveOrThrow(env, sock, "disconnect")->Disconnect(), "disconnect");
  return env.Undefined();
}

// send(buffers, id, address?, port?): without an address, to the connected peer.
Napi::Value Send(Napi::Env env, UdpSocket* sock, const Args& a) {
  BufferList bufs;
  if (!ParseBufferList(env, a[0], &bufs)) throw env.GetAndClearPendingException();
  const uint32_t id = a[1].IsNumber() ? a[1].As<Napi::Number>().Uint32Value() : 0;
  SockAddr to;
  const bool has_to = a[2].IsString();
  if (has_to && !ParseFor(sock->family(), StringArg(a[2]), PortArg(a[3]), &to)) {
    ThrowIfError(env, SysError::Of("EAFNOSUPPORT"), "send", StringArg(a[2]), PortArg(a[3]));
  }
  return Napi::Value(env, sock->Send(env, std::move(bufs), has_to ? &to : nullptr, id));
}

Napi::Value Recv(Napi::Env env, UdpSocket* sock, const Args& a) {
  BufferList bufs;
  if (!ParseBufferList(env, a[0], &bufs)) throw env.GetAndClearPendingException();
  return Napi::Value(env, sock->Recv(env, std::move(bufs), 0));
}

Napi::Value RecvChunk(Napi::Env env, UdpSocket* sock, const Args& a) {
  const double max = a[0].IsNumber() ? a[0].As<Napi::Number>().DoubleValue() : 0;
  if (!(max >= 1)) throw Napi::RangeError::New(env, "recvChunk: maxBytes must be >= 1");
  return Napi::Value(env, sock->Recv(env, BufferList(), static_cast<size_t>(max)));
}

// Idempotent: a later call finds nothing left to close or fail, and SocketBase::BeginClose hands out the
// first call's promise again.
Napi::Value Close(Napi::Env env, UdpSocket* sock, const Args& a) {
  return Napi::Value(env, sock->Close(env));
}

Napi::Value CancelRecv(Napi::Env env, UdpSocket* sock, const Args& a) {
  if (!sock->close_started()) sock->CancelRecv();
  return env.Undefined();
}

Napi::Value CancelSend(Napi::Env env, UdpSocket* sock, const Args& a) {
  if (!sock->close_started()) sock->CancelSend(env, a[0].IsNumber() ? a[0].As<Napi::Number>().Uint32Value() : 0);
  return env.Undefined();
}

// setOption(code, value): code is a UdpOption.
Napi::Value SetOption(Napi::Env env, UdpSocket* sock, const Args& a) {
  UdpSocket* s = LiveOrThrow(env, sock, "setsockopt");
  const auto opt = static_cast<UdpOption>(a[0].As<Napi::Number>().Int32Value());
  const int value = a[1].IsNumber() ? a[1].As<Napi::Number>().Int32Value() : (a[1].ToBoolean() ? 1 : 0);
  ThrowIfError(env, SetUdpOption(s->handle(), s->family(), opt, value), "setsockopt");
  return env.Undefined();
}

Napi::Value GetOption(Napi::Env env, UdpSocket* sock, const Args& a) {
  UdpSocket* s = LiveOrThrow(env, sock, "getsockopt");
  int value = 0;
  const auto opt = static_cast<UdpOption>(a[0].As<Napi::Number>().Int32Value());
  ThrowIfError(env, GetUdpOption(s->handle(), s->family(), opt, &value), "getsockopt");
  return Napi::Number::New(env, value);
}

Napi::Value SetMulticastInterface(Napi::Env env, UdpSocket* sock, const Args& a) {
  UdpSocket* s = LiveOrThrow(env, sock, "setsockopt");
  const std::string iface = StringArg(a[0]);
  SockAddr addr;
  if (!addr.Parse(iface, 0, s->family() == AF_INET6 ? 6 : 4)) ThrowIfError(env, SysError::Of("EINVAL"), "setsockopt", iface);
  ThrowIfError(env, iocpnet::SetMulticastInterface(s->handle(), s->family(), addr), "setsockopt", iface);
  return env.Undefined();
}

// membership(join, group, iface?)
Napi::Value Membership(Napi::Env env, UdpSocket* sock, const Args& a) {
  const bool join = a[0].ToBoolean();
  const char* syscall = join ? "addMembership" : "dropMembership";
  UdpSocket* s = LiveOrThrow(env, sock, syscall);
  const std::string group_text = StringArg(a[1]);
  SockAddr group, iface;
  const bool has_iface = a[2].IsString();
  if (!group.Parse(group_text, 0) || (has_iface && !iface.Parse(StringArg(a[2]), 0, group.family() == AF_INET6 ? 6 : 4))) {
    ThrowIfError(env, SysError::Of("EINVAL"), syscall, group_text);
  }
  ThrowIfError(env, SetMembership(s->handle(), join, group, has_iface ? &iface : nullptr), syscall, group_text);
  return env.Undefined();
}

// sourceMembership(join, source, group, iface?)
Napi::Value SourceMembership(Napi::Env env, UdpSocket* sock, const Args& a) {
  const bool join = a[0].ToBoolean();
  const char* syscall = join ? "addSourceSpecificMembership" : "dropSourceSpecificMembership";
  UdpSocket* s = LiveOrThrow(env, sock, syscall);
  const std::string group_text = StringArg(a[2]);
  SockAddr source, group, iface;
  const bool has_iface = a[3].IsString();
  if (!source.Parse(StringArg(a[1]), 0) || !group.Parse(group_text, 0) ||
      (has_iface && !iface.Parse(StringArg(a[3]), 0, group.family() == AF_INET6 ? 6 : 4))) {
    ThrowIfError(env, SysError::Of("EINVAL"), syscall, group_text);
  }
  ThrowIfError(env, SetSourceMembership(s->handle(), join, source, group, has_iface ? &iface : nullptr), syscall,
               group_text);
  return env.Undefined();
}

// addresses(): [local, remote or null when not connected]
Napi::Value Addresses(Napi::Env env, UdpSocket* sock, const Args& a) {
  UdpSocket* s = LiveOrThrow(env, sock, "getsockname");
  SockAddr local, remote;
  ThrowIfError(env, s->LocalAddress(&local), "getsockname");
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, AddressTriple(env, local));
  if (s->RemoteAddress(&remote).ok()) out.Set(1u, AddressTriple(env, remote));
  else out.Set(1u, env.Null());
  return out;
}

template <HandleFunction<UdpSocket> fn>
napi_property_descriptor FunctionNamed(const char* name) {
  return HandleFunctionNamed(name, HandleEntry<UdpSocket, fn>);
}

// open(family: 4 | 6)
Napi::Value Open(const Napi::CallbackInfo& info) {
  SysError err;
  UdpSocket* sock = UdpSocket::Create(Addon::Of(info.Env())->engine(), FamilyArg(info[0]), &err);
  return HandleOfNew(info.Env(), sock, err);
}

}  // namespace

void UdpSocketWrap::Init(Napi::Env env, Napi::Object exports, Addon*) {
  const napi_property_descriptor functions[] = {
      FunctionNamed<Bind>("bind"),
      FunctionNamed<Connect>("connect"),
      FunctionNamed<Disconnect>("disconnect"),
      FunctionNamed<Send>("send"),
      FunctionNamed<Recv>("recv"),
      FunctionNamed<RecvChunk>("recvChunk"),
      FunctionNamed<Close>("close"),
      FunctionNamed<CancelRecv>("cancelRecv"),
      FunctionNamed<CancelSend>("cancelSend"),
      FunctionNamed<SetOption>("setOption"),
      FunctionNamed<GetOption>("getOption"),
      FunctionNamed<SetMulticastInterface>("setMulticastInterface"),
      FunctionNamed<Membership>("membership"),
      FunctionNamed<SourceMembership>("sourceMembership"),
      FunctionNamed<Addresses>("addresses"),
  };
  ExportHandleFunctions(env, exports, "udp", functions, sizeof functions / sizeof functions[0], Open);
}

}  // namespace iocpnet
