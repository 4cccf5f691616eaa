#!/usr/bin/env bash
# Wine smoke run of the benchmarks (npm run bench:wine): the same runner as `npm run bench`, with the side
# under test (the iocp-net and net servers and clients) started as the Windows node.exe under Wine and the
# IOCP build of the addon, while netbench runs natively; Wine processes share the Linux loopback. --smoke
# makes it 1 round of ~0.5 s with 1/10/50 and 200 connections: it only proves that every scenario runs to
# completion and reports numbers. Wine's sockets are ~50x slower than native: the numbers say nothing about
# Windows performance. Extra arguments go to bench/run.ts (e.g. --only pingpong). Exits non-zero on failure.
set -euo pipefail
cd "$(dirname "$0")/.."

# A Wine prefix of its own: scripts/test-all.sh ends with `wineserver -k`, which would kill the benchmark's
# node.exe processes if a test run and a benchmark run shared a prefix. Created on first use (~15 s).
export WINEPREFIX=${BENCH_WINEPREFIX:-${IOCP_NET_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/iocp-net}/wineprefix-bench}
source scripts/wine-env.sh
ensure_win_node || { echo "bench-wine: could not prepare node.exe under Wine"; exit 1; }
case "$WIN_NODE" in *" "*) echo "bench-wine: the node.exe path must not contain spaces: $WIN_NODE"; exit 1;; esac
[ -f build/win32-x64/Release/iocp_net.node ] || bash scripts/build-win.sh
npx tsc -p bench
bash bench/build.sh

echo "bench-wine: side under test: Windows node.exe $WIN_NODE_VERSION under $(wine --version), IOCP backend;" \
  "netbench native. Wine numbers say nothing about Windows performance."
rc=0
node dist/bench/run.js --smoke --side-cmd "wine $WIN_NODE" --time-scale 6 "$@" || rc=$?
wineserver -k >/dev/null 2>&1 || true  # this prefix's wineserver only; it would linger for a few seconds
[ $rc -eq 0 ] && echo "bench-wine: smoke run passed" || echo "bench-wine: smoke run FAILED (exit $rc)"
exit $rc
