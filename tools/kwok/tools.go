//go:build tools

// Package tools pins kwok (sigs.k8s.io/kwok), which runs fake nodes and pods against the
// control-plane tests' real API server so that Deployments roll out without containers. Built by
// .ci/build-control-plane.sh; its stages (the module's kustomize/stage/*/fast) are copied beside
// the binary there.
package tools

import _ "sigs.k8s.io/kwok/cmd/kwok"
