#!/usr/bin/env bash
# Prerequisites of the backup specs (test/backup, test/deploy/chart-backup): PostgreSQL's own pg_dump
# and pg_restore, with a server of the same version beside them (Debian's postgresql package:
# /usr/lib/postgresql/N/bin). The embedded PostgreSQL ships the server only, and its version (18)
# is newer than Debian 12's client programs (15), which refuse to dump it: those specs then run
# their own throw-away cluster of Debian's version. Installed only when missing; never started as
# a service (apt-install.sh keeps the package's scripts from starting it).
set -euo pipefail

missing=()
if ! ls /usr/lib/postgresql/*/bin/pg_dump >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  missing+=(postgresql)
fi
bash "$(dirname "$0")/../tools/apt-install.sh" "${missing[@]}"
