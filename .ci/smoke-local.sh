#!/usr/bin/env bash
# Starts the built pika-local on a loopback port with a fresh data dir, checks
# that a newcomer's first requests work, and stops it.
#   smoke-local.sh BIN            no model: turns are refused, naming what to configure
#   smoke-local.sh BIN GGUF       the embedded model: a real answer streams
set -euo pipefail
bin="$1"
gguf="${2:-}"
port="${PIKA_SMOKE_PORT:-18765}"
data=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$data"' EXIT
export PIKA_DATA_DIR="$data" PIKA_BIND="127.0.0.1:$port"
unset PIKA_MODEL_BASE_URL PIKA_MODEL_PATH
[ -n "$gguf" ] && export PIKA_MODEL_PATH="$gguf"
"$bin" serve >"$data/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 150); do
  curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fsS "http://127.0.0.1:$port/health" | grep -q '"ok"' || { cat "$data/server.log"; exit 1; }
token=$("$bin" token --user smoke --type internal-user)
curl -fsS "http://127.0.0.1:$port/chatapps" -H "authorization: Bearer $token" | grep -q '"chatAppId":"demo"'
session=$(curl -fsS -X POST "http://127.0.0.1:$port/sessions" -H "authorization: Bearer $token" \
  -H 'content-type: application/json' -d '{"chatAppId":"demo"}')
echo "$session" | grep -q '"sessionId"'
curl -fsS "http://127.0.0.1:$port/openapi.json" -o "$data/openapi.json"
grep -q '/chat/{chatAppId}/messages' "$data/openapi.json"
# An outside validator accepts the served document (set by .ci/run).
if [ -n "${OPENAPI_VALIDATOR:-}" ]; then
  "$OPENAPI_VALIDATOR" "$data/openapi.json"
fi
if [ -z "$gguf" ]; then
  # No model: a turn is refused up front, saying what to install or configure.
  status=$(curl -s -o "$data/turn.json" -w '%{http_code}' -X POST "http://127.0.0.1:$port/chat/demo/messages" \
    -H "authorization: Bearer $token" -H 'content-type: application/json' -d '{"message":"hi"}')
  [ "$status" = 503 ] && grep -q install-model.sh "$data/turn.json"
  echo "pika-local smoke test (no model) passed"
else
  # The embedded model streams a real answer.
  curl -sN --max-time 240 -X POST "http://127.0.0.1:$port/chat/demo/messages" \
    -H "authorization: Bearer $token" -H 'content-type: application/json' \
    -d '{"message":"What is the capital of France?"}' >"$data/turn.txt"
  grep -q '^event: done' "$data/turn.txt" || { cat "$data/turn.txt"; exit 1; }
  grep '^data:' "$data/turn.txt" | grep '"text"' | grep -q Paris || { cat "$data/turn.txt"; exit 1; }
  echo "pika-local smoke test (embedded model) passed"
fi
