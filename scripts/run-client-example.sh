#!/usr/bin/env bash
# Starts a fresh pika-local (with the model in PIKA_MODEL_PATH, if any),
# mints a token, and runs the progenitor client example against it.
#   scripts/run-client-example.sh [PIKA_LOCAL_BIN] [EXAMPLE_BIN]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
bin="${1:-$target/debug/pika-local}"
example="${2:-$target/debug/examples/progenitor_client}"
port="${PIKA_CLIENT_EXAMPLE_PORT:-18798}"
work=$(mktemp -d)
trap 'kill "${pid:-}" 2>/dev/null || true; wait "${pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
source "$root/scripts/local-server.sh"
start_local "$bin" "$port" "$work"
token=$("$bin" token --user client-example)
PIKA_URL="http://127.0.0.1:$port" PIKA_TOKEN="$token" "$example" || {
  echo "--- server log"; tail -20 "$work/server.log"; exit 1
}
