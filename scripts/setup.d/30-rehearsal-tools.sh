#!/usr/bin/env bash
# Prerequisites of the rollout rehearsal (test/rollout, `npm run rehearse`): nginx as the weighted
# splitter and Prometheus as the metrics provider, both from Debian. Installed only when missing;
# never started as services (the rehearsal runs its own instances on free loopback ports).
set -euo pipefail

missing=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v prometheus >/dev/null 2>&1 || [ -x /usr/bin/prometheus ] || missing+=(prometheus)
bash "$(dirname "$0")/../tools/apt-install.sh" "${missing[@]}"
