# Shared by scripts/kind-up.sh, scripts/deploy.sh and scripts/demo-load.sh (sourced, not run).
# shellcheck shell=bash
CLUSTER="${CLUSTER:-bulwark}"
NAMESPACE="${NAMESPACE:-bulwark}"
RELEASE="${RELEASE:-bulwark}"
# The Gateway of k8s/gateway.yaml; Envoy Gateway labels the Service it makes for it with these.
GATEWAY="${GATEWAY:-bulwark-gateway}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
# 1: print every command instead of running it (--dry-run). Read-only checks of what exists are not
# made either: a dry run shows the commands of a first run on a machine with nothing installed.
DRY_RUN="${DRY_RUN:-0}"

step() { printf '\n== %s\n' "$*"; }

# The arguments as one line of shell that runs them (each word quoted where it needs it).
quoted() {
  local words=() word
  for word in "$@"; do words+=("$(printf '%q' "$word")"); done
  printf '%s' "${words[*]}"
}

# Runs a command; with --dry-run prints it instead, exactly as it would run.
run() {
  if [ "$DRY_RUN" = 1 ]; then
    printf '+ %s\n' "$(quoted "$@")"
    return 0
  fi
  "$@"
}

# Runs a pipeline given as one line of shell (build it with `quoted`); with --dry-run prints it.
run_sh() {
  if [ "$DRY_RUN" = 1 ]; then
    printf '+ %s\n' "$1"
    return 0
  fi
  bash -c "set -euo pipefail; $1"
}

# Whether a read-only check succeeds; with --dry-run it is not made and answers "no".
exists() {
  if [ "$DRY_RUN" = 1 ]; then
    printf '# (dry run: would check: %s; assuming not)\n' "$(quoted "$@")"
    return 1
  fi
  "$@" >/dev/null 2>&1
}

need() {
  if command -v "$1" >/dev/null 2>&1; then return 0; fi
  if [ "$DRY_RUN" = 1 ]; then
    printf '# note: %s is not installed here; a real run needs it\n' "$1"
    return 0
  fi
  echo "$1 is required for this script and is not installed." >&2
  exit 1
}

# helm and kubectl: from PATH, else the static binaries of scripts/tools/install-helm.sh — which
# exist for linux/amd64 only.
ensure_helm_kubectl() {
  HELM="$(command -v helm || true)"
  KUBECTL="$(command -v kubectl || true)"
  if [ -z "$HELM" ] || [ -z "$KUBECTL" ]; then
    if ! bundled_platform; then
      cat >&2 <<MSG
helm and kubectl must be on PATH: the bundled fallback (scripts/tools/install-helm.sh) has
linux/amd64 binaries only, and this is $(uname -s)/$(uname -m). Install them, then re-run:
  helm     https://helm.sh/docs/intro/install/      (macOS: brew install helm)
  kubectl  https://kubernetes.io/docs/tasks/tools/  (macOS: brew install kubectl)
MSG
      exit 1
    fi
    run bash scripts/tools/install-helm.sh 4
    HELM="${HELM:-$PWD/.tools/helm4/helm}"
    KUBECTL="${KUBECTL:-$PWD/.tools/helm4/kubectl}"
  fi
  export HELM KUBECTL
}

bundled_platform() {
  [ "$(uname -s)" = Linux ] && { [ "$(uname -m)" = x86_64 ] || [ "$(uname -m)" = amd64 ]; }
}

# <package version>-<commit>, never "latest".
default_tag() {
  local version commit
  version="$(node -p 'require("./package.json").version')"
  commit="$(git rev-parse --short HEAD 2>/dev/null || date +%Y%m%d%H%M%S)"
  echo "${version}-${commit}"
}

# The chart's <fullname> for this release (the release name when it contains "bulwark").
fullname() {
  case "$RELEASE" in
    *bulwark*) echo "$RELEASE" ;;
    *) echo "$RELEASE-bulwark" ;;
  esac
}

# The image as an archive for `kind load image-archive`: `kind load docker-image` fails with
# Docker's containerd image store (https://github.com/kubernetes-sigs/kind/issues/3795).
build_and_load() {
  run docker build -t "bulwark:$1" .
  run docker save -o "$WORK/bulwark-$1.tar" "bulwark:$1"
  run kind load image-archive "$WORK/bulwark-$1.tar" --name "$CLUSTER"
}

# The promotion tool, as the walk-through prints it (the release and namespace always named).
rollout() {
  run npm run --silent rollout -- "$@" --release "$RELEASE" --namespace "$NAMESPACE" \
    --helm "$HELM" --kubectl "$KUBECTL"
}

# The printed command that forwards Envoy's Service for the Gateway (kubectl's `-o name` already
# says `service/<name>`: port-forward takes it as it is).
envoy_port_forward() {
  # shellcheck disable=SC2016 # the $(…) is for the reader's shell, printed as it is
  printf '%s -n envoy-gateway-system port-forward "$(%s -n envoy-gateway-system get service -l %s -o name)" 8080:80' \
    "$KUBECTL" "$KUBECTL" \
    "gateway.envoyproxy.io/owning-gateway-name=$GATEWAY,gateway.envoyproxy.io/owning-gateway-namespace=$NAMESPACE"
}
