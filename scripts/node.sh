#!/usr/bin/env bash
# Runs its arguments with Node.js 24 (scripts/tools/node24.sh): `bash scripts/node.sh dist/main.js`.
# exec keeps the process id, so signals (Ctrl-C, SIGTERM) reach node itself.
set -euo pipefail
bin="$(bash "$(dirname "$0")/tools/node24.sh")"
exec "$bin/node" "$@"
