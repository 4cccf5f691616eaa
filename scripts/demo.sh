#!/usr/bin/env bash
# The quick-start demo: an echo server and client on the proactor API. On Linux it runs the Windows build
# under Wine with the official Windows node.exe (IOCP end to end), and natively when the Linux addon exists.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
source scripts/wine-env.sh
echo "== Windows build (IOCP) under Wine, node.exe $WIN_NODE_VERSION"
wine_node dist/examples/echo.js
if [ -f build/linux-x64/Release/iocp_net.node ]; then
  echo
  echo "== Linux build, native node $(node --version)"
  node dist/examples/echo.js
fi
