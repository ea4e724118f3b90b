# Row 1: Lambda cold start of pika-api (and pika-stream) beside a Node.js 20
# handler on the AWS SDK v3 (bench/node-baseline), under a local stand-in
# of the Lambda Runtime API, on moto (bench/src/bin/lambda_cold_start.rs).
set -euo pipefail
source bench/lib.sh

if [ ! -d bench/node-baseline/node_modules ]; then
  npm ci --prefix bench/node-baseline --no-audit --no-fund >&2
fi
# The profile the zips ship with (release-lambda: fat LTO, stripped), for
# this machine's architecture.
api=$(BENCH_PROFILE=release-lambda bench_build pika-lambda-shell pika-api)
stream=$(BENCH_PROFILE=release-lambda bench_build pika-lambda-shell pika-stream)
bench=$(bench_build pika-bench lambda_cold_start)

moto_server="$HOME/.cache/pika-moto-venv/bin/moto_server"
[ -x "$moto_server" ] || moto_server=moto_server
moto_port=$(free_port)
"$moto_server" -H 127.0.0.1 -p "$moto_port" >/dev/null 2>&1 &
moto_pid=$!
cleanup() {
  kill "$moto_pid" 2>/dev/null || true
  wait "$moto_pid" 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 1 300); do
  curl -fsS -o /dev/null "http://127.0.0.1:$moto_port/moto-api/" 2>/dev/null && break
  sleep 0.2
done

BENCH_MOTO_ENDPOINT="http://127.0.0.1:$moto_port" \
BENCH_PIKA_API="$api" \
BENCH_PIKA_STREAM="$stream" \
BENCH_NODE_CMD="node bench/node-baseline/index.mjs" \
  "$bench"
