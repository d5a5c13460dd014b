// This file is copied by test/kind/verify-kind.sh into a scratch copy of the kind module, next to
// kind's kubeadm config template, so that it can use kind's internal packages: it loads each
// rendered kind configuration with kind's own loader (strict YAML, validation) and applies the
// control-plane node's patches to the kubeadm configuration kind would generate, exactly as
// `kind create cluster` does. It writes the result beside the input as <name>.kubeadm.yaml.
package kubeadm

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/kind/pkg/internal/apis/config/encoding"
	"sigs.k8s.io/kind/pkg/internal/patch"
)

func TestRenderedConfigs(t *testing.T) {
	dir := os.Getenv("KIND_CHECK_DIR")
	inputs, err := filepath.Glob(filepath.Join(dir, "*.kind.yaml"))
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no *.kind.yaml in %q (%v)", dir, err)
	}
	for _, input := range inputs {
		cluster, err := encoding.Load(input)
		if err != nil {
			t.Fatalf("%s: kind refuses the configuration: %v", input, err)
		}
		node := cluster.Nodes[0]
		base, err := Config(ConfigData{
			ClusterName:          "wi-check",
			KubernetesVersion:    strings.SplitN(strings.SplitN(node.Image, ":", 2)[1], "@", 2)[0],
			ControlPlaneEndpoint: "wi-check-control-plane:6443",
			APIBindPort:          6443,
			APIServerAddress:     "127.0.0.1",
			ControlPlane:         true,
			NodeAddress:          "172.18.0.2",
			NodeName:             "wi-check-control-plane",
			Token:                "abcdef.0123456789abcdef",
			PodSubnet:            "10.244.0.0/16",
			ServiceSubnet:        "10.96.0.0/16",
			IPFamily:             "ipv4",
			KubeProxyMode:        "iptables",
		})
		if err != nil {
			t.Fatalf("%s: kubeadm config: %v", input, err)
		}
		patched, err := patch.KubeYAML(base, node.KubeadmConfigPatches, node.KubeadmConfigPatchesJSON6902)
		if err != nil {
			t.Fatalf("%s: kind cannot apply the patches: %v", input, err)
		}
		out := strings.TrimSuffix(input, ".kind.yaml") + ".kubeadm.yaml"
		if err := os.WriteFile(out, []byte(patched), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
