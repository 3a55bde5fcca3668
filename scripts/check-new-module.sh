#!/usr/bin/env bash
# Proves `npm run new:module` end to end in a throwaway copy of this checkout: generate a sample
# module, then lint its files, type-check the project, run its own e2e spec and the schema test
# (migration and entity agree), and regenerate the route table with its routes in it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
name="${1:-support-tickets}"
subject="${2:-SupportTicket}"

work="$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-new-module.XXXXXX")"
trap 'rm -rf "$work"' EXIT
timed() {
  local label="$1" started
  shift
  started=$(date +%s)
  "$@"
  echo "   $label: $(($(date +%s) - started)) s"
}

# The working tree as it is (tracked and new files, not ignored ones), without node_modules.
(cd "$root" && git ls-files -z --cached --others --exclude-standard) |
  (cd "$root" && xargs -0 -r sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh) |
  grep -zv '^node_modules$' |
  (cd "$root" && tar --null -T - -cf -) | tar -xf - -C "$work"
ln -s "$(readlink -f "$root/node_modules")" "$work/node_modules"
cd "$work"

echo "new:module $name, in $work"
timed 'generate' sh -c "npm run --silent new:module -- '$name' >/dev/null"
grep -qF "from './$name/$name.module'" src/app.module.ts || { echo 'AppModule was not wired' >&2; exit 1; }
files=(src/"$name" test/"$name" migrations/*-"$name".ts migrations/index.ts src/app.module.ts src/database/entities.ts)
timed 'lint (eslint, prettier) of its files' sh -c \
  "npx eslint --max-warnings 0 ${files[*]} && npx prettier --check --log-level warn ${files[*]}"
timed 'typecheck' npm run --silent typecheck
timed "e2e: test/$name and the schema test" env DATABASE_URL= REDIS_URL= \
  npx vitest run --project e2e "test/$name/$name.e2e-spec.ts" test/database/schema.e2e-spec.ts
timed 'npm run routes' sh -c 'npm run --silent routes >/dev/null'
for route in "GET | \`/v1/$name\` | \`read $subject\`" "DELETE | \`/v1/$name/:id\` | \`delete $subject\`"; do
  grep -qF "| $route |" docs/routes.md || { echo "docs/routes.md lacks: $route" >&2; exit 1; }
done
echo "new:module $name: generated, lint-clean, type-checks, its e2e spec and the schema test pass"
