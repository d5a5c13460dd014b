#!/usr/bin/env bash
# Builds the real Pulumi CLI and engine at the version of the project's @pulumi/pulumi, from the
# Go module proxy, and the local cloud (localcloud/: stand-in provider plugins and a stand-in
# kind), and prints one directory holding `pulumi`, `pulumi-resource-<provider>` and `kind`.
# Cached under ~/.cache/pulumi-azure-workload-identity/: the CLI keyed by its version
# (pulumi-v<version>, about 9 minutes and 2 GB of memory cold), the local cloud by a hash of its
# sources. Needs Go and the Go module proxy.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cache=${PAWI_CACHE:-$HOME/.cache/pulumi-azure-workload-identity}
version=$(sed -n 's/.*"@pulumi\/pulumi": "\([0-9][0-9.]*\)".*/\1/p' "$root/package.json" | tail -n 1)
[ -n "$version" ] || {
  echo "package.json must pin @pulumi/pulumi exactly (devDependencies): the engine is built at that version" >&2
  exit 1
}
grep -q "github.com/pulumi/pulumi/pkg/v3 v$version" "$root/localcloud/go.mod" || {
  echo "localcloud/go.mod must require github.com/pulumi/pulumi/pkg/v3 v$version (the SDK's version)" >&2
  exit 1
}
# The checksum database lacks an entry for a pkg/v3 go.mod; go.sum pins every hash anyway.
export GONOSUMDB=github.com/pulumi/pulumi GOFLAGS=-trimpath

build() { # build <dir> <go build args...>: into a temporary directory, moved into place whole
  local dir=$1 tmp
  shift
  mkdir -p "$cache"
  tmp=$(mktemp -d "$cache/.build.XXXXXX")
  (cd "$root/localcloud" && go build -o "$tmp/bin/" "$@") >&2
  rm -rf "$dir"
  mv "$tmp" "$dir"
}

cli="$cache/pulumi-v$version"
if [ ! -x "$cli/bin/pulumi" ]; then
  echo "building the Pulumi CLI v$version (cold: about 9 minutes) ..." >&2
  build "$cli" -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$version" \
    github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
fi

hash=$(cd "$root/localcloud" && cat go.mod go.sum ./*.go | sha256sum | cut -c1-16)
cloud="$cache/localcloud-$hash"
if [ ! -x "$cloud/bin/localcloud" ]; then
  echo "building the local cloud ..." >&2
  build "$cloud" .
  for name in kind docker pulumi-resource-azure-native pulumi-resource-kubernetes pulumi-resource-command \
    pulumi-resource-tls pulumi-resource-random; do
    ln -s localcloud "$cloud/bin/$name"
  done
fi
ln -sfn "$cli/bin/pulumi" "$cloud/bin/pulumi"
cli_says=$("$cloud/bin/pulumi" version) # whole, then matched: see build-control-plane.sh
grep -qx "v$version" <<<"$cli_says" || { echo "the CLI is not v$version: $cli_says" >&2; exit 1; }
echo "$cloud/bin"
