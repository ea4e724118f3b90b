#!/usr/bin/env bash
# Pika's benchmarks beside their anchors, measured in the same run, written
# to docs/benchmarks.md (a benchmark, not a test: nothing here fails on a
# slow figure; the table says which goals are met).
#
#   bash bench/run.sh              every row, then docs/benchmarks.md
#   bash bench/run.sh 04 09        the rows whose file names start so
#   bash bench/run.sh --tiny       each row once at a tiny size, debug
#                                  builds, results under $BENCH_RESULTS
#                                  (CI: proves the benchmarks still run)
#
# Each row is bench/rows/NN-name.sh; it writes one JSON result
# (pika_bench::RowResult) to $BENCH_OUT. bench/render.py turns the
# results into the page.
set -euo pipefail
cd "$(dirname "$0")/.."
tiny=${BENCH_TINY:-0}
wanted=()
for arg in "$@"; do
  case "$arg" in
    --tiny) tiny=1 ;;
    *) wanted+=("$arg") ;;
  esac
done
export BENCH_TINY=$tiny
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/pika-rs/target}"
if [ "$tiny" = 1 ]; then
  results="${BENCH_RESULTS:-$(mktemp -d)}"
else
  results="${BENCH_RESULTS:-bench/results}"
fi
mkdir -p "$results"
export BENCH_RESULTS="$results"

selected() {
  local name=$1
  [ ${#wanted[@]} -eq 0 ] && return 0
  for w in "${wanted[@]}"; do
    case "$name" in "$w"*) return 0 ;; esac
  done
  return 1
}

for row in bench/rows/*.sh; do
  name=$(basename "$row" .sh)
  selected "$name" || continue
  t0=$(date +%s)
  echo "=== [$(date -u +%H:%M:%S)] bench $name"
  BENCH_OUT="$results/$name.json" bash "$row"
  echo "=== bench $name took $(( $(date +%s) - t0 ))s"
done

if [ "$tiny" = 1 ]; then
  python3 bench/render.py "$results" > "$results/benchmarks.md"
  echo "=== tiny run: every row ran; results in $results"
else
  python3 bench/render.py "$results" > docs/benchmarks.md
  echo "=== docs/benchmarks.md rewritten"
fi
