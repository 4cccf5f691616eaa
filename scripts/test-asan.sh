#!/usr/bin/env bash
# Runs the whole native suite, whose lifetime-heavy tests (close with operations pending, abort and
# timeout, worker_thread teardown, thousands of connections) are the point, against a Linux addon built with
# AddressSanitizer and UndefinedBehaviorSanitizer, so that a buffer freed while the kernel may still use it,
# an operation used after it settled, or undefined behaviour (overflow, bad shift, out-of-bounds index,
# null argument, ...) stops the run.
#
# The addon is built into its own folder (build/linux-<arch>-asan) and selected with IOCP_NET_ADDON, so
# the plain build stays as it is. node itself is not instrumented, so the runtime is preloaded; leak
# detection is off because node does not free everything at exit (that would be noise, not our leaks),
# and the quarantine is bounded to keep memory use modest.
set -euo pipefail
cd "$(dirname "$0")/.."
arch=$(node -p process.arch)
out="build/linux-$arch-asan"
opts=(--out "$out" --CDIOCP_NET_SANITIZE=ON --CDCMAKE_BUILD_TYPE=RelWithDebInfo)
npx cmake-js configure "${opts[@]}" >/tmp/iocp-net-build-asan.log 2>&1 &&
  npx cmake-js build "${opts[@]}" >>/tmp/iocp-net-build-asan.log 2>&1 ||
  { cat /tmp/iocp-net-build-asan.log; exit 1; }

# The DNS suites' fixture server is started here, before LD_PRELOAD is set: dnsmasq would otherwise be
# started by the tests with the ASan runtime preloaded, and hang. (test-all.sh has started it already.)
if [ -z "${IOCP_NET_TEST_DNS:-}" ]; then
  source scripts/dns-fixture.sh
  dns_fixture_start
  trap dns_fixture_stop EXIT
fi

export IOCP_NET_ADDON="$PWD/$out/Release/iocp_net.node"
export LD_PRELOAD="$(gcc -print-file-name=libasan.so)"
export ASAN_OPTIONS="detect_leaks=0:quarantine_size_mb=16:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
echo "== mocha natively under AddressSanitizer and UBSan ($IOCP_NET_ADDON)"
npx mocha
