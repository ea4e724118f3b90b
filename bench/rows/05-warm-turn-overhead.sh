# Row 5: a warm turn over HTTP on pika-local whose model answers at once
# (bench/src/bin/model_standin.rs), beside the same streamed request sent
# to the stand-in directly (bench/src/bin/warm_turn.rs).
set -euo pipefail
source bench/lib.sh
source scripts/local-server.sh

local_bin=$(bench_build pika-local pika-local --no-default-features)
bench=$(bench_build pika-bench warm_turn --bin model_standin)
bin_dir=$(dirname "$bench")

work=$(mktemp -d)
pid=""
model_pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  if [ -n "$model_pid" ]; then kill "$model_pid" 2>/dev/null || true; wait "$model_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

model_port=$(free_port)
"$bin_dir/model_standin" "$model_port" &
model_pid=$!

# Turn limits off: one user sends every turn, one after the other.
cat >"$work/pika.toml" <<TOML
[server]
rate_limit_per_minute = 100000000
rate_limit_burst = 10000000
[auth]
dev_tokens = true
[model]
base_url = "http://127.0.0.1:$model_port/v1"
model = "standin"
[jobs]
enabled = false
[site.fairUse]
userTurnsPerMinute = 0
maxConcurrentTurnsPerUser = 0
TOML
port=$(free_port)
start_local "$local_bin" "$port" "$work"

"$bin_dir/warm_turn" "http://127.0.0.1:$port" "http://127.0.0.1:$model_port/v1"
