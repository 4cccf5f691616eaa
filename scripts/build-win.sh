#!/usr/bin/env bash
# Cross-builds the Windows x64 addon with mingw-w64 through cmake-js: build/win32-x64/Release/iocp_net.node
set -euo pipefail
cd "$(dirname "$0")/.."
npx cmake-js compile --out build/win32-x64 \
  --CDCMAKE_TOOLCHAIN_FILE="$PWD/cmake/mingw-w64-x86_64.cmake" "$@"
