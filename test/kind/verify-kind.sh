#!/usr/bin/env bash
# Checks rendered kind configurations with kind's own code (no Docker needed): see
# test/kind/render_check_test.go. Usage: test/kind/verify-kind.sh <dir with *.kind.yaml>
# Needs Go and the Go module proxy. KIND_MODULE_VERSION picks the kind release (default v0.33.0).
set -euo pipefail
dir=$(cd "$1" && pwd)
version=${KIND_MODULE_VERSION:-v0.33.0}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

module=$(cd "$work" && go mod download -json "sigs.k8s.io/kind@${version}" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -n "$module" ] || { echo "could not download sigs.k8s.io/kind@${version}" >&2; exit 1; }
cp -r "$module" "$work/kind"
chmod -R u+w "$work/kind"
cp "$root/test/kind/render_check_test.go" "$work/kind/pkg/cluster/internal/kubeadm/zz_render_check_test.go"
cd "$work/kind"
KIND_CHECK_DIR="$dir" go test ./pkg/cluster/internal/kubeadm/ -run '^TestRenderedConfigs$' -count=1
