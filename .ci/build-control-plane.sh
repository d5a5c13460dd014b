#!/usr/bin/env bash
# Builds the real programs the control-plane tests run, from the Go module proxy: kube-apiserver
# (k8s.io/kubernetes, the minor of kind's default node image, newest patch the proxy serves),
# etcd (go.etcd.io/etcd/server/v3), the azure-workload-identity webhook (the release of the
# chart the Webhook component installs) and Helm (to render that chart with the stack's values).
# Then the parts that make the cluster behave like one: kube-controller-manager and kube-scheduler
# (same module), kwok (fake nodes and pods) and the real pulumi-kubernetes provider.
# Prints one directory holding `kube-apiserver`, `etcd`, `kube-controller-manager`,
# `kube-scheduler`, `kwok` (and `kwok-stages.yaml`), `azure-wi-webhook-manager`, `helm` and
# `pulumi-resource-kubernetes`, and beside it `workload-identity-webhook`, the chart's source from
# the webhook's module.
# Cached under ~/.cache/pulumi-azure-workload-identity/, each keyed by its version and a hash of
# its wrapper module. Each part's cold build time is in CONTRIBUTING.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cache=${PAWI_CACHE:-$HOME/.cache/pulumi-azure-workload-identity}
export GOFLAGS=-trimpath
# No symbol table or DWARF in what we build: the linker writes big binaries faster without them.
strip="-s -w"

version_of() { # version_of <module dir> <module path>: the version its go.mod requires
  local found
  found=$(sed -n "s|^[[:space:]]*\(require \)\{0,1\}$2 \(v[^ ]*\).*|\2|p" "$1/go.mod")
  echo "${found%%$'\n'*}"
}

key_of() { # key_of <module dir>: a hash of a wrapper module (go.mod, go.sum, its Go files)
  # shellcheck disable=SC2046 # file names without spaces, from this repository
  cat "$1/go.mod" "$1/go.sum" $(find "$1" -name '*.go' | sort) | sha256sum | cut -c1-12
}

build() { # build <name> <version> <module dir> <go build args...>: cached by name, version and
  # the wrapper module's key_of
  local name=$1 version=$2 dir=$3 key tmp
  shift 3
  key=$(key_of "$dir")
  local out="$cache/$name-$version-$key"
  if [ ! -x "$out/bin/$name" ]; then
    echo "building $name ..." >&2
    mkdir -p "$cache"
    tmp=$(mktemp -d "$cache/.build.XXXXXX")
    (cd "$dir" && go build -o "$tmp/bin/$name" "$@") >&2
    rm -rf "$out"
    mv "$tmp" "$out"
  fi
  ln -sfn "$out/bin/$name" "$bin/$name"
}

k8s=$(version_of "$root/controlplane" k8s.io/kubernetes)
etcd=$(version_of "$root/controlplane" go.etcd.io/etcd/server/v3)
wi=$(version_of "$root/controlplane/webhook" github.com/Azure/azure-workload-identity)
bin="$cache/control-plane/bin"
mkdir -p "$bin"

build kube-apiserver "$k8s" "$root/controlplane" -ldflags "$strip \
-X k8s.io/component-base/version.gitVersion=$k8s \
-X k8s.io/component-base/version.gitMajor=1 \
-X k8s.io/component-base/version.gitMinor=$(echo "$k8s" | cut -d. -f2) \
-X k8s.io/component-base/version.gitTreeState=clean" k8s.io/kubernetes/cmd/kube-apiserver
build etcd "$etcd" "$root/controlplane" -ldflags "$strip" ./cmd/etcd
# The controllers and the scheduler, from the same module: Deployments roll out, namespaces
# finalize, ServiceAccounts and their CA ConfigMap appear as in a cluster.
for prog in kube-controller-manager kube-scheduler; do
  build "$prog" "$k8s" "$root/controlplane" -ldflags "$strip \
-X k8s.io/component-base/version.gitVersion=$k8s \
-X k8s.io/component-base/version.gitMajor=1 \
-X k8s.io/component-base/version.gitMinor=$(echo "$k8s" | cut -d. -f2) \
-X k8s.io/component-base/version.gitTreeState=clean" "k8s.io/kubernetes/cmd/$prog"
done
# kwok plays the kubelet: fake nodes, and pods that become Running and Ready without containers.
# Its stages are the module's own "fast" ones (node and pod) and the node heartbeat with leases,
# gathered into one configuration beside the binary.
kwok=$(version_of "$root/tools/kwok" sigs.k8s.io/kwok)
build kwok "$kwok" "$root/tools/kwok" -ldflags "$strip" sigs.k8s.io/kwok/cmd/kwok
stages="$cache/kwok-stages-$kwok.yaml"
if [ ! -f "$stages" ]; then
  src=$(cd "$root/tools/kwok" && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)/kustomize/stage
  for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
    pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
    echo "---"
    cat "$src/$f"
  done >"$stages.tmp"
  mv "$stages.tmp" "$stages"
fi
ln -sfn "$stages" "$bin/kwok-stages.yaml"
build azure-wi-webhook-manager "$wi" "$root/controlplane/webhook" -ldflags "$strip \
-X github.com/Azure/azure-workload-identity/pkg/version.BuildVersion=$wi" \
  github.com/Azure/azure-workload-identity/cmd/webhook

helm=$(version_of "$root/controlplane/helm" helm.sh/helm/v4)
build helm "$helm" "$root/controlplane/helm" \
  -ldflags "$strip -X helm.sh/helm/v4/internal/version.version=$helm" helm.sh/helm/v4/cmd/helm

# The real pulumi-kubernetes provider. Its command embeds two documents the module zip lacks
# (`go generate` makes them from schema.json and terraform-mapping.json with the module's own
# generate.go), so the wrapper is copied, the documents generated into the copy, and built there.
# It builds last and alone: started beside the others (it shares no module versions with them),
# the programs' cold builds took 45 minutes instead of 40 (three Go builds at once on 2 cores).
k8s_provider=$(version_of "$root/tools/pulumi-resource-kubernetes" github.com/pulumi/pulumi-kubernetes/provider/v4)
k8s_provider_dir="$root/tools/pulumi-resource-kubernetes"
out="$cache/pulumi-resource-kubernetes-$k8s_provider-$(key_of "$k8s_provider_dir")"
if [ ! -x "$out/bin/pulumi-resource-kubernetes" ]; then
  echo "building pulumi-resource-kubernetes ..." >&2
  mkdir -p "$cache"
  tmp=$(mktemp -d "$cache/.build.XXXXXX")
  cp "$k8s_provider_dir/go.mod" "$k8s_provider_dir/go.sum" "$k8s_provider_dir/main.go" "$tmp/"
  (
    cd "$tmp"
    # The checksum database lacks an entry for a pkg/v3 go.mod; go.sum pins every hash anyway.
    export GONOSUMDB=github.com/pulumi/pulumi
    # Downloaded here, not only listed: `go list -m` gives no folder for a module not yet in the
    # module cache (it worked only because the engine's build, before this, fetched the module).
    module=$(go mod download -json github.com/pulumi/pulumi-kubernetes/provider/v4 |
      sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
    [ -n "$module" ] || { echo "go mod download gave no folder for pulumi-kubernetes" >&2; exit 1; }
    cmd="$module/cmd/pulumi-resource-kubernetes"
    cp "$cmd/schema.json" "$cmd/terraform-mapping.json" .
    VERSION="${k8s_provider#v}" go run "$cmd/generate.go"
    go build -o "$tmp/bin/pulumi-resource-kubernetes" \
      -ldflags "$strip -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=${k8s_provider#v}" .
  ) >&2
  rm -rf "$out"
  mv "$tmp" "$out"
fi
ln -sfn "$out/bin/pulumi-resource-kubernetes" "$bin/pulumi-resource-kubernetes"

chart="$cache/workload-identity-webhook-chart-$wi"
if [ ! -f "$chart/Chart.yaml" ]; then
  src=$(cd "$root/controlplane/webhook" && go list -m -f '{{.Dir}}' github.com/Azure/azure-workload-identity)
  rm -rf "$chart.tmp"
  cp -r "$src/manifest_staging/charts/workload-identity-webhook" "$chart.tmp"
  chmod -R u+w "$chart.tmp"
  mv "$chart.tmp" "$chart"
fi
ln -sfn "$chart" "$bin/../workload-identity-webhook"

# Read each version whole before matching: `etcd --version | grep -q` under pipefail fails at
# random, as grep leaves at the first line and etcd's next write dies of SIGPIPE.
apiserver_says=$("$bin/kube-apiserver" --version)
etcd_says=$("$bin/etcd" --version)
grep -qx "Kubernetes $k8s" <<<"$apiserver_says" || { echo "kube-apiserver is not $k8s: $apiserver_says" >&2; exit 1; }
grep -qx "etcd Version: ${etcd#v}" <<<"$etcd_says" || { echo "etcd is not $etcd: $etcd_says" >&2; exit 1; }
helm_says=$("$bin/helm" version --template '{{.Version}}')
grep -qx "$helm" <<<"$helm_says" || { echo "helm is not $helm: $helm_says" >&2; exit 1; }
echo "$bin"
