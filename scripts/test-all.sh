#!/usr/bin/env bash
# Runs every suite: the mocha suite under Wine against the Windows build, natively against the Linux build
# when it exists (and again under AddressSanitizer and UBSan, and its lifetime-heavy files under valgrind),
# and the installed-package test on both. Prints each suite's output, then one closing line
# "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || { echo "0 passed, 1 failed"; exit 1; }
source scripts/wine-env.sh
set +e
# The DNS suites' fixture server (node.exe under Wine cannot start it): IOCP_NET_TEST_DNS=127.0.0.1:PORT.
source scripts/dns-fixture.sh
dns_fixture_start || echo "test-all: the DNS fixture server did not start; the DNS suites will fail"
trap dns_fixture_stop EXIT

# A suite that has not finished after this many seconds is killed and counted as failed: a test that hangs,
# or an operation left in flight that keeps the event loop alive after the last test (mocha runs without
# --exit on purpose, so that such a leak shows), must fail CI, not stall it. A whole suite takes 1-2 minutes.
SUITE_LIMIT=${IOCP_NET_SUITE_LIMIT:-600}
limited() {  # limited OUT CMD...: runs CMD with its output in OUT, within SUITE_LIMIT seconds
  local out=$1 rc=0
  shift
  timeout -k 20 "$SUITE_LIMIT" "$@" >"$out" 2>&1 </dev/null || rc=$?
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    echo "test-all: KILLED after $SUITE_LIMIT s: the suite did not finish (a test hung, or something left in" \
      "flight kept the process alive after the last test)" >>"$out"
  fi
  return "$rc"
}

passed=0 failed=0 pending=0 status=0 suite=""
recap=$(mktemp)  # every failing suite's failure report, repeated at the end where a log's tail shows it
count() {  # adds the counts of one mocha spec-reporter output; a suite that ran nothing counts as a failure
  local out=$1 rc=$2 p f s
  p=$(grep -Eo '^ *[0-9]+ passing' "$out" | grep -Eo '[0-9]+' | tail -1)
  f=$(grep -Eo '^ *[0-9]+ failing' "$out" | grep -Eo '[0-9]+' | tail -1)
  s=$(grep -Eo '^ *[0-9]+ pending' "$out" | grep -Eo '[0-9]+' | tail -1)
  p=${p:-0} f=${f:-0} s=${s:-0}
  if [ "$p" -eq 0 ] || { [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; }; then f=$((f + 1)); fi
  passed=$((passed + p)) failed=$((failed + f)) pending=$((pending + s))
  [ "$f" -eq 0 ] && return
  status=1
  {
    echo "-- $suite: $f failed (exit $rc)"
    grep -h '^test-all: KILLED' "$out"
    # mocha's report of its failures runs from "N failing" to the end; without one, show the output's tail
    if grep -Eq '^ *[0-9]+ failing' "$out"; then
      sed -n '/^ *[0-9]\+ failing/,$p' "$out" | head -n 80
    else
      tail -n 30 "$out"
    fi
  } >>"$recap"
}

out=$(mktemp)
suite_run() {  # suite_run NAME HEADING CMD...: runs one suite within the limit, prints its output, counts it
  suite=$1
  [ -z "$2" ] || echo "== $2"  # test-asan.sh prints its own heading
  shift 2
  local rc=0
  limited "$out" "$@" || rc=$?
  cat "$out"
  count "$out" $rc
}

# wine directly, not wine_node: the output goes to a file already (node.exe fails with EBADF on a pipe)
suite_run "mocha under Wine" "mocha under Wine (Windows node.exe $WIN_NODE_VERSION, IOCP backend)" \
  wine "$WIN_NODE" node_modules/mocha/bin/mocha.js
wineserver -k >/dev/null 2>&1

if [ -f build/linux-x64/Release/iocp_net.node ]; then
  suite_run "mocha natively" "mocha natively (node $(node --version), Linux backend)" npx mocha
  # The same suite again against an AddressSanitizer build: buffer and operation lifetimes.
  suite_run "mocha under ASan+UBSan" "" bash scripts/test-asan.sh
  # The lifetime-heavy files once more under valgrind's memcheck: uninitialised reads and lost blocks.
  suite_run "mocha under valgrind" "" bash scripts/test-valgrind.sh
fi

# The package as users get it: npm pack, npm install of the tarball into an empty project, then the
# installed-package test there, natively and under Wine (scripts/test-package.sh).
pkg=$(mktemp -d)
echo "== npm pack + npm install of the tarball"
if bash scripts/test-package.sh install "$pkg" >"$out" 2>&1; then
  cat "$out"
  for where in native wine; do
    suite_run "installed package ($where)" "installed package ($where)" bash scripts/test-package.sh "$where" "$pkg"
  done
else
  cat "$out"
  echo "test-all: packing or installing the package failed"
  echo "-- packing or installing the package failed" >>"$recap"
  failed=$((failed + 1)) status=1
fi
rm -rf "$pkg" "$out"

if [ -s "$recap" ]; then
  echo "== failures, repeated from above"
  cat "$recap"
fi
rm -f "$recap"

echo "skipped (listed as pending above, each title says why): $pending"
echo "$passed passed, $failed failed"
exit $status
