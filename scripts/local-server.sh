# Sourced by scripts that run a tool against a fresh pika-local.
#   start_local BIN PORT WORKDIR   starts `BIN serve` on 127.0.0.1:PORT
#   with its data in WORKDIR/data (and WORKDIR/pika.toml when present),
#   sets `pid`, and waits for /health; fails with the server's log if it
#   does not come up.
start_local() {
  local bin=$1 port=$2 work=$3
  export PIKA_DATA_DIR="$work/data" PIKA_BIND="127.0.0.1:$port"
  if [ -f "$work/pika.toml" ]; then export PIKA_CONFIG="$work/pika.toml"; fi
  "$bin" serve >"$work/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 150); do
    curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "pika-local did not start on port $port:" >&2
  tail -20 "$work/server.log" >&2
  return 1
}
