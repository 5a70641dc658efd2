#!/usr/bin/env bash
# Brings up the whole demo on a local kind cluster (needs Docker and kind; helm and kubectl are taken
# from PATH, else installed into .tools/ — linux/amd64 only):
#   cluster -> namespaces -> Envoy Gateway (Gateway API) -> Prometheus -> PostgreSQL
#   -> image build + kind load -> helm install (both colours on the new image) -> helm test
# Usage: scripts/kind-up.sh [--tag TAG] [--engine bulwark|argo] [--dry-run]
#   --engine argo  also install the Argo Rollouts controller and its Gateway API plugin, and install
#                  the release with rollout.engine=argo (docs/engines.md)
#   --dry-run      print every command it would run (those of a first run), run none
# Re-running it is safe and never touches an installed release: a new version goes through
# scripts/deploy.sh (the promotion tool's `start`), never through this script.
# Environment: CLUSTER (bulwark), NAMESPACE (bulwark), RELEASE (bulwark), ENVOY_GATEWAY_VERSION,
# ARGO_ROLLOUTS_VERSION (--engine argo; the plugin's version is in k8s/argo-rollouts.yaml).
set -euo pipefail
cd "$(dirname "$0")/.."

TAG=""
ENGINE=bulwark
while [ $# -gt 0 ]; do
  case "$1" in
    --tag) TAG="$2"; shift 2 ;;
    --engine)
      case "${2:-}" in bulwark|argo) ENGINE="$2" ;; *) echo "--engine must be bulwark or argo" >&2; exit 64 ;; esac
      shift 2 ;;
    --dry-run) DRY_RUN=1; shift ;;
    *) echo "unknown argument: $1" >&2; exit 64 ;;
  esac
done
# shellcheck source=scripts/tools/k8s-lib.sh
source scripts/tools/k8s-lib.sh
TAG="${TAG:-$(default_tag)}"
ENVOY_GATEWAY_VERSION="${ENVOY_GATEWAY_VERSION:-v1.5.0}"
ARGO_ROLLOUTS_VERSION="${ARGO_ROLLOUTS_VERSION:-v1.9.1}"

need docker
need kind
ensure_helm_kubectl

kind_cluster_exists() { kind get clusters 2>/dev/null | grep -qx "$CLUSTER"; }

step "kind cluster '$CLUSTER'"
if exists kind_cluster_exists; then
  echo "exists"
else
  run kind create cluster --name "$CLUSTER" --config k8s/kind-cluster.yaml --wait 120s
fi
run "$KUBECTL" config use-context "kind-$CLUSTER"

step "namespaces (restricted Pod Security)"
run "$KUBECTL" apply -f k8s/namespaces.yaml

step "Gateway API: Envoy Gateway $ENVOY_GATEWAY_VERSION (with the Gateway API CRDs)"
if exists "$HELM" status eg --namespace envoy-gateway-system; then
  echo "installed (left as it is)"
else
  run "$HELM" install eg oci://docker.io/envoyproxy/gateway-helm --version "$ENVOY_GATEWAY_VERSION" \
    --namespace envoy-gateway-system --create-namespace --wait --timeout 5m
fi
run "$KUBECTL" apply -f k8s/gateway.yaml

if [ "$ENGINE" = argo ]; then
  step "Argo Rollouts $ARGO_ROLLOUTS_VERSION with its Gateway API traffic-router plugin"
  run_sh "$(quoted "$KUBECTL" create namespace argo-rollouts --dry-run=client -o yaml) | $(quoted "$KUBECTL" apply -f -)"
  run "$KUBECTL" apply -n argo-rollouts \
    -f "https://github.com/argoproj/argo-rollouts/releases/download/$ARGO_ROLLOUTS_VERSION/install.yaml"
  # After install.yaml, whose argo-rollouts-config is empty: the plugin, and its rights on HTTPRoutes.
  run "$KUBECTL" apply -f k8s/argo-rollouts.yaml
  # The controller loads its plugins at start.
  run "$KUBECTL" -n argo-rollouts rollout restart deployment/argo-rollouts
  run "$KUBECTL" -n argo-rollouts rollout status deployment/argo-rollouts --timeout 180s
fi

step "Prometheus (pod discovery + the chart's SLO rules)"
run_sh "$(quoted "$HELM" template "$RELEASE" helm/bulwark --namespace "$NAMESPACE" -f k8s/values-kind.yaml \
  --set prometheusRule.enabled=true \
  --set-string "prometheusRule.selector=namespace=\"$NAMESPACE\"\\,release=\"$RELEASE\"" \
  --show-only templates/prometheusrule.yaml) \
  | $(quoted node -e 'const y=require("js-yaml");const d=y.load(require("fs").readFileSync(0,"utf8"));process.stdout.write(y.dump({groups:d.spec.groups}))') \
  > $(quoted "$WORK/bulwark-rules.yaml")"
run_sh "$(quoted "$KUBECTL" -n monitoring create configmap prometheus-rules --from-file=bulwark.yaml="$WORK/bulwark-rules.yaml" \
  --dry-run=client -o yaml) | $(quoted "$KUBECTL" apply -f -)"
run "$KUBECTL" apply -f k8s/prometheus.yaml
run "$KUBECTL" -n monitoring rollout status deployment/prometheus --timeout 180s

step "PostgreSQL (demo)"
if ! exists "$KUBECTL" -n "$NAMESPACE" get secret postgresql-auth; then
  password="$(node -e 'process.stdout.write(require("crypto").randomBytes(18).toString("base64url"))')"
  if [ "$DRY_RUN" = 1 ]; then password='<random>'; fi
  run "$KUBECTL" -n "$NAMESPACE" create secret generic postgresql-auth --from-literal=POSTGRES_PASSWORD="$password"
  run "$KUBECTL" -n "$NAMESPACE" create secret generic bulwark-database \
    --from-literal=DATABASE_URL="postgres://bulwark:${password}@postgresql:5432/bulwark"
fi
run "$KUBECTL" apply -f k8s/postgres.yaml
run "$KUBECTL" -n "$NAMESPACE" rollout status statefulset/postgresql --timeout 180s

step "the promotion tool (npm run build)"
run npm run --silent build

if exists "$HELM" status "$RELEASE" --namespace "$NAMESPACE"; then
  step "release $RELEASE exists: left as it is (a new version: scripts/deploy.sh --tag <tag>)"
else
  step "image bulwark:$TAG"
  build_and_load "$TAG"

  if [ "$ENGINE" = argo ]; then
    step "helm install $RELEASE (engine argo: one Rollout on $TAG)"
    run "$HELM" install "$RELEASE" helm/bulwark --namespace "$NAMESPACE" -f k8s/values-kind.yaml \
      --set rollout.engine=argo --set-string "rollout.argo.image.tag=$TAG" --wait --timeout 5m
    run "$KUBECTL" -n "$NAMESPACE" wait "rollout.argoproj.io/$(fullname)" --for=condition=Healthy --timeout 180s
  else
    step "helm install $RELEASE (both colours on $TAG)"
    run "$HELM" install "$RELEASE" helm/bulwark --namespace "$NAMESPACE" -f k8s/values-kind.yaml \
      --set-string "blue.image.tag=$TAG" --set-string "green.image.tag=$TAG" --wait --timeout 5m
    run "$KUBECTL" -n "$NAMESPACE" rollout status "deployment/$(fullname)-blue" --timeout 180s
    run "$KUBECTL" -n "$NAMESPACE" rollout status "deployment/$(fullname)-green" --timeout 180s
  fi

  step "helm test (read-only: readiness, versions, auth, OpenAPI, metrics through the stable Service)"
  run "$HELM" test "$RELEASE" --namespace "$NAMESPACE" --logs
fi

if [ "$ENGINE" = argo ]; then
  cat <<MSG

Bulwark is up on kind-$CLUSTER with engine argo: release $RELEASE in namespace $NAMESPACE. Next:
  1. The API through Envoy (keep it running), then try it:
       $(envoy_port_forward)
       curl localhost:8080/health/ready
  2. Demo traffic through the Gateway for 10 minutes (a canary with no traffic is never judged):
       scripts/demo-load.sh
  3. A new version (with migrations: helm upgrade --reset-then-reuse-values --set-string rollout.argo.image.tag=<tag>):
       $(quoted npm run rollout -- start --platform argo) --tag <tag> $(quoted --release "$RELEASE" --namespace "$NAMESPACE")
  4. Argo Rollouts runs the canary steps and the analysis; watch it to the end:
       $(quoted npm run rollout -- run --platform argo --release "$RELEASE" --namespace "$NAMESPACE")
     Where it stands, and by hand:
       $(quoted npm run rollout -- status --platform argo --release "$RELEASE" --namespace "$NAMESPACE")
       $(quoted npm run rollout -- promote --platform argo --release "$RELEASE" --namespace "$NAMESPACE")
       $(quoted npm run rollout -- abort --platform argo --release "$RELEASE" --namespace "$NAMESPACE")
  Tear down: scripts/kind-down.sh
MSG
  exit 0
fi

cat <<MSG

Bulwark is up on kind-$CLUSTER: release $RELEASE in namespace $NAMESPACE. Next, each in its own terminal:
  1. Prometheus, for the rollout (keep it running):
       $(quoted "$KUBECTL" -n monitoring port-forward service/prometheus 9090:9090)
  2. The API through Envoy (keep it running), then try it:
       $(envoy_port_forward)
       curl localhost:8080/health/ready
  3. A new version on the idle colour (no traffic yet):
       scripts/deploy.sh --tag <tag>
  4. Demo traffic through the Gateway for 10 minutes (a canary with no traffic is never judged):
       scripts/demo-load.sh
  5. Roll it out: canary 10 → 25 → 50 → 100 % with Prometheus checks, then promote (or roll back):
       $(quoted npm run rollout -- run --release "$RELEASE" --namespace "$NAMESPACE" --prometheus-url http://127.0.0.1:9090)
     Where it stands, and by hand:
       $(quoted npm run rollout -- status --release "$RELEASE" --namespace "$NAMESPACE")
       $(quoted npm run rollout -- promote --release "$RELEASE" --namespace "$NAMESPACE")
       $(quoted npm run rollout -- abort --release "$RELEASE" --namespace "$NAMESPACE")
  Tear down: scripts/kind-down.sh
MSG
