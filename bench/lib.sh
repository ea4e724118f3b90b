# Sourced by bench/rows/*.sh.
#   bench_build PACKAGE BIN [cargo args...]   builds BIN (profile
#   $BENCH_PROFILE, default release; dev in a tiny run) and prints its path.
#   free_port                                 a free loopback TCP port.
bench_build() {
  local package=$1 bin=$2; shift 2
  if [ "${BENCH_TINY:-0}" = 1 ]; then
    # A tiny run proves the benchmarks still run: every binary of the
    # workspace in the features and profile the tests were built with, so
    # CI links them instead of compiling a second feature set.
    cargo build -q --locked --workspace --all-features --bins >&2
    echo "$CARGO_TARGET_DIR/debug/$bin"
    return
  fi
  local profile=${BENCH_PROFILE:-release}
  cargo build -q --locked --profile "$profile" -p "$package" --bin "$bin" "$@" >&2
  echo "$CARGO_TARGET_DIR/$profile/$bin"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
