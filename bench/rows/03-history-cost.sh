# Row 3: a turn in a short vs a long session (bench/src/bin/history_cost.rs).
set -euo pipefail
source bench/lib.sh
"$(bench_build pika-bench history_cost)"
