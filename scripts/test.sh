#!/usr/bin/env bash
# The one test command (README "Testing"): installs what the suites need on a fresh Debian machine,
# builds the production bundle, and runs every jest project (unit, rollout, e2e, system).
set -euo pipefail
cd "$(dirname "$0")/.."

# The suites run on Node 24, the image's runtime: the machine's node when it is 24 or newer,
# otherwise Node 24 from the npm registry (scripts/tools/node24.sh). Every process below (npm,
# jest, the services and tools the specs start) inherits this PATH.
echo "== node"
PATH="$(bash scripts/tools/node24.sh):$PATH"
export PATH
node --version

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

echo "== lint (ESLint, Prettier)"
npm run lint

# jest loads the ES-module dependencies (Nest 12, cockatiel, ...) with Node's require(esm), which
# its module runtime does through the VM modules API (https://jestjs.io/docs/ecmascript-modules).
jest() { node --experimental-vm-modules --no-warnings=ExperimentalWarning node_modules/jest/bin/jest.js "$@"; }

mkdir -p .tmp
rm -f .tmp/jest-*.json
status=0

echo "== jest: unit, rollout (the promotion tool's unit specs) and e2e (in-process, two workers)"
jest --ci --selectProjects unit rollout e2e --maxWorkers=2 --json --outputFile=.tmp/jest-fast.json "$@" || status=1

echo "== jest: system (real processes: one spec at a time)"
# System specs start several processes each (service instances, PostgreSQL, nginx, Prometheus,
# Redis) and some bound latencies; two of them side by side on two cores starve each other.
jest --ci --selectProjects system --runInBand --json --outputFile=.tmp/jest-system.json "$@" || status=1

# One closing line for both runs: "N passed, N failed".
# shellcheck disable=SC2016 # JavaScript, not shell: its ${…} are template literals
node -e '
  const fs = require("node:fs");
  let passed = 0, failed = 0;
  for (const f of [".tmp/jest-fast.json", ".tmp/jest-system.json"]) {
    if (!fs.existsSync(f)) { failed += 1; continue; }
    const r = JSON.parse(fs.readFileSync(f, "utf8"));
    passed += r.numPassedTests; failed += r.numFailedTests + (r.numRuntimeErrorTestSuites || 0);
  }
  console.log(`${passed} passed, ${failed} failed`);
'
exit $status
