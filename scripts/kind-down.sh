#!/usr/bin/env bash
# Deletes the demo kind cluster (and everything in it).
# Usage: scripts/kind-down.sh     Environment: CLUSTER (bulwark).
set -euo pipefail
CLUSTER="${CLUSTER:-bulwark}"
if ! command -v kind >/dev/null 2>&1; then
  echo "kind is not installed (https://kind.sigs.k8s.io/docs/user/quick-start/#installation)" >&2
  exit 1
fi
if kind get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
  kind delete cluster --name "$CLUSTER"
else
  echo "no kind cluster named $CLUSTER"
fi
