#!/usr/bin/env bash
# CI for examples/resource-server: install it from its own lockfile, lint and build it, then let
# check.mjs boot Gatehouse's production build and this example and call it with good and bad
# tokens. Gatehouse's build (npm run build at the root) must exist; it is built when missing.
set -euo pipefail
cd "$(dirname "$0")"
root="$(cd ../.. && pwd)"

npm ci --no-audit --no-fund
# The root's ESLint and plugins with this folder's config (the root config skips this folder).
"$root/node_modules/.bin/eslint" --max-warnings 0 .
npm run build
[ -f "$root/dist/src/main.js" ] || (cd "$root" && npm run build)
node check.mjs
