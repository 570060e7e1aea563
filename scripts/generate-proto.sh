#!/usr/bin/env bash
# Regenerates the gRPC TypeScript from the contracts: `buf lint` on proto/, then `buf generate`
# (ts-proto, outputServices=grpc-js) into shared/src/generated/proto, which is committed.
# Offline: buf and the ts-proto plugin both come from node_modules (`npm ci` first).
#
#   scripts/generate-proto.sh           lint and regenerate (what `npm run proto` does, plus lint)
#   scripts/generate-proto.sh --check   same, then fail if the committed output changed (CI)
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-}" in
  "" | --check) ;;
  *) echo "usage: scripts/generate-proto.sh [--check]" >&2; exit 2 ;;
esac

npx --no-install buf lint proto
npm run --silent proto
echo "generated shared/src/generated/proto from proto/"

if [ "${1:-}" = "--check" ]; then
  if ! git diff --quiet --exit-code -- shared/src/generated/proto \
    || [ -n "$(git ls-files --others --exclude-standard -- shared/src/generated/proto)" ]; then
    echo "shared/src/generated/proto differs from what proto/ generates: commit the regenerated files" >&2
    git status --short -- shared/src/generated/proto >&2
    exit 1
  fi
  echo "shared/src/generated/proto is up to date"
fi
