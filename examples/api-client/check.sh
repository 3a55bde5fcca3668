#!/usr/bin/env bash
# CI for examples/api-client: install it from its own lockfile, then let check.mjs boot
# Gatehouse's production build, generate the types from the document it serves, lint and
# type-check the consumer against them and run it. Gatehouse's build is made when missing.
set -euo pipefail
cd "$(dirname "$0")"
root="$(cd ../.. && pwd)"

npm ci --no-audit --no-fund
[ -f "$root/dist/src/main.js" ] || (cd "$root" && npm run build)
node check.mjs
