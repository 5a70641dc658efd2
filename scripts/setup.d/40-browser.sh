#!/usr/bin/env bash
# Prerequisite of the rollout report spec (test/rollout/report-browser.system-spec.ts): Debian's
# chromium, driven headless by playwright-core (which cannot download a browser of its own here).
# Installed only when missing; the spec starts its own instance with a throw-away profile.
set -euo pipefail

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
bash "$(dirname "$0")/../tools/apt-install.sh" "${missing[@]}"
