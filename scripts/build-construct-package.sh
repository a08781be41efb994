#!/usr/bin/env bash
# Builds the construct library as users install it: compiles lib/ with jsii in packages/constructs
# (the jsii tool chain is pinned in that folder's own package.json), bundles the handlers into it,
# and packs the npm tarball and the Python wheel with jsii-pacmak into packages/constructs/dist.
# Also regenerates packages/constructs/API.md with jsii-docgen.
# jsii-pacmak's Python build venv installs from a project-local wheelhouse (.cache/pip-wheels),
# filled from PyPI on the first run, so a second run needs no network.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
pkg="$root/packages/constructs"
command -v python3 >/dev/null || { echo "python3 is required to build the Python wheel (jsii-pacmak)" >&2; exit 1; }

cd "$pkg"
[ -x node_modules/.bin/jsii ] || npm ci --no-audit --no-fund
# The peer dependencies (jsii assemblies jsii-docgen and jsii-pacmak read) are the repository's own
# pinned copies, linked rather than installed twice, so the package is built against what is tested.
for dep in aws-cdk-lib constructs cdk-nag cdk-monitoring-constructs; do
  ln -sfn "../../../node_modules/$dep" "node_modules/$dep"
done
rm -rf src lib bundles dist .jsii .jsii.gz tsconfig.json
# jsii compiles a package's own sources only, so the library is copied in; lib/ stays the one source.
cp -R "$root/lib" src
rm -rf src/bundling
(cd "$root" && npx tsx scripts/build-handlers.ts "$pkg")
npx jsii --silence-warnings=reserved-word
npx jsii-docgen --language typescript --output API.md
requirements="node_modules/jsii-pacmak/lib/targets/python/requirements-dev.txt"
wheelhouse="$root/.cache/pip-wheels"
stamp="$wheelhouse/.pacmak-$(sha256sum "$requirements" | cut -c1-16)"
if [ ! -e "$stamp" ]; then
  mkdir -p "$wheelhouse"
  python3 -m pip download --quiet --disable-pip-version-check --dest "$wheelhouse" -r "$requirements"
  touch "$stamp"
fi
PIP_NO_INDEX=1 PIP_FIND_LINKS="$wheelhouse" npx jsii-pacmak --targets js python --outdir dist
echo "Built: $(cd "$pkg" && ls dist/js/*.tgz dist/python/*.whl | tr '\n' ' ')"
