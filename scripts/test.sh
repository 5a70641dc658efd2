#!/usr/bin/env bash
# The one test command (README "Testing"): installs what the suites need on a fresh Debian machine,
# builds the production bundle, and runs every jest project (unit, e2e, system).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== npm ci"
npm ci --no-audit --no-fund

echo "== test prerequisites (scripts/setup.d)"
for step in scripts/setup.d/*.sh; do
  [ -e "$step" ] || continue
  echo "-- $step"
  bash "$step"
done

echo "== build"
npm run build

echo "== jest"
# Two workers on two cores; system specs start real processes and set their own timeouts.
exec npx jest --ci --maxWorkers=2 "$@"
