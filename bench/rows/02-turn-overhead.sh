# Row 2: a whole turn's orchestration on the fakes (bench/src/bin/turn_overhead.rs).
set -euo pipefail
source bench/lib.sh
"$(bench_build pika-bench turn_overhead)"
