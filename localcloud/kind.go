package main

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"gopkg.in/yaml.v3"
)

// A stand-in for the kind CLI (no Docker here): `create cluster`, `get kubeconfig`,
// `delete cluster`, `get clusters`. Creating reads the configuration the way kind and the
// control plane would: a cluster name may exist once; every extraMounts hostPath (relative ones
// against the working directory, as kind resolves them) must be a readable file; every
// service-account key file the API server is given must hold PKIX public keys only (a real
// kube-apiserver refuses PKCS#1 ones and does not start), and the signing key file a private key.

type kindNode struct {
	Role        string `yaml:"role"`
	ExtraMounts []struct {
		HostPath      string `yaml:"hostPath"`
		ContainerPath string `yaml:"containerPath"`
	} `yaml:"extraMounts"`
	KubeadmConfigPatches []string `yaml:"kubeadmConfigPatches"`
	// The renderer writes none (sa.pub holds every key); a config with some would be applied by
	// kind but not read here, so it is refused rather than half understood.
	KubeadmConfigPatchesJSON6902 []any `yaml:"kubeadmConfigPatchesJSON6902"`
}

type kindConfig struct {
	Kind       string     `yaml:"kind"`
	APIVersion string     `yaml:"apiVersion"`
	Nodes      []kindNode `yaml:"nodes"`
}

func kindMain(args []string) int {
	flags := map[string]string{}
	var words []string
	for i := 0; i < len(args); i++ {
		if strings.HasPrefix(args[i], "--") && i+1 < len(args) {
			flags[args[i]] = args[i+1]
			i++
		} else {
			words = append(words, args[i])
		}
	}
	clusters := openStore("clusters")
	name := flags["--name"]
	if name == "" {
		name = "kind"
	}
	server := kindServer(name)
	fail := func(format string, a ...any) int {
		fmt.Fprintf(os.Stderr, "ERROR: "+format+"\n", a...)
		return 1
	}
	switch strings.Join(words, " ") {
	case "create cluster":
		if clusters.has(server) {
			return fail("failed to create cluster: node(s) already exist for a cluster with the name %q", name)
		}
		fmt.Fprintf(os.Stderr, "Creating cluster %q ...\n", name)
		apiServer, roles, err := checkKindConfig(flags["--config"])
		if err != nil {
			return fail("failed to create cluster: %v", err)
		}
		record := resource.PropertyMap{
			"server": resource.NewStringProperty(server),
			"issuer": resource.NewStringProperty(apiServer["service-account-issuer"][0]),
		}
		kubeconfig := kubeconfigFor("kind-"+name, server)
		if controlPlaneBin() != "" {
			if kubeconfig, err = startControlPlane(name, server, apiServer, roles); err != nil {
				return fail("failed to create cluster: %v", err)
			}
			record["kubeconfig"] = resource.MakeSecret(resource.NewStringProperty(kubeconfig))
		}
		if err := clusters.put(server, "kind:"+name, record); err != nil {
			return fail("%v", err)
		}
		if path := flags["--kubeconfig"]; path != "" {
			if err := os.WriteFile(path, []byte(kubeconfig), 0o600); err != nil {
				return fail("%v", err)
			}
		}
		fmt.Fprintf(os.Stderr, " ✓ Ready after 0s\n")
		return 0
	case "get kubeconfig":
		if !clusters.has(server) {
			return fail("could not locate any control plane nodes for cluster named %q", name)
		}
		kubeconfig, err := clusterKubeconfig(clusters, server, "kind-"+name)
		if err != nil {
			return fail("%v", err)
		}
		fmt.Print(kubeconfig)
		return 0
	case "delete cluster":
		fmt.Fprintf(os.Stderr, "Deleting cluster %q ...\n", name)
		stopControlPlane(name)
		if err := forgetCluster(clusters, server); err != nil {
			return fail("%v", err)
		}
		return 0
	case "get clusters":
		records, err := clusters.list()
		if err != nil {
			return fail("%v", err)
		}
		for _, r := range records {
			if n, ok := strings.CutPrefix(r.Type, "kind:"); ok {
				fmt.Println(n)
			}
		}
		return 0
	}
	return fail("the local cloud's kind does not know %q", strings.Join(args, " "))
}

// kindServer is the API server address kind would publish for a cluster: a port on loopback.
func kindServer(name string) string {
	sum := sha256.Sum256([]byte(name))
	return fmt.Sprintf("https://127.0.0.1:%d", 30000+binary.BigEndian.Uint16(sum[:2])%30000)
}

// checkKindConfig reads a kind configuration as kind and kube-apiserver would, returning the
// control plane's API server flags, with paths in the node replaced by the host files mounted
// there, and the nodes' roles in order.
func checkKindConfig(file string) (map[string][]string, []string, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, nil, err
	}
	var cfg kindConfig
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		return nil, nil, err
	}
	if cfg.Kind != "Cluster" || cfg.APIVersion != "kind.x-k8s.io/v1alpha4" {
		return nil, nil, fmt.Errorf("unknown configuration %s %s", cfg.APIVersion, cfg.Kind)
	}
	if len(cfg.Nodes) == 0 || cfg.Nodes[0].Role != "control-plane" {
		return nil, nil, fmt.Errorf("the first node must be the control plane")
	}
	plane := cfg.Nodes[0]
	hostOf := map[string]string{}
	for _, m := range plane.ExtraMounts {
		host := m.HostPath
		if !filepath.IsAbs(host) {
			host, _ = filepath.Abs(host)
		}
		info, err := os.Stat(host)
		if err != nil || !info.Mode().IsRegular() {
			return nil, nil, fmt.Errorf("extraMounts: %s is not a readable file", m.HostPath)
		}
		hostOf[m.ContainerPath] = host
	}
	if len(plane.KubeadmConfigPatchesJSON6902) > 0 {
		return nil, nil, fmt.Errorf("the local cloud's kind does not apply kubeadmConfigPatchesJSON6902")
	}
	flags := map[string][]string{}
	for _, p := range plane.KubeadmConfigPatches {
		var patch struct {
			APIServer struct {
				ExtraArgs yaml.Node `yaml:"extraArgs"`
			} `yaml:"apiServer"`
		}
		if err := yaml.Unmarshal([]byte(p), &patch); err != nil {
			return nil, nil, err
		}
		collectFlags(&patch.APIServer.ExtraArgs, flags)
	}
	for _, f := range flags["service-account-key-file"] {
		host, ok := hostOf[f]
		if !ok {
			return nil, nil, fmt.Errorf("kube-apiserver: service-account-key-file %s is not mounted", f)
		}
		if err := readPublicKeys(host); err != nil {
			return nil, nil, fmt.Errorf("kube-apiserver: error reading public key file %s: %v", f, err)
		}
	}
	for _, f := range flags["service-account-signing-key-file"] {
		data, err := os.ReadFile(hostOf[f])
		if err != nil {
			return nil, nil, fmt.Errorf("kube-apiserver: service-account-signing-key-file %s: %v", f, err)
		}
		if block, _ := pem.Decode(data); block == nil || !strings.Contains(block.Type, "PRIVATE KEY") {
			return nil, nil, fmt.Errorf("kube-apiserver: service-account-signing-key-file %s holds no private key", f)
		}
	}
	issuers := flags["service-account-issuer"]
	if len(issuers) == 0 {
		return nil, nil, fmt.Errorf("kube-apiserver: service-account-issuer is not set")
	}
	for name, values := range flags {
		for i, v := range values {
			if host, ok := hostOf[v]; ok {
				flags[name][i] = host
			}
		}
	}
	roles := make([]string, 0, len(cfg.Nodes))
	for _, n := range cfg.Nodes {
		roles = append(roles, n.Role)
	}
	return flags, roles, nil
}

// collectFlags reads kubeadm extraArgs in either shape: a map (v1beta3) or a list of
// { name, value } (v1beta4).
func collectFlags(node *yaml.Node, into map[string][]string) {
	switch node.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(node.Content); i += 2 {
			into[node.Content[i].Value] = append(into[node.Content[i].Value], node.Content[i+1].Value)
		}
	case yaml.SequenceNode:
		for _, item := range node.Content {
			var arg struct{ Name, Value string }
			_ = item.Decode(&arg)
			into[arg.Name] = append(into[arg.Name], arg.Value)
		}
	}
}

// readPublicKeys accepts a file as kube-apiserver does: every PEM block a PKIX RSA or ECDSA
// public key, at least one.
func readPublicKeys(file string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	n := 0
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "PUBLIC KEY" {
			return fmt.Errorf("data does not contain any valid RSA or ECDSA public keys")
		}
		if _, err := x509.ParsePKIXPublicKey(block.Bytes); err != nil {
			return err
		}
		n++
	}
	if n == 0 {
		return fmt.Errorf("data does not contain any valid RSA or ECDSA public keys")
	}
	return nil
}
