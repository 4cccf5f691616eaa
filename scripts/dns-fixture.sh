#!/usr/bin/env bash
# Sourced by scripts/test-all.sh. Starts the DNS tests' fixture server (dnsmasq with test/fixtures/dns/
# dnsmasq.conf) on 127.0.0.1 at a free port, because node.exe under Wine cannot start Linux programs itself.
#   dns_fixture_start   starts it and exports IOCP_NET_TEST_DNS=127.0.0.1:PORT (Wine passes the Unix
#                       environment on to node.exe); returns non-zero if dnsmasq is missing or will not start
#   dns_fixture_stop    stops it
# The tests use IOCP_NET_TEST_DNS when it is set; run natively without it, they start dnsmasq themselves.

DNS_FIXTURE_PID=""

dns_fixture_start() {
  local bin conf port i log
  bin=$(command -v dnsmasq || echo /usr/sbin/dnsmasq)
  [ -x "$bin" ] || { echo "dns-fixture: dnsmasq is not installed (Debian package dnsmasq-base)" >&2; return 1; }
  conf="$(pwd)/test/fixtures/dns/dnsmasq.conf"
  log=$(mktemp)
  for i in 1 2 3 4 5 6 7 8 9 10; do
    port=$((20000 + RANDOM % 40000))
    "$bin" --conf-file="$conf" --port="$port" --listen-address=127.0.0.1 --keep-in-foreground \
      --pid-file= --log-facility=- >"$log" 2>&1 </dev/null &
    DNS_FIXTURE_PID=$!
    # Ready when it accepts TCP on the port (it binds UDP and TCP together); gone when the port was taken.
    for _ in $(seq 1 50); do
      kill -0 "$DNS_FIXTURE_PID" 2>/dev/null || break
      if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        export IOCP_NET_TEST_DNS="127.0.0.1:$port"
        rm -f "$log"
        return 0
      fi
      sleep 0.1
    done
    kill "$DNS_FIXTURE_PID" 2>/dev/null
    wait "$DNS_FIXTURE_PID" 2>/dev/null
    DNS_FIXTURE_PID=""
  done
  echo "dns-fixture: dnsmasq did not start:" >&2
  cat "$log" >&2
  rm -f "$log"
  return 1
}

dns_fixture_stop() {
  if [ -n "$DNS_FIXTURE_PID" ]; then
    kill "$DNS_FIXTURE_PID" 2>/dev/null
    wait "$DNS_FIXTURE_PID" 2>/dev/null
    DNS_FIXTURE_PID=""
  fi
  unset IOCP_NET_TEST_DNS
}
