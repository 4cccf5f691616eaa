#!/usr/bin/env bash
# Builds both addons and puts them where an installed package looks for them (lib/native.ts):
#   prebuilds/win32-x64/iocp-net.node   (mingw-w64 cross-build)
#   prebuilds/linux-x64/iocp-net.node   (stripped)
# npm pack and npm publish run this through "prepack", so the tarball carries both and installing it needs
# no compiler and no install script (npm 12 no longer runs dependencies' install scripts by default).
# Before copying, it checks what each file links against: a prebuild that needs a DLL or shared library the
# user's machine may lack would fail only there, at require() time.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/build-win.sh >/tmp/iocp-net-prebuild-win.log 2>&1 || { cat /tmp/iocp-net-prebuild-win.log; exit 1; }
bash scripts/build-linux.sh >/tmp/iocp-net-prebuild-linux.log 2>&1 || { cat /tmp/iocp-net-prebuild-linux.log; exit 1; }

fail() { echo "prebuild: $*" >&2; exit 1; }

# Windows: only system DLLs (node.exe's Node-API functions are delay-loaded from the host process).
win=build/win32-x64/Release/iocp_net.node
dlls=$(x86_64-w64-mingw32-objdump -p "$win" | awk '/DLL Name:/ {print tolower($3)}' | sort -u)
for dll in $dlls; do
  case $dll in
    kernel32.dll | ntdll.dll | ws2_32.dll | mswsock.dll | iphlpapi.dll | msvcrt.dll | advapi32.dll) ;;
    *) fail "$win imports $dll, which is not a Windows system DLL (link the runtime statically)" ;;
  esac
done

# Linux: only what the node process has loaded already.
lin=build/linux-x64/Release/iocp_net.node
for lib in $(readelf -d "$lin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
  case $lib in
    libc.so.6 | libm.so.6 | libstdc++.so.6 | libgcc_s.so.1) ;;
    *) fail "$lin needs $lib, which a user's machine may not have" ;;
  esac
done
# The newest symbol versions it asks of glibc and libstdc++ must not exceed what the oldest systems Node
# 20 runs on provide (glibc 2.28 and GCC 8's libstdc++, GLIBCXX_3.4.25, as on RHEL 8), or require() fails
# there with "version `GLIBCXX_3.4.xx' not found".
newest() { objdump -T "$lin" | grep -oE "$1_[0-9.]+" | sort -uV | tail -1; }
glibc=$(newest GLIBC) glibcxx=$(newest GLIBCXX)
[ "$(printf '%s\n' "$glibc" GLIBC_2.28 | sort -V | tail -1)" = GLIBC_2.28 ] || fail "$lin needs $glibc (> GLIBC_2.28)"
[ "$(printf '%s\n' "$glibcxx" GLIBCXX_3.4.25 | sort -V | tail -1)" = GLIBCXX_3.4.25 ] || fail "$lin needs $glibcxx (> GLIBCXX_3.4.25)"
echo "prebuild: $lin needs at most $glibc and $glibcxx"
# A sanitizer build would need libasan at load time; build-linux.sh turns it off, but say so if it slipped in.
if readelf -s --wide "$lin" | grep -q __asan_init; then fail "$lin is an AddressSanitizer build"; fi

rm -rf prebuilds
mkdir -p prebuilds/win32-x64 prebuilds/linux-x64
cp "$win" prebuilds/win32-x64/iocp-net.node
strip --strip-unneeded -o prebuilds/linux-x64/iocp-net.node "$lin"
ls -l prebuilds/*/iocp-net.node
