# Row 7: 200 streamed turns at once on pika-local (model stand-in), then
# every turn's messages looked up (bench/src/bin/concurrent_turns.rs).
set -euo pipefail
source bench/lib.sh
source scripts/local-server.sh

local_bin=$(bench_build pika-local pika-local --no-default-features)
bench=$(bench_build pika-bench concurrent_turns --bin model_standin)
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

# The site's default fair use holds (4 turns running per user: the program
# spreads the turns over enough users); the per-user request rate is raised.
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
TOML
port=$(free_port)
start_local "$local_bin" "$port" "$work"

"$bin_dir/concurrent_turns" "http://127.0.0.1:$port"
