# Shared by scripts/kind-up.sh and scripts/deploy.sh (sourced, not run).
# shellcheck shell=bash
CLUSTER="${CLUSTER:-bulwark}"
NAMESPACE="${NAMESPACE:-bulwark}"
RELEASE="${RELEASE:-bulwark}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

step() { printf '\n== %s\n' "$*"; }

need() {
  if ! command -v "$1" >/dev/null 2>&1; then
    echo "$1 is required for this script and is not installed." >&2
    exit 1
  fi
}

# helm and kubectl: from PATH, else the static binaries of scripts/tools/install-helm.sh.
ensure_helm_kubectl() {
  HELM="$(command -v helm || true)"
  KUBECTL="$(command -v kubectl || true)"
  if [ -z "$HELM" ] || [ -z "$KUBECTL" ]; then
    bash scripts/tools/install-helm.sh 4
    HELM="${HELM:-$PWD/.tools/helm4/helm}"
    KUBECTL="${KUBECTL:-$PWD/.tools/helm4/kubectl}"
  fi
  export HELM KUBECTL
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

build_and_load() {
  docker build -t "bulwark:$1" .
  kind load docker-image "bulwark:$1" --name "$CLUSTER"
}
