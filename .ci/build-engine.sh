#!/usr/bin/env bash
# Builds the real Pulumi CLI and engine at the version of the project's @pulumi/pulumi, from the
# Go module proxy, and the local cloud (localcloud/: stand-in provider plugins and a stand-in
# kind), and the language hosts the component provider's tests use; prints one directory holding
# `pulumi`, `pulumi-resource-<provider>`, `pulumi-language-<language>` and `kind`.
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
# -trimpath as `npm run test:go` and `lint:go` build too, so that they share Go's build cache.
export GONOSUMDB=github.com/pulumi/pulumi GOFLAGS=-trimpath
# No symbol table or DWARF in what we build: the linker writes big binaries faster without them.
strip="-s -w"

build() { # build <dir> <module dir> <go build args...>: into a temporary directory, moved into
  # place whole
  local dir=$1 module=$2 tmp
  shift 2
  mkdir -p "$cache"
  tmp=$(mktemp -d "$cache/.build.XXXXXX")
  (cd "$module" && go build -o "$tmp/bin/" "$@") >&2
  rm -rf "$dir"
  mv "$tmp" "$dir"
}

cli="$cache/pulumi-v$version"
if [ ! -x "$cli/bin/pulumi" ]; then
  echo "building the Pulumi CLI v$version (cold: about 9 minutes) ..." >&2
  build "$cli" "$root/localcloud" -ldflags "$strip -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$version" \
    github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
fi

hash=$(cd "$root/localcloud" && cat go.mod go.sum ./*.go | sha256sum | cut -c1-16)
cloud="$cache/localcloud-$hash"
if [ ! -x "$cloud/bin/localcloud" ]; then
  echo "building the local cloud ..." >&2
  build "$cloud" "$root/localcloud" -ldflags "$strip" .
  for name in kind docker pulumi-resource-azure-native pulumi-resource-kubernetes pulumi-resource-command \
    pulumi-resource-tls pulumi-resource-random pulumi-language-go pulumi-language-python; do
    ln -s localcloud "$cloud/bin/$name"
  done
fi
# The real pulumi-kubernetes schema, which the kubernetes stand-in serves (localcloud/provider.go,
# GetSchema): YAML programs type-check their `pulumi:providers:kubernetes` against it. It ships in
# the provider's module (a 2 MB zip); the version is the one the Go module proxy serves.
k8s_module=github.com/pulumi/pulumi-kubernetes/provider/v4@v4.0.0-20260115033456-f47bc2d6f199
if [ ! -f "$cloud/bin/kubernetes-schema.json" ]; then
  k8s_dir=$(cd "$root/localcloud" && go mod download -json "$k8s_module" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -f "$k8s_dir/cmd/pulumi-resource-kubernetes/schema.json" ] || {
    echo "no schema.json in $k8s_module (at '$k8s_dir')" >&2
    exit 1
  }
  cp "$k8s_dir/cmd/pulumi-resource-kubernetes/schema.json" "$cloud/bin/kubernetes-schema.json"
fi

# Language hosts the engine starts for the component provider's tests: YAML runs programs,
# .NET generates an SDK. Each builds in a wrapper module of its own (tools/<host>: their pkg/v3
# is older than the engine's, and their code does not compile against the engine's), cached by
# the module's version and go.sum. About 2 minutes each, cold.
host() { # host <binary> <module path> <package path>
  local dir="$root/tools/$1" version out
  version=$(sed -n "s|^require $2 \(v[^ ]*\)$|\1|p" "$dir/go.mod")
  [ -n "$version" ] || { echo "tools/$1/go.mod must require $2 on one line" >&2; exit 1; }
  out="$cache/$1-$version-$(sha256sum <"$dir/go.sum" | cut -c1-12)"
  if [ ! -x "$out/bin/$1" ]; then
    echo "building $1 $version ..." >&2
    build "$out" "$dir" -ldflags "$strip" "$3"
  fi
  ln -sfn "$out/bin/$1" "$cloud/bin/$1"
}
host pulumi-language-yaml github.com/pulumi/pulumi-yaml github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml
host pulumi-language-dotnet github.com/pulumi/pulumi-dotnet/pulumi-language-dotnet/v3 \
  github.com/pulumi/pulumi-dotnet/pulumi-language-dotnet/v3
ln -sfn "$cli/bin/pulumi" "$cloud/bin/pulumi"
cli_says=$("$cloud/bin/pulumi" version) # whole, then matched: see build-control-plane.sh
grep -qx "v$version" <<<"$cli_says" || { echo "the CLI is not v$version: $cli_says" >&2; exit 1; }
echo "$cloud/bin"
