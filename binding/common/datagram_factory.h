// How a datagram result object is made: by a JavaScript function the TS layer registers (lib/udp.ts), given
// the parts as plain values. Building the object from C++ (napi_create_object and five property sets, each
// key a string internalized on every call, or fetched from a reference) cost more than a fifth of the
// native time of a DNS answer; a JS object literal is made with inline caches. The sender's address text
// is passed only when it differs from the previous datagram's in this environment, so a connected socket
// (the resolver's) makes it once; the function keeps the last one.
#pragma once

#define NAPI_VERSION 8
#include <napi.h>

#include "sockaddr.h"

namespace iocpnet {

class DatagramFactory {
 public:
  void Set(Napi::Function fn) {
    fn_ = Napi::Persistent(fn);
    has_last_ = false;
  }
  bool empty() const { return fn_.IsEmpty(); }

  // factory(bytesOrData, addressOrUndefined, port, ipv6, truncated). Returns nullptr with an exception
  // pending when the call throws.
  napi_value Make(napi_env env, napi_value bytes_or_data, const SockAddr& from, bool truncated);

 private:
  Napi::FunctionReference fn_;
  SockAddr last_from_;
  bool has_last_ = false;
};

}  // namespace iocpnet
