#!/usr/bin/env bash
# The measurement behind "epoll, not io_uring" (binding/linux/epoll_engine.h): the same C load generator
# drives the C epoll echo server and the C io_uring echo server, alternating, and reports round trips/s
# and the server's CPU time per round trip (user+sys from /proc, which a busy machine disturbs less).
# Needs liburing-dev (installed here if missing) and bench/build.sh's netbench.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -f /usr/include/liburing.h ] || { apt-get install -y -qq --no-install-recommends liburing-dev >/dev/null; }
bash bench/build.sh >/dev/null
mkdir -p build/bench
gcc -O2 -Wall -o build/bench/uring_echo bench/uring/uring_echo.c -luring
nb=build/bench/netbench
rounds=${ROUNDS:-3}
for conns in 1 100 1000; do
  for round in $(seq 1 "$rounds"); do
    for server in epoll io_uring; do
      out=$(mktemp)
      if [ $server = epoll ]; then $nb echo-server --port 0 >"$out" & else build/bench/uring_echo >"$out" & fi
      pid=$!
      for _ in $(seq 1 50); do grep -q listening "$out" && break; sleep 0.05; done
      port=$(awk '{print $2}' "$out")
      $nb pingpong --port "$port" --conns "$conns" --duration 4 --warmup 1 >"$out.res" &
      gen=$!
      sleep 1.5
      t0=$(awk '{print $14 + $15}' /proc/$pid/stat)
      sleep 3
      t1=$(awk '{print $14 + $15}' /proc/$pid/stat)
      wait $gen
      rate=$(grep -o '"value":[0-9.]*' "$out.res" | cut -d: -f2)
      tck=$(getconf CLK_TCK)
      us=$(awk -v d=$((t1 - t0)) -v r="$rate" -v t="$tck" 'BEGIN { printf "%.2f", d / t * 1e6 / (r * 3) }')
      printf '%5s conns  %-8s  %10.0f round trips/s  %6s us server CPU per round trip\n' "$conns" "$server" "$rate" "$us"
      kill $pid; wait $pid 2>/dev/null || true
      rm -f "$out" "$out.res"
    done
  done
done
