#!/usr/bin/env bash
# Synthesizes this checkout and a copy of it at another path, and fails unless the templates
# (asset hashes included) are byte-identical: deploys from two machines must not differ.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/elsewhere/clone"
# The copy builds its own handler bundles (no bundles/), so the bundles are shown reproducible too.
tar -C "$root" --exclude=./node_modules --exclude=./cdk.out --exclude=./.venv --exclude=./.git --exclude=./bundles \
  --exclude=./.cache --exclude=./packages/constructs/node_modules --exclude=./packages/constructs/dist -cf - . |
  tar -C "$work/elsewhere/clone" -xf -
ln -s "$root/node_modules" "$work/elsewhere/clone/node_modules"

synth() { (cd "$1" && env -u AWS_PROFILE -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY npx cdk synth -q -o "$2" >/dev/null); }
synth "$root" "$work/out-a"
synth "$work/elsewhere/clone" "$work/out-b"

status=0
for template in "$work"/out-a/*.template.json; do
  name="$(basename "$template")"
  if ! cmp -s "$template" "$work/out-b/$name"; then
    echo "Synth is not reproducible: $name differs between $root and a copy elsewhere" >&2
    diff <(python3 -m json.tool "$template") <(python3 -m json.tool "$work/out-b/$name") | head -20 >&2 || true
    status=1
  fi
done
[ "$status" -eq 0 ] && echo "Reproducible synth: templates and asset hashes identical across two checkouts"
exit "$status"
