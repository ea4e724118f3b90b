#!/usr/bin/env bash
# Starts the built pika-local on a loopback port with a fresh data dir, checks
# that a newcomer's first requests work, and stops it.
set -euo pipefail
bin="$1"
port="${PIKA_SMOKE_PORT:-18765}"
data=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$data"' EXIT
export PIKA_DATA_DIR="$data" PIKA_BIND="127.0.0.1:$port"
"$bin" serve >"$data/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fsS "http://127.0.0.1:$port/health" | grep -q '"ok"'
token=$("$bin" token --user smoke --type internal-user)
curl -fsS "http://127.0.0.1:$port/chatapps" -H "authorization: Bearer $token" | grep -q '"chatAppId":"demo"'
session=$(curl -fsS -X POST "http://127.0.0.1:$port/sessions" -H "authorization: Bearer $token" \
  -H 'content-type: application/json' -d '{"chatAppId":"demo"}')
echo "$session" | grep -q '"sessionId"'
# No model configured: a turn is refused up front, naming the setting.
status=$(curl -s -o "$data/turn.json" -w '%{http_code}' -X POST "http://127.0.0.1:$port/chat/demo/messages" \
  -H "authorization: Bearer $token" -H 'content-type: application/json' -d '{"message":"hi"}')
[ "$status" = 503 ] && grep -q PIKA_MODEL_BASE_URL "$data/turn.json"
curl -fsS "http://127.0.0.1:$port/openapi.json" | grep -q '/chat/{chatAppId}/messages'
echo "pika-local smoke test passed"
