#!/usr/bin/env bash
# Builds the real programs the control-plane tests run, from the Go module proxy: kube-apiserver
# (k8s.io/kubernetes, the minor of kind's default node image, newest patch the proxy serves),
# etcd (go.etcd.io/etcd/server/v3), the azure-workload-identity webhook (the release of the
# chart the Webhook component installs) and Helm (to render that chart with the stack's values).
# Prints one directory holding `kube-apiserver`, `etcd`, `azure-wi-webhook-manager` and `helm`,
# and beside it `workload-identity-webhook`, the chart's source from the webhook's module.
# Cached under ~/.cache/pulumi-azure-workload-identity/, each keyed by its version and a hash of
# its wrapper module (cold, on 2 cores: about 8 minutes for the first two, 3 and 3 for the rest).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cache=${PAWI_CACHE:-$HOME/.cache/pulumi-azure-workload-identity}
export GOFLAGS=-trimpath

version_of() { # version_of <module dir> <module path>: the version its go.mod requires
  local found
  found=$(sed -n "s|^[[:space:]]*\(require \)\{0,1\}$2 \(v[^ ]*\).*|\2|p" "$1/go.mod")
  echo "${found%%$'\n'*}"
}

build() { # build <name> <version> <module dir> <go build args...>: cached by name, version and
  # a hash of the wrapper module (go.mod, go.sum, its Go files)
  local name=$1 version=$2 dir=$3 key tmp
  shift 3
  # shellcheck disable=SC2046 # file names without spaces, from this repository
  key=$(cat "$dir/go.mod" "$dir/go.sum" $(find "$dir" -name '*.go' | sort) | sha256sum | cut -c1-12)
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

build kube-apiserver "$k8s" "$root/controlplane" -ldflags "\
-X k8s.io/component-base/version.gitVersion=$k8s \
-X k8s.io/component-base/version.gitMajor=1 \
-X k8s.io/component-base/version.gitMinor=$(echo "$k8s" | cut -d. -f2) \
-X k8s.io/component-base/version.gitTreeState=clean" k8s.io/kubernetes/cmd/kube-apiserver
build etcd "$etcd" "$root/controlplane" ./cmd/etcd
build azure-wi-webhook-manager "$wi" "$root/controlplane/webhook" -ldflags "\
-X github.com/Azure/azure-workload-identity/pkg/version.BuildVersion=$wi" \
  github.com/Azure/azure-workload-identity/cmd/webhook

helm=$(version_of "$root/controlplane/helm" helm.sh/helm/v4)
build helm "$helm" "$root/controlplane/helm" \
  -ldflags "-X helm.sh/helm/v4/internal/version.version=$helm" helm.sh/helm/v4/cmd/helm

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
