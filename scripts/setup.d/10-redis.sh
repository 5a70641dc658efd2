#!/usr/bin/env bash
# Prerequisite of the shared rate-limit spec (test/operability/redis-rate-limit.system-spec.ts): a
# redis-server binary. The spec starts its own server on a free loopback port.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v redis-server >/dev/null 2>&1 || bash scripts/tools/apt-install.sh redis-server
