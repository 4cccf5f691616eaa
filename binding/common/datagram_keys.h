// What every datagram result repeats, made once per JavaScript environment: its property names, the family
// strings, and the text of the last sender's address. napi_set_named_property internalizes its key from a C
// string on every call; with five keys and two strings per datagram that was a fifth of the native cost of
// a DNS answer. A connected socket (the resolver's) hears from one address only, so the last sender's text
// is nearly always the one needed.
#pragma once

#define NAPI_VERSION 8
#include <napi.h>

#include "sockaddr.h"

namespace iocpnet {

class DatagramKeys {
 public:
  // Slots of the array that holds the strings (Node-API 8 can reference objects but not strings).
  enum Slot : uint32_t { kBytes, kData, kAddress, kPort, kFamily, kTruncated, kIPv4, kIPv6, kLastAddress, kSlots };

  explicit DatagramKeys(napi_env env);

  // The strings, valid in the current handle scope.
  napi_value Get(napi_env env, Slot slot) const;
  // The address text of `from`, from the cache when it is the last sender.
  napi_value AddressOf(napi_env env, const SockAddr& from);

 private:
  Napi::ObjectReference strings_;
  SockAddr last_from_;
  bool has_last_ = false;
};

}  // namespace iocpnet
