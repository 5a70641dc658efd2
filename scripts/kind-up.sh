#!/usr/bin/env bash
# Brings up the whole demo on a local kind cluster (needs Docker and kind; helm and kubectl are taken
# from .tools/ when not on PATH):
#   cluster -> namespaces -> Envoy Gateway (Gateway API) -> Prometheus -> PostgreSQL
#   -> image build + kind load -> helm install (both colours on the new image) -> helm test
# Usage: scripts/kind-up.sh [--tag TAG]    Re-running it is safe: every step is idempotent.
# Environment: CLUSTER (bulwark), NAMESPACE (bulwark), RELEASE (bulwark), ENVOY_GATEWAY_VERSION.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/tools/k8s-lib.sh
source scripts/tools/k8s-lib.sh

TAG="$(default_tag)"
while [ $# -gt 0 ]; do
  case "$1" in
    --tag) TAG="$2"; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 64 ;;
  esac
done
ENVOY_GATEWAY_VERSION="${ENVOY_GATEWAY_VERSION:-v1.5.0}"

need docker
need kind
ensure_helm_kubectl

step "kind cluster '$CLUSTER'"
if kind get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
  echo "exists"
else
  kind create cluster --name "$CLUSTER" --config k8s/kind-cluster.yaml --wait 120s
fi
"$KUBECTL" config use-context "kind-$CLUSTER" >/dev/null

step "namespaces (restricted Pod Security)"
"$KUBECTL" apply -f k8s/namespaces.yaml

step "Gateway API: Envoy Gateway $ENVOY_GATEWAY_VERSION (with the Gateway API CRDs)"
"$HELM" upgrade --install eg oci://docker.io/envoyproxy/gateway-helm --version "$ENVOY_GATEWAY_VERSION" \
  --namespace envoy-gateway-system --create-namespace --wait --timeout 5m
"$KUBECTL" apply -f k8s/gateway.yaml

step "Prometheus (pod discovery + the chart's SLO rules)"
"$HELM" template "$RELEASE" helm/bulwark --namespace "$NAMESPACE" -f k8s/values-kind.yaml \
  --set prometheusRule.enabled=true \
  --set-string "prometheusRule.selector=namespace=\"$NAMESPACE\"\,release=\"$RELEASE\"" \
  --show-only templates/prometheusrule.yaml \
  | node -e 'const y=require("js-yaml");const d=y.load(require("fs").readFileSync(0,"utf8"));process.stdout.write(y.dump({groups:d.spec.groups}))' \
  > "$WORK/bulwark-rules.yaml"
"$KUBECTL" -n monitoring create configmap prometheus-rules --from-file=bulwark.yaml="$WORK/bulwark-rules.yaml" \
  --dry-run=client -o yaml | "$KUBECTL" apply -f -
"$KUBECTL" apply -f k8s/prometheus.yaml
"$KUBECTL" -n monitoring rollout status deployment/prometheus --timeout 180s

step "PostgreSQL (demo)"
if ! "$KUBECTL" -n "$NAMESPACE" get secret postgresql-auth >/dev/null 2>&1; then
  password="$(node -e 'process.stdout.write(require("crypto").randomBytes(18).toString("base64url"))')"
  "$KUBECTL" -n "$NAMESPACE" create secret generic postgresql-auth --from-literal=POSTGRES_PASSWORD="$password"
  "$KUBECTL" -n "$NAMESPACE" create secret generic bulwark-database \
    --from-literal=DATABASE_URL="postgres://bulwark:${password}@postgresql:5432/bulwark"
fi
"$KUBECTL" apply -f k8s/postgres.yaml
"$KUBECTL" -n "$NAMESPACE" rollout status statefulset/postgresql --timeout 180s

step "image bulwark:$TAG"
build_and_load "$TAG"

step "helm upgrade --install $RELEASE (both colours on $TAG)"
"$HELM" upgrade --install "$RELEASE" helm/bulwark --namespace "$NAMESPACE" -f k8s/values-kind.yaml \
  --set-string "blue.image.tag=$TAG" --set-string "green.image.tag=$TAG" --wait --timeout 5m
"$KUBECTL" -n "$NAMESPACE" rollout status "deployment/$(fullname)-blue" --timeout 180s
"$KUBECTL" -n "$NAMESPACE" rollout status "deployment/$(fullname)-green" --timeout 180s

step "helm test (admin, product, user, order through the stable Service)"
"$HELM" test "$RELEASE" --namespace "$NAMESPACE" --logs

cat <<MSG

Bulwark is up on kind-$CLUSTER.
  API (through Envoy):  $KUBECTL -n envoy-gateway-system port-forward service/\$($KUBECTL -n envoy-gateway-system get svc -l gateway.envoyproxy.io/owning-gateway-name=bulwark-gateway -o name) 8080:80
                        curl localhost:8080/health/ready
  Prometheus:           $KUBECTL -n monitoring port-forward service/prometheus 9090
  New version:          scripts/deploy.sh --tag <tag>    (puts it on the idle colour)
  Roll it out:          npm run rollout -- run --platform kubernetes
  Tear down:            scripts/kind-down.sh
MSG
