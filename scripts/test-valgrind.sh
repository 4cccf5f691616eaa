#!/usr/bin/env bash
# Runs the lifetime-heavy native tests (close and cancel with operations pending, buffers detached while
# the kernel may fill them, worker_thread teardown, sockets opened and closed in every order) against the
# plain Linux build under valgrind's memcheck. It complements test-asan.sh: memcheck also reports a
# decision taken on memory never written (an uninitialised field, a sockaddr the kernel did not fill), which
# AddressSanitizer does not look for, and it reports blocks the addon allocated and lost.
#
# node runs --jitless: V8's generated code would otherwise be re-translated by valgrind on every patch,
# for no gain here (the addon is what is checked). scripts/valgrind/node.supp names the reports that are
# node's and V8's own; every other error, and every block definitely lost, fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "test-valgrind: valgrind is missing (scripts/setup.sh installs it)"; exit 1; }
[ -f "build/linux-$(node -p process.arch)/Release/iocp_net.node" ] || [ -n "${IOCP_NET_ADDON:-}" ] ||
  { echo "test-valgrind: no Linux build (scripts/setup.sh makes it)"; exit 1; }
files=(tcp-cancel tcp-lifecycle udp-lifecycle buffer-detach open-close-interleaving tcp-chunks)
specs=()
for f in "${files[@]}"; do specs+=("dist/test/$f.test.js"); done
echo "== mocha natively under valgrind memcheck (${files[*]})"
# mocha's default limit assumes native speed; under memcheck node runs ~10x slower or more.
exec valgrind --quiet --error-exitcode=1 --suppressions=scripts/valgrind/node.supp \
  --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
  node --jitless node_modules/mocha/bin/mocha.js --no-config --reporter spec --timeout 600000 "${specs[@]}"
