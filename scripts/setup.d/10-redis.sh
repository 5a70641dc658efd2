#!/usr/bin/env bash
# Prerequisite of test/operability/redis-rate-limit.system-spec.ts: a redis-server binary (Debian's
# package). Installed only when missing; never started as a service (the spec runs its own
# redis-server on a free loopback port and stops it).
set -euo pipefail

if command -v redis-server >/dev/null 2>&1; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
# Another setup step may be running apt at the same time: wait for the dpkg lock instead of failing.
apt_opts=(-o DPkg::Lock::Timeout=600)
apt-get "${apt_opts[@]}" update -qq
# policy-rc.d keeps the package's post-install script from starting the daemon (exit 101 = deny).
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created_policy=1
fi
apt-get "${apt_opts[@]}" install -y -qq --no-install-recommends redis-server >/dev/null || status=$?
if [ "$created_policy" = 1 ]; then rm -f "$policy"; fi
exit "${status:-0}"
