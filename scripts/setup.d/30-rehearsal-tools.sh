#!/usr/bin/env bash
# Prerequisites of the rollout rehearsal (test/rollout, `npm run rehearse`): nginx as the weighted
# splitter and Prometheus as the metrics provider, both from Debian. Installed only when missing;
# never started as services (the rehearsal runs its own instances on free loopback ports).
set -euo pipefail

missing=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v prometheus >/dev/null 2>&1 || [ -x /usr/bin/prometheus ] || missing+=(prometheus)
if [ "${#missing[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  # Another setup step may be running apt at the same time: wait for the dpkg lock instead of failing.
  apt_opts=(-o DPkg::Lock::Timeout=600)
  apt-get "${apt_opts[@]}" update -qq
  # policy-rc.d keeps the packages' post-install scripts from starting the daemons (exit 101 = deny).
  policy=/usr/sbin/policy-rc.d
  created_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created_policy=1
  fi
  apt-get "${apt_opts[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || status=$?
  if [ "$created_policy" = 1 ]; then rm -f "$policy"; fi
  exit "${status:-0}"
fi
