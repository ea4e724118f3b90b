# Row 8: DynamoDB requests per cold and warm turn, counted on moto
# (bench/src/bin/dynamo_requests.rs).
set -euo pipefail
source bench/lib.sh
"$(bench_build pika-bench dynamo_requests)"
