# Row 4: GET /sessions throughput on pika-local beside a bare axum handler
# serving the same body (bench/src/bin/sessions_throughput.rs,
# bench/src/bin/bare_sessions.rs), both under the same wrk load.
set -euo pipefail
source bench/lib.sh
source scripts/local-server.sh

if ! command -v wrk >/dev/null; then
  apt-get install -y wrk >&2 || sudo apt-get install -y wrk >&2
fi
local_bin=$(bench_build pika-local pika-local --no-default-features)
bench=$(bench_build pika-bench sessions_throughput --bin bare_sessions)
bin_dir=$(dirname "$bench")

if [ "${BENCH_TINY:-0}" = 1 ]; then
  load=(-t 1 -c 4 -d 1s)
else
  load=(-t 2 -c 32 -d 10s)
fi
sessions=20

work=$(mktemp -d)
pid=""
bare_pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  if [ -n "$bare_pid" ]; then kill "$bare_pid" 2>/dev/null || true; wait "$bare_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

cat >"$work/pika.toml" <<TOML
[server]
rate_limit_per_minute = 100000000
rate_limit_burst = 10000000
[auth]
dev_tokens = true
[model]
provider = "none"
[jobs]
enabled = false
TOML
port=$(free_port)
start_local "$local_bin" "$port" "$work"
token=$("$bin_dir/sessions_throughput" setup "http://127.0.0.1:$port" "$sessions" "$work/body.json")

bare_port=$(free_port)
"$bin_dir/bare_sessions" "$bare_port" "$work/body.json" &
bare_pid=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$bare_port/sessions" >/dev/null 2>&1 && break
  sleep 0.1
done

# A short warm-up of each, then the measured runs, one after the other.
wrk -t 1 -c 2 -d 1s -H "Authorization: Bearer $token" "http://127.0.0.1:$port/sessions" >/dev/null
wrk -t 1 -c 2 -d 1s -H "Authorization: Bearer $token" "http://127.0.0.1:$bare_port/sessions" >/dev/null
wrk "${load[@]}" --latency -H "Authorization: Bearer $token" \
  "http://127.0.0.1:$port/sessions" | tee "$work/pika.wrk" >&2
wrk "${load[@]}" --latency -H "Authorization: Bearer $token" \
  "http://127.0.0.1:$bare_port/sessions" | tee "$work/bare.wrk" >&2

"$bin_dir/sessions_throughput" report "$work/pika.wrk" "$work/bare.wrk" \
  "wrk ${load[*]} (loopback, $(nproc) cores shared by wrk and the server), $sessions sessions listed"
