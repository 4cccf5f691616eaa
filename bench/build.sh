#!/usr/bin/env bash
# Builds the native load generator / reference server: build/bench/netbench from bench/c/netbench.c.
# Plain gcc -O2 and libc only, so it builds wherever the Linux addon builds. Rebuilds only when stale.
set -euo pipefail
cd "$(dirname "$0")/.."
src=bench/c/netbench.c out=build/bench/netbench
if [ -x "$out" ] && [ "$out" -nt "$src" ] && [ "$out" -nt bench/build.sh ]; then exit 0; fi
mkdir -p build/bench
gcc -O2 -std=gnu11 -Wall -Wextra -o "$out" "$src"
echo "bench: built $out"
