// The caller's buffers as Winsock takes them. WSABUF lengths are ULONG, so a caller buffer beyond that is
// described in pieces on a stream and used in part in a datagram (no datagram comes near the limit).
#pragma once

#include <algorithm>
#include <cstddef>

#include "../common/buffer_list.h"
#include "../common/gather_list.h"
#include "../common/platform.h"

namespace iocpnet {

constexpr size_t kMaxWsaBuf = 0x7ffff000;
// Buffers handed to one WSASend or WSARecv. Winsock documents no limit, but Wine refuses more than 1024
// (EMSGSIZE, Linux's IOV_MAX underneath), so a longer stream write goes out in several sends and a scatter
// read fills at most the first 1024 buffers, as on Linux.
constexpr size_t kMaxWsaBufs = 1024;
// How many of `n` prepared WSABUFs one call is given.
inline DWORD WsaBufCount(size_t n) { return static_cast<DWORD>(std::min(n, kMaxWsaBufs)); }

template <>
struct BufTraits<WSABUF> {
  static size_t Length(const WSABUF& w) { return w.len; }
  static void Trim(WSABUF& w, size_t n) {
    w.buf += n;
    w.len -= static_cast<ULONG>(n);
  }
};

// Every byte of every buffer, in pieces of at most kMaxWsaBuf (into a SmallVector or GatherList of WSABUF).
// Empty buffers are left out, as on Linux: they carry nothing, and counted against the kMaxWsaBufs a call
// takes they could leave a receive with no room at all, which completes with 0 bytes like end of stream.
template <class Out>
void AppendStreamBufs(const BufferList& bufs, Out* out) {
  for (const BufferRef& b : bufs) {
    for (size_t off = 0; off < b.length;) {
      const size_t n = std::min(b.length - off, kMaxWsaBuf);
      out->push_back(WSABUF{static_cast<ULONG>(n), b.data + off});
      off += n;
    }
  }
}

// One WSABUF per non-empty buffer (empty ones carry nothing and would count against kMaxWsaBufs, as on
// Linux), and one even for no bytes at all: an empty datagram is still a datagram.
template <class Out>
void AppendDatagramBufs(const BufferList& bufs, Out* out) {
  for (const BufferRef& b : bufs) {
    if (b.length > 0) out->push_back(WSABUF{static_cast<ULONG>(std::min(b.length, kMaxWsaBuf)), b.data});
  }
  if (out->empty()) out->push_back(WSABUF{0, nullptr});
}

}  // namespace iocpnet
