#!/usr/bin/env bash
# Installs the given Debian packages (as root), the way every test-setup step needs it: waits for the
# dpkg lock when another step holds it, and keeps the packages' post-install scripts from starting
# their daemons (the tests start their own, on loopback ports). No-op without arguments.
set -euo pipefail
[ "$#" -gt 0 ] || exit 0
export DEBIAN_FRONTEND=noninteractive
apt_opts=(-o DPkg::Lock::Timeout=600)
apt-get "${apt_opts[@]}" update -qq
# policy-rc.d answering 101 denies service starts (https://people.debian.org/~hmh/invokerc.d-policyrc.d-specification.txt).
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created_policy=1
fi
status=0
apt-get "${apt_opts[@]}" install -y -qq --no-install-recommends "$@" >/dev/null || status=$?
if [ "$created_policy" = 1 ]; then rm -f "$policy"; fi
exit "$status"
