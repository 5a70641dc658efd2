#!/usr/bin/env bash
# Deploys a version of Bulwark with Helm.
#  - No release yet: installs it with both colours on TAG.
#  - Release exists: puts TAG on the idle (preview) colour only, waits for it, and leaves traffic
#    alone: the active colour keeps serving. Then run the rollout (`npm run rollout -- run`) or
#    `helm upgrade … --reuse-values --set canary.weight=N` / `--set activeColor=<colour>` by hand.
# Usage: scripts/deploy.sh [--tag TAG] [--no-build] [-f values.yaml]...
#   --no-build  the image is already in a registry the cluster pulls from (set image.repository)
# Environment: CLUSTER (bulwark; kind load target, skipped when the context is not kind-*),
#   NAMESPACE (bulwark), RELEASE (bulwark), VALUES (k8s/values-kind.yaml on kind, none otherwise).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/tools/k8s-lib.sh
source scripts/tools/k8s-lib.sh

TAG="$(default_tag)"
BUILD=1
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --tag) TAG="$2"; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    -f|--values) extra+=(--values "$2"); shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 64 ;;
  esac
done
if [ "$TAG" = "latest" ]; then echo "refusing the tag 'latest': name a version" >&2; exit 64; fi
ensure_helm_kubectl

context="$("$KUBECTL" config current-context)"
if [ -z "${VALUES:-}" ] && [ "$context" = "kind-$CLUSTER" ]; then VALUES=k8s/values-kind.yaml; fi
values=()
if [ -n "${VALUES:-}" ]; then values=(--values "$VALUES"); fi

if [ "$BUILD" = 1 ]; then
  need docker
  step "image bulwark:$TAG"
  if [ "$context" = "kind-$CLUSTER" ]; then build_and_load "$TAG"; else docker build -t "bulwark:$TAG" .; fi
fi

if "$HELM" status "$RELEASE" --namespace "$NAMESPACE" >/dev/null 2>&1; then
  active="$("$KUBECTL" -n "$NAMESPACE" get service "$(fullname)" -o jsonpath='{.metadata.annotations.bulwark\.dev/active-color}')"
  if [ "$active" = "blue" ]; then idle=green; else idle=blue; fi
  step "release $RELEASE: $active serves; putting $TAG on the idle colour $idle"
  "$HELM" upgrade "$RELEASE" helm/bulwark --namespace "$NAMESPACE" --reuse-values "${extra[@]}" \
    --set-string "$idle.image.tag=$TAG" --wait --timeout 5m
  "$KUBECTL" -n "$NAMESPACE" rollout status "deployment/$(fullname)-$idle" --timeout 300s
  echo "$idle runs $TAG and takes no traffic yet (canary.weight unchanged)."
  echo "Next: npm run rollout -- run    (or helm upgrade … --reuse-values --set canary.weight=10)"
else
  step "installing $RELEASE with both colours on $TAG"
  "$HELM" upgrade --install "$RELEASE" helm/bulwark --namespace "$NAMESPACE" --create-namespace \
    "${values[@]}" "${extra[@]}" --set-string "blue.image.tag=$TAG" --set-string "green.image.tag=$TAG" \
    --wait --timeout 5m
fi
"$HELM" status "$RELEASE" --namespace "$NAMESPACE" | sed -n '/NOTES/,$p'
