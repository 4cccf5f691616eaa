#!/usr/bin/env bash
# npm pack / npm publish: compiles the TypeScript afresh (no stale files from removed sources in dist/lib)
# and builds both prebuilds, so that the tarball is complete however the working tree was left.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf dist/lib
npx tsc -p tsconfig.json
bash scripts/prebuild.sh
