#!/usr/bin/env bash
# Long fuzzing runs of every parser of untrusted input. The targets are
# property tests (no nightly toolchain for `cargo fuzz` here); `cargo test`
# runs each as a smoke run (1 000 cases in process, fewer over HTTP), this
# script runs them with PIKA_FUZZ_CASES cases each (default 100 000).
#
#   bash scripts/fuzz.sh            # every target
#   PIKA_FUZZ_CASES=1000000 bash scripts/fuzz.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PIKA_FUZZ_CASES="${PIKA_FUZZ_CASES:-100000}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/pika-rs/target}"
run() { echo "=== $*"; cargo test --all-features "$@" -- --nocapture; }
# Bearer tokens, JWT headers and claims; Pika-text and SSE encoders.
run -p pika-http --test fuzz_untrusted_input
# OpenAI-compatible SSE decoding, stream events, tool-call text.
run -p pika-local-adapters --lib openai::fuzz
# Bedrock event-stream bodies through the SDK and adapter; cursors.
run -p pika-aws-adapters --test fuzz_bedrock_stream
# The local server: request bodies, cursors and queries, signed file URLs.
run -p pika-local --test fuzz_local_inputs
