//go:build tools

// Package tools pins the Pulumi YAML language host the tests run YAML programs with. Its own
// module requires an older pkg/v3 than the engine's (v3.206.0 against v3.276.0), and the host's
// code does not compile against the newer one, so it builds apart from the engine: the two talk
// over gRPC, as a released CLI and a separately installed language host do.
package tools

import _ "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml"
