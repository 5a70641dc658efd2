#!/usr/bin/env bash
# Demo traffic on kind: creates a Job from k8s/demo-load.yaml in the release's active image that
# sends RATE read requests a second through the Gateway (Envoy) for DURATION, so that a canary
# receives its share and the rollout's analysis has requests to judge.
# Usage: scripts/demo-load.sh [--rate 20] [--duration 10m] [--dry-run]
# Environment: NAMESPACE (bulwark), RELEASE (bulwark), GATEWAY (bulwark-gateway).
set -euo pipefail
cd "$(dirname "$0")/.."

RATE=20
DURATION=10m
while [ $# -gt 0 ]; do
  case "$1" in
    --rate) RATE="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --dry-run) DRY_RUN=1; shift ;;
    *) echo "unknown argument: $1" >&2; exit 64 ;;
  esac
done
# shellcheck source=scripts/tools/k8s-lib.sh
source scripts/tools/k8s-lib.sh
ensure_helm_kubectl

envoy_selector="gateway.envoyproxy.io/owning-gateway-name=$GATEWAY,gateway.envoyproxy.io/owning-gateway-namespace=$NAMESPACE"
if [ "$DRY_RUN" = 1 ]; then
  image='<the active colour'"'"'s image>'
  envoy='<Envoy'"'"'s Service for the Gateway>'
  echo "# (dry run: the image and Envoy's Service are read from the cluster in a real run)"
else
  active="$("$KUBECTL" -n "$NAMESPACE" get configmap "$(fullname)-active-color" -o jsonpath='{.data.activeColor}')"
  active="${active//[[:space:]]/}"
  image="$("$KUBECTL" -n "$NAMESPACE" get deployment "$(fullname)-$active" -o jsonpath='{.spec.template.spec.containers[0].image}')"
  envoy="$("$KUBECTL" -n envoy-gateway-system get service -l "$envoy_selector" -o jsonpath='{.items[0].metadata.name}')"
  if [ -z "$envoy" ]; then echo "no Envoy Service for Gateway $GATEWAY (is Envoy Gateway installed? scripts/kind-up.sh)" >&2; exit 1; fi
fi

step "demo load: $RATE requests/s for $DURATION through $envoy, image $image"
run_sh "$(quoted "$KUBECTL" set image --local -f k8s/demo-load.yaml "load=$image" -o yaml) \
  | $(quoted "$KUBECTL" set env --local -f - "TARGET_URL=http://$envoy.envoy-gateway-system.svc.cluster.local" "RATE=$RATE" "DURATION=$DURATION" -o yaml) \
  | $(quoted "$KUBECTL" -n "$NAMESPACE" create -f -)"
echo "Follow it: $(quoted "$KUBECTL" -n "$NAMESPACE" logs -f -l app.kubernetes.io/name=bulwark-demo-load --max-log-requests 10)"
