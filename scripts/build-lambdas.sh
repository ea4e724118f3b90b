#!/usr/bin/env bash
# Builds Pika's Lambda binaries with cargo-lambda (installed from PyPI, with
# its Zig linker, into a venv outside the clone) into
# target/lambda/<name>/bootstrap — where infra/ (PIKA_LAMBDA_ASSETS) looks.
#
#   bash scripts/build-lambdas.sh                 # profile `release-lambda` (fat LTO), arm64 (Graviton), all three
#   bash scripts/build-lambdas.sh --dev pika-jobs # dev profile, host arch, one binary (CI)
#
# The Lambda binaries are the crate `pika-lambda-shell`, whose tree holds
# no embedded engine (llama.cpp, SQLite, tantivy; a test checks), and are
# never built with `-C target-cpu=native`.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${PIKA_CARGO_LAMBDA_VENV:-$HOME/.cache/pika-cargo-lambda-venv}"
if [ ! -x "$VENV/bin/cargo-lambda" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q 'cargo-lambda==1.9.2'
fi
export PATH="$VENV/bin:$PATH"

features=(-p pika-lambda-shell)
if [ "${1:-}" = "--dev" ]; then
  bin="${2:-pika-jobs}"
  # The host's own target: no cross toolchain, and the dependencies the
  # tests built are reused.
  target="$(rustc -vV | sed -n 's/^host: //p')"
  cargo lambda build "${features[@]}" --bin "$bin" --target "$target"
  ls -l "${CARGO_TARGET_DIR:-target}/lambda/$bin/bootstrap"
else
  cargo lambda build --profile release-lambda --arm64 "${features[@]}" \
    --bin pika-api --bin pika-stream --bin pika-jobs
  ls -l "${CARGO_TARGET_DIR:-target}"/lambda/*/bootstrap
fi
