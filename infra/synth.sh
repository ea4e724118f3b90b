#!/usr/bin/env bash
# Synthesizes PikaStack and lints the template, without AWS credentials:
#   1. npm ci (exactly the committed package-lock.json)
#   2. placeholder `bootstrap` files, in a temporary directory, for any of
#      the three functions missing from PIKA_LAMBDA_ASSETS (default
#      ../target/lambda, cargo-lambda's output)
#   3. tsc --noEmit, then `cdk synth` into infra/cdk.out
#   4. cfn-lint (from PyPI, in a venv at $HOME/.cache/pika-cfn-venv) on
#      cdk.out/PikaStack.template.json
#   5. the same synth + cfn-lint with every optional feature switched on
#      (search domain, memory, guardrail, no authorizer, per-app alarms, ...),
#      into a temporary directory, so the optional code paths stay valid too
# Extra arguments go to the `cdk synth` of step 3 (e.g. `-c search=true`);
# step 5 is skipped when there are any.
# Needs node >= 20, npm and python3. Reaches only the npm registry (npm ci)
# and PyPI (only when the venv is missing or holds another cfn-lint).
set -euo pipefail

INFRA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$INFRA_DIR"

CFN_LINT_VERSION="1.58.0"
VENV="${HOME}/.cache/pika-cfn-venv"
TEMPLATE="cdk.out/PikaStack.template.json"
# No CLI telemetry, no version check: nothing but the registries is reached.
export CDK_DISABLE_CLI_TELEMETRY=true CDK_DISABLE_VERSION_CHECK=true

now_ms() { echo $(($(date +%s%N) / 1000000)); }
secs() { local ms=$(($(now_ms) - $1)); printf '%d.%d s' $((ms / 1000)) $((ms % 1000 / 100)); }
step_start=0
step() { step_start=$(now_ms); printf '==> %s\n' "$*"; }
done_step() { printf '    done in %s\n' "$(secs "${step_start}")"; }
total_start=$(now_ms)

TMP_DIRS=()
cleanup() { ((${#TMP_DIRS[@]} == 0)) || rm -rf "${TMP_DIRS[@]}"; }
trap cleanup EXIT

# 1. Node dependencies, exactly as locked.
step "npm ci"
npm ci --no-audit --no-fund --no-update-notifier --loglevel=error
done_step

# 2. Lambda assets: the real ones where cargo-lambda built them, placeholders
#    for the rest (synth only needs a directory with a `bootstrap` file).
step "lambda assets"
ASSETS="${PIKA_LAMBDA_ASSETS:-${INFRA_DIR}/../target/lambda}"
missing=()
for fn in pika-api pika-stream pika-jobs; do
  [[ -f "${ASSETS}/${fn}/bootstrap" ]] || missing+=("$fn")
done
if ((${#missing[@]} > 0)); then
  tmp_assets="$(mktemp -d "${TMPDIR:-/tmp}/pika-lambda-assets.XXXXXX")"
  TMP_DIRS+=("${tmp_assets}")
  for fn in pika-api pika-stream pika-jobs; do
    mkdir -p "${tmp_assets}/${fn}"
    if [[ -f "${ASSETS}/${fn}/bootstrap" ]]; then
      cp -p "${ASSETS}/${fn}/bootstrap" "${tmp_assets}/${fn}/bootstrap"
    else
      printf '#!/bin/sh\necho "placeholder for %s: build it with cargo lambda build --release --arm64" >&2\nexit 1\n' "$fn" \
        >"${tmp_assets}/${fn}/bootstrap"
      chmod 755 "${tmp_assets}/${fn}/bootstrap"
    fi
  done
  echo "    placeholders for: ${missing[*]}"
  ASSETS="${tmp_assets}"
else
  echo "    all three functions found in ${ASSETS}"
fi
export PIKA_LAMBDA_ASSETS="${ASSETS}"
done_step

# 3. Type check and synthesize.
step "tsc --noEmit"
npx --no-install tsc --noEmit
done_step

step "cdk synth"
rm -rf cdk.out
npx --no-install cdk synth --no-notices -o cdk.out -q "$@"
test -s "${TEMPLATE}"
done_step

# 4. cfn-lint. Nothing is ignored globally (.cfnlintrc.yaml); the one
#    warning the CDK makes unavoidable is ignored on the resources it
#    concerns, with the reason next to it (lib/functions.ts).
step "cfn-lint ${CFN_LINT_VERSION}"
if ! "${VENV}/bin/cfn-lint" --version 2>/dev/null | grep -qx "cfn-lint ${CFN_LINT_VERSION}"; then
  python3 -m venv --clear "${VENV}"
  "${VENV}/bin/pip" install --quiet --disable-pip-version-check "cfn-lint==${CFN_LINT_VERSION}"
fi
"${VENV}/bin/cfn-lint" --config-file .cfnlintrc.yaml -- "${TEMPLATE}"
echo "    ${TEMPLATE}: no errors, no warnings"
done_step

# 5. Every optional feature on.
if (($# == 0)); then
  step "cdk synth + cfn-lint, all options on"
  full_out="$(mktemp -d "${TMPDIR:-/tmp}/pika-cdk-full.XXXXXX")"
  TMP_DIRS+=("${full_out}")
  npx --no-install cdk synth --no-notices -o "${full_out}" -q \
    -c prefix=pika-full -c search=true -c memoryId=pikamem-a1b2c3 \
    -c 'memoryFactsNamespace=/tenants/{actorId}/facts' \
    -c guardrailId=gr0abc123 -c guardrailVersion=1 -c authorizer=false \
    -c agentRuntime=inline-agent -c insightsModelId=anthropic.claude-3-haiku-20240307-v1:0 \
    -c corsOrigins=https://chat.example.com,https://admin.example.com \
    -c alarmChatAppIds=support,sales -c alarmEmail=ops@example.com -c tracing=true \
    -c hs256Tokens=true -c threatProtection=audit -c apiAccessLogs=false -c deletionProtection=false \
    -c httpToolsAllowedHosts=tools.example.com -c httpToolsAllowPrivate=10.0.0.0/16 \
    -c toolSecretsArn=arn:aws:secretsmanager:us-east-1:123456789012:secret:pika-tools-AbCdEf
  "${VENV}/bin/cfn-lint" --config-file .cfnlintrc.yaml -- "${full_out}/PikaStack.template.json"
  echo "    no errors, no warnings"
  done_step
fi

printf '==> OK: %s (%s resources) in %s\n' "${TEMPLATE}" \
  "$(node -e "console.log(Object.keys(require('./${TEMPLATE}').Resources).length)")" \
  "$(secs "${total_start}")"
