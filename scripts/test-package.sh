#!/usr/bin/env bash
# Tests the package as users get it: npm pack (which runs prepack: TypeScript and both prebuilds), npm install
# of the tarball into an empty project, then test/package/installed.test.js in that project, natively and
# under Windows node.exe in Wine. Nothing of the repository is on the module path there.
#
#   scripts/test-package.sh install DIR   pack and install into DIR/app
#   scripts/test-package.sh native DIR    run the test natively (also type-checks a TypeScript consumer)
#   scripts/test-package.sh wine DIR      run it under Wine
#   scripts/test-package.sh               setup.sh, then all three in a temporary folder (npm run test:package)
# The first three need scripts/setup.sh to have run (compilers, Wine, node.exe, npm packages).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
mocha=("$repo/node_modules/mocha/bin/mocha.js" --no-config --timeout 60000 --reporter spec installed.test.js)

install() {
  local dir=$1 tgz
  rm -rf "$dir/app" && mkdir -p "$dir/app"
  tgz=$(cd "$repo" && npm pack --pack-destination "$dir" --loglevel=error | tail -1)
  echo "test-package: packed $tgz ($(du -h "$dir/$tgz" | cut -f1))"
  tar tzf "$dir/$tgz" | grep -E 'prebuilds/.*\.node$'
  cd "$dir/app"
  echo '{ "name": "iocp-net-package-test", "private": true }' >package.json
  npm install --no-audit --no-fund --loglevel=error "$dir/$tgz"
  # The consumer's types come from the repository's @types/node rather than a second download.
  mkdir -p node_modules/@types && ln -sfn "$repo/node_modules/@types/node" node_modules/@types/node
  cp "$repo"/test/package/{installed.test.js,consumer.ts,consumer-esm.mts,tsconfig.consumer.json} "$repo/README.md" .
  echo "test-package: installed into $dir/app"
}

case ${1:-all} in
  install) install "$2" ;;
  native)
    cd "$2/app"
    unset IOCP_NET_ADDON
    IOCP_NET_TSC="$repo/node_modules/typescript/bin/tsc" node "${mocha[@]}" ;;
  wine)
    source "$repo/scripts/wine-env.sh"
    cd "$2/app"
    unset IOCP_NET_ADDON IOCP_NET_TSC
    rc=0
    wine_node "${mocha[@]}" || rc=$?
    wineserver -k >/dev/null 2>&1 || true
    exit $rc ;;
  all)
    bash "$repo/scripts/setup.sh" >/dev/null  # compilers, Wine, node.exe and npm packages, as npm test does
    dir=$(mktemp -d)
    trap 'rm -rf "$dir"' EXIT
    rc=0
    bash "$0" install "$dir" && bash "$0" native "$dir" && bash "$0" wine "$dir" || rc=$?
    exit $rc ;;
  *) echo "usage: $0 [install|native|wine DIR]" >&2; exit 2 ;;
esac
