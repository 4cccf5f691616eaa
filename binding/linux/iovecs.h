// The caller's buffers as the Linux kernel takes them.
#pragma once

#include <limits.h>
#include <sys/uio.h>

#include <cstddef>

#include "../common/buffer_list.h"
#include "../common/gather_list.h"

namespace iocpnet {

constexpr size_t kMaxIov = IOV_MAX;  // the kernel rejects longer vectors with EINVAL

template <>
struct BufTraits<iovec> {
  static size_t Length(const iovec& v) { return v.iov_len; }
  static void Trim(iovec& v, size_t n) {
    v.iov_base = static_cast<char*>(v.iov_base) + n;
    v.iov_len -= n;
  }
};

// Appends the non-empty buffers to `out` (a SmallVector or GatherList of iovec): the kernel needs no
// descriptor for an empty one.
template <class Out>
void AppendIovecs(const BufferList& bufs, Out* out) {
  for (const BufferRef& b : bufs) {
    if (b.length > 0) out->push_back(iovec{b.data, b.length});
  }
}

}  // namespace iocpnet
