#!/usr/bin/env bash
# Builds the native Linux addon through cmake-js: build/linux-<arch>/Release/iocp_net.node (<arch> is the
# running node's process.arch, which is what lib/native.ts looks for). Extra arguments go to cmake-js,
# e.g. --CDIOCP_NET_SANITIZE=ON for AddressSanitizer.
#
# The C++ runtime is linked dynamically: node itself links libstdc++.so.6 and libgcc_s.so.1, so they are
# in the process already, and AddressSanitizer needs the shared runtime to intercept operator new/delete.
# (A static libstdc++/libgcc from GCC 12 would raise the glibc floor instead: its random.o and unwinder
# reference arc4random and _dl_find_object, glibc 2.36 and 2.35.) With the shared runtime the floor follows
# from the symbols the code and the compiler ask for: at present glibc 2.14 and GLIBCXX_3.4.21 (GCC 5).
# scripts/prebuild.sh checks it (objdump -T) against the oldest systems Node 20 supports.
set -euo pipefail
cd "$(dirname "$0")/.."
arch=$(node -p process.arch)

# configure runs every time: compile would skip it in a configured folder and keep the cached settings.
# The defaults come first so that the caller's -D wins, and are passed every time so that a plain build
# after a sanitizer build in the same folder is plain again.
opts=(--out "build/linux-$arch" --CDIOCP_NET_SANITIZE=OFF --CDCMAKE_SHARED_LINKER_FLAGS=-Wl,--as-needed "$@")
npx cmake-js configure "${opts[@]}"
npx cmake-js build "${opts[@]}"
