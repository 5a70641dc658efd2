#!/usr/bin/env bash
# Puts a new version of Bulwark on the idle (preview) colour of an installed release, through the
# promotion tool: `npm run rollout -- start --tag TAG`. The tool takes the release's lock (a deploy
# during a live canary is refused), runs the migrations with the new image, and waits until the new
# pods are ready; traffic stays where it is. Then run the rollout (`npm run rollout -- run …`).
# A first install is scripts/kind-up.sh on kind, or `helm install` (docs/kubernetes.md).
# Usage: scripts/deploy.sh [--tag TAG] [--no-build] [--dry-run]
#   --no-build  the image is already in a registry the cluster pulls from (set image.repository)
#   --dry-run   print every command it would run, run none
# Environment: CLUSTER (bulwark; kind load target, skipped when the context is not kind-*),
#   NAMESPACE (bulwark), RELEASE (bulwark).
set -euo pipefail
cd "$(dirname "$0")/.."

TAG=""
BUILD=1
while [ $# -gt 0 ]; do
  case "$1" in
    --tag) TAG="$2"; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --dry-run) DRY_RUN=1; shift ;;
    *) echo "unknown argument: $1" >&2; exit 64 ;;
  esac
done
# shellcheck source=scripts/tools/k8s-lib.sh
source scripts/tools/k8s-lib.sh
TAG="${TAG:-$(default_tag)}"
if [ "$TAG" = "latest" ]; then echo "refusing the tag 'latest': name a version" >&2; exit 64; fi
ensure_helm_kubectl

if [ "$DRY_RUN" = 1 ]; then
  context="kind-$CLUSTER"
  echo "# (dry run: assuming the kube context kind-$CLUSTER and an installed release $RELEASE)"
else
  context="$("$KUBECTL" config current-context)"
  if ! "$HELM" status "$RELEASE" --namespace "$NAMESPACE" >/dev/null 2>&1; then
    echo "no release $RELEASE in namespace $NAMESPACE (context $context): install it first (scripts/kind-up.sh on kind)" >&2
    exit 1
  fi
fi

if [ "$BUILD" = 1 ]; then
  need docker
  step "image bulwark:$TAG"
  if [ "$context" = "kind-$CLUSTER" ]; then build_and_load "$TAG"; else run docker build -t "bulwark:$TAG" .; fi
fi

step "the promotion tool (npm run build)"
run npm run --silent build

step "release $RELEASE: $TAG onto the idle colour (npm run rollout -- start)"
rollout start --tag "$TAG"

cat <<MSG

$TAG runs on the idle colour and takes no traffic yet. Next:
  scripts/demo-load.sh    (on kind: traffic for the canary analysis)
  $(quoted npm run rollout -- run --release "$RELEASE" --namespace "$NAMESPACE" --prometheus-url http://127.0.0.1:9090)
MSG
