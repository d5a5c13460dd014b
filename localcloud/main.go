// Command localcloud is the project's local cloud: stand-ins for the programs that cannot run
// here (the Azure, Kubernetes, TLS, random and command provider plugins, and the kind CLI), so
// that the real Pulumi CLI and engine can plan, diff, order, checkpoint and store state for the
// project's stacks with no network. One binary, several names (as busybox does): the test
// harness links it as pulumi-resource-<provider> and kind on PATH, and as pulumi-language-go and
// pulumi-language-python for SDK generation alone (codegen.go).
//
// Everything the stand-ins create lives as files under $LOCALCLOUD_DIR, so tests can check
// that `pulumi destroy` leaves nothing behind. $LOCALCLOUD_LATENCY_MS or, per resource type,
// $LOCALCLOUD_LATENCY_MODEL delay every create, update and delete (a slow cloud; latency.go). With $LOCALCLOUD_CONTROL_PLANE, kind clusters run a real
// kube-apiserver and etcd (controlplane.go). Run as `localcloud`, it has two commands for the
// tests: `tls` makes certificates (pki.go), `serve` answers for storage and Resource Manager
// over HTTPS (serve.go).
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

func main() {
	name := filepath.Base(os.Args[0])
	if name == "kind" {
		os.Exit(kindMain(os.Args[1:]))
	}
	if name == "docker" {
		os.Exit(dockerMain(os.Args[1:]))
	}
	if name == "localcloud" && len(os.Args) > 1 {
		switch os.Args[1] {
		case "tls":
			os.Exit(tlsMain(os.Args[2:]))
		case "serve":
			os.Exit(serveMain(os.Args[2:]))
		}
	}
	if language, ok := strings.CutPrefix(name, "pulumi-language-"); ok && generators[language] != nil {
		os.Exit(languageMain(language))
	}
	pkg := strings.TrimPrefix(name, "pulumi-resource-")
	make, ok := providers[pkg]
	if !ok {
		fmt.Fprintf(os.Stderr, "localcloud: unknown name %q (link it as kind or pulumi-resource-<%s>)\n",
			name, strings.Join(providerNames(), "|"))
		os.Exit(2)
	}
	if err := provider.Main(pkg, func(*provider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		return make()
	}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
