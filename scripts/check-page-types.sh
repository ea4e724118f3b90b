#!/usr/bin/env bash
# Type-checks the chat page's API module against the HTTP API's OpenAPI
# document: generates TypeScript types from docs/openapi.json
# (openapi-typescript, npm), fails when they differ from the committed
# pika-local/src/page/api-types.d.ts, then runs `tsc --noEmit` over the
# page's API module (JSDoc types, strict).
#   scripts/check-page-types.sh            check
#   scripts/check-page-types.sh --update   rewrite api-types.d.ts first
# docs/openapi.json itself is checked against the routes by pika-http's
# `openapi_snapshot` test.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$root/pika-local/page-types"
types="$root/pika-local/src/page/api-types.d.ts"
npm ci --prefix "$dir" --no-audit --no-fund --silent
generated=$(mktemp --suffix=.d.ts)
trap 'rm -f "$generated"' EXIT
(cd "$dir" && npx --no-install openapi-typescript "$root/docs/openapi.json" -o "$generated" --silent)
if [ "${1:-}" = "--update" ]; then
  cp "$generated" "$types"
elif ! diff -u "$types" "$generated" >/dev/null; then
  echo "api-types.d.ts is not what docs/openapi.json gives; run: bash scripts/check-page-types.sh --update" >&2
  diff -u "$types" "$generated" | head -40 >&2
  exit 1
fi
(cd "$dir" && npx --no-install tsc -p tsconfig.json)
echo "page API module type-checks against docs/openapi.json"
