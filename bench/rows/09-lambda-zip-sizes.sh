# Row 9: the three Lambda zips as shipped (scripts/build-lambdas.sh: arm64,
# profile `release-lambda`: fat LTO, one codegen unit, stripped, panics unwind)
# beside the Node.js baseline's zip (index.mjs + package.json +
# node_modules installed without dev dependencies).
# A tiny run zips the host's debug binaries instead: it proves the script.
set -euo pipefail
source bench/lib.sh

bins=(pika-api pika-stream pika-jobs)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ "${BENCH_TINY:-0}" = 1 ]; then
  build="debug build for the host (tiny run: sizes not representative)"
  for b in "${bins[@]}"; do
    mkdir -p "$work/rust/$b"
    cp "$(bench_build pika-lambda-shell "$b")" "$work/rust/$b/bootstrap"
  done
else
  build="scripts/build-lambdas.sh: aarch64, profile release-lambda (fat LTO, codegen-units 1, strip, panic unwind)"
  bash scripts/build-lambdas.sh >&2
  for b in "${bins[@]}"; do
    mkdir -p "$work/rust/$b"
    cp "$CARGO_TARGET_DIR/lambda/$b/bootstrap" "$work/rust/$b/bootstrap"
  done
fi

mkdir -p "$work/node"
cp bench/node-baseline/package.json bench/node-baseline/package-lock.json \
  bench/node-baseline/index.mjs "$work/node/"
npm ci --prefix "$work/node" --omit=dev --no-audit --no-fund >&2

python3 - "$work" "$build" <<'PY'
import json, os, sys, zipfile

work, build = sys.argv[1], sys.argv[2]

def zip_dir(src, out):
    """Zips src as Lambda takes it (deflate level 9); returns (zip bytes, files bytes)."""
    raw = 0
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for root, _, files in os.walk(src):
            for name in sorted(files):
                path = os.path.join(root, name)
                raw += os.path.getsize(path)
                z.write(path, os.path.relpath(path, src))
    return os.path.getsize(out), raw

mib = lambda n: f"{n / 1024 / 1024:.2f}"
node_zip, node_raw = zip_dir(os.path.join(work, "node"), os.path.join(work, "node.zip"))
rows, largest = [], 0
for b in ["pika-api", "pika-stream", "pika-jobs"]:
    z, raw = zip_dir(os.path.join(work, "rust", b), os.path.join(work, b + ".zip"))
    largest = max(largest, z)
    rows.append([b, mib(raw), mib(z), f"{node_zip / z:.1f}×"])
rows.append(["anchor: Node.js 20 (index.mjs + node_modules)", mib(node_raw), mib(node_zip), "1.0×"])
result = {
    "row": 9,
    "title": "Lambda zip sizes",
    "command": "bash bench/run.sh 09",
    "columns": ["function", "unzipped MiB", "zip MiB", "Node zip / this zip"],
    "rows": rows,
    "goal": "the smallest zips that keep the figures above (checked here: each below the Node zip)",
    "met": largest < node_zip,
    "summary": f"largest Rust zip {mib(largest)} MiB, Node's {mib(node_zip)} MiB (Node / Rust {node_zip / largest:.1f}×)",
    "notes": f"Rust: {build}. Node: the row 1 baseline, `npm ci --omit=dev` "
             "(the four AWS SDK v3 packages and their dependencies, unbundled, as row 1 loads them). "
             "Zipped with deflate level 9. Lambda's own Node.js runtime also carries an AWS SDK v3; "
             "a function that relies on it ships only its code, at the price of SDK versions it does not choose.",
}
out = os.environ.get("BENCH_OUT")
text = json.dumps(result, indent=2, ensure_ascii=False)
if out:
    open(out, "w").write(text)
else:
    print(text)
PY
