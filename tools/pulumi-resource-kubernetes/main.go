// Command pulumi-resource-kubernetes is the real pulumi-kubernetes provider, built from its Go
// module for the control-plane tests. The module leaves the two embedded documents to `go
// generate`, which cannot run in the read-only module cache, so the build script generates them
// beside this file (with the module's own generate.go) before building; they are not committed.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema-embed.json
var schema []byte

//go:embed terraform-mapping-embed.json
var terraformMapping []byte

func main() {
	provider.Serve("kubernetes", version.Version, schema, terraformMapping)
}
