#!/usr/bin/env bash
# The proof that the construct library installs and works the way a user gets it: two consumer
# apps in temporary directories outside this repository install the packed artifacts (the npm
# tarball, the Python wheel) and their CDK dependencies from the registries at this repository's
# pinned versions, synthesize with cdk-nag and check the template (scripts/consumers/).
# Builds the artifacts first unless CONSUMERS_SKIP_BUILD=1. The Python consumer's wheels are kept in
# .cache/pip-wheels (pip's own HTTP cache stores nothing behind a no-store proxy), so a second run
# installs offline.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export PIP_CACHE_DIR="${PIP_CACHE_DIR:-$root/.cache/pip}" PIP_DISABLE_PIP_VERSION_CHECK=1
wheelhouse="$root/.cache/pip-wheels"
consumers="$root/scripts/consumers"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

pinned() { node -p "const p = require('$root/package.json'); (p.dependencies['$1'] ?? p.devDependencies['$1']).replace(/^[\\^~]/, '')"; }
cdk_lib="$(pinned aws-cdk-lib)" constructs="$(pinned constructs)" nag="$(pinned cdk-nag)"
monitoring="$(pinned cdk-monitoring-constructs)" cli="$(pinned aws-cdk)"
tsx="$(pinned tsx)" typescript="$(pinned typescript)" types_node="$(pinned @types/node)"
# PyPI publishes aws-cdk-lib after npm: 2.276.0 (the repo's pin) is not on PyPI yet, so the Python
# consumer uses the newest one there, which the package's peer range (^2.275.0) admits.
py_cdk_lib="${CONSUMER_PY_AWS_CDK_LIB:-2.275.0}"

if [ "${CONSUMERS_SKIP_BUILD:-0}" != 1 ]; then
  bash "$root/scripts/build-construct-package.sh" || { echo "FAIL: building the construct package" >&2; exit 1; }
fi
# API.md is generated from the code and kept in the repo: a stale copy fails here, not in review.
if git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
  if ! git -C "$root" diff --quiet -- packages/constructs/API.md; then
    echo "FAIL: packages/constructs/API.md is stale; commit the one scripts/build-construct-package.sh just wrote" >&2
    exit 1
  fi
fi
tarball="$(ls "$root"/packages/constructs/dist/js/*.tgz)"
wheel="$(ls "$root"/packages/constructs/dist/python/*.whl)"

# Synth as .ci/run does: offline, no credentials.
synth() { env -u AWS_PROFILE -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY "$@" synth -q -o cdk.out >/dev/null; }

typescript_consumer() {
  cp -R "$consumers/typescript" "$work/typescript" && cd "$work/typescript" &&
    npm install --no-audit --no-fund --save-exact --loglevel=error "$tarball" "aws-cdk-lib@$cdk_lib" \
      "constructs@$constructs" "cdk-nag@$nag" "cdk-monitoring-constructs@$monitoring" "aws-cdk@$cli" \
      "tsx@$tsx" "typescript@$typescript" "@types/node@$types_node" &&
    npx tsc -p tsconfig.json &&
    synth npx cdk &&
    node "$consumers/check-template.mjs" cdk.out typescript
}

python_consumer() {
  command -v python3 >/dev/null || { echo "python3 is required for the Python consumer" >&2; return 1; }
  cp -R "$consumers/python" "$work/python" && cd "$work/python" &&
    python3 -m venv .venv &&
    local requirements=("aws-cdk-lib==$py_cdk_lib" "constructs==$constructs" "cdk-nag==$nag"
      "cdk-monitoring-constructs==$monitoring") &&
    # Offline from the wheelhouse when it has everything; otherwise fill it from PyPI first.
    if ! .venv/bin/pip install --quiet --no-index --find-links "$wheelhouse" "${requirements[@]}" "$wheel" 2>/dev/null; then
      mkdir -p "$wheelhouse" &&
        .venv/bin/pip download --quiet --dest "$wheelhouse" "${requirements[@]}" &&
        .venv/bin/pip install --quiet --no-index --find-links "$wheelhouse" "${requirements[@]}" "$wheel"
    fi &&
    synth "$root/node_modules/.bin/cdk" &&
    node "$consumers/check-template.mjs" cdk.out python
}

summary=()
status=0
for consumer in typescript python; do
  started=$SECONDS
  echo "== consumer: $consumer"
  if ("${consumer}_consumer"); then
    summary+=("PASS  $consumer consumer ($((SECONDS - started)) s)")
  else
    summary+=("FAIL  $consumer consumer ($((SECONDS - started)) s)")
    status=1
  fi
done
echo "== consumers of the packed construct library"
printf '%s\n' "${summary[@]}"
exit "$status"
