# Row 6: embedded search beside SQLite LIKE over the same answers
# (bench/src/bin/search_cost.rs).
set -euo pipefail
source bench/lib.sh
"$(bench_build pika-bench search_cost)"
