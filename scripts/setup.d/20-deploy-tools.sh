#!/usr/bin/env bash
# Prerequisites of the deployment specs (test/deploy): Helm 4 and Helm 3 binaries, promtool
# (Debian's prometheus package), shellcheck, dockerlinter, and tini (the image's PID 1, pinned to the
# Dockerfile's Debian version, for the spec that runs the image's file set). Idempotent and fast
# when present.
set -euo pipefail
cd "$(dirname "$0")/../.."

missing=()
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)
command -v unzip >/dev/null 2>&1 || missing+=(unzip)
command -v tini >/dev/null 2>&1 || missing+=(tini)
bash scripts/tools/apt-install.sh "${missing[@]}"

bash scripts/tools/install-helm.sh 4
bash scripts/tools/install-helm.sh 3

# dockerlinter lives outside the project's dependencies; its own install script fails, hence
# --ignore-scripts.
if [ ! -x .tools/dockerlinter/node_modules/.bin/dockerlinter ]; then
  npm install --silent --no-audit --no-fund --prefix .tools/dockerlinter --ignore-scripts dockerlinter@2.0.0 >/dev/null
fi
