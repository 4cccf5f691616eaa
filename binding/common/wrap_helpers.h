// What the JS wrapper classes (tcp_wrap, udp_wrap) share: reading arguments the TypeScript layer has
// already checked, failing with Node-shaped system errors (thrown, or as a rejected promise), and
// addresses in the [address, port, family] form lib/ reads.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>

#include "sockaddr.h"
#include "sys_error.h"

namespace iocpnet {

// A port number, or 0 for anything else (lib/ has validated it).
uint16_t PortArg(const Napi::Value& v);
// A string, or "" for anything else.
std::string StringArg(const Napi::Value& v);
// 4 or 6 as AF_INET or AF_INET6; throws a RangeError (ERR_OUT_OF_RANGE) for anything else.
int FamilyArg(const Napi::Value& v);

// Throws the system error for `err` (as a C++ exception carrying the JS error) unless it is ok.
void ThrowIfError(Napi::Env env, const SysError& err, const char* syscall, const std::string& address = "",
                  int port = -1);
// A promise already rejected with the system error for `err`.
Napi::Value Rejected(Napi::Env env, const SysError& err, const char* syscall);

Napi::Array AddressTriple(Napi::Env env, const SockAddr& a);

}  // namespace iocpnet
