#!/usr/bin/env bash
# Checks that every publishable package is correct as published: publint (package.json,
# exports, files) and @arethetypeswrong/cli in the esm-only profile. Run after `pnpm build`.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
for dir in packages/*/; do
  name=$(node -p "require('./${dir}package.json').name")
  printf '\n--- %s\n' "$name"
  (cd "$dir" && pnpm exec publint --strict) || status=1
  (cd "$dir" && pnpm exec attw --pack . --profile esm-only) || status=1
done
exit $status
