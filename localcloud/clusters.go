package main

import (
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"gopkg.in/yaml.v3"
)

// The clusters the local cloud runs (kind ones from the kind stand-in, AKS ones from the Azure
// stand-in), by API server URL. The Kubernetes stand-in answers only for a cluster listed here:
// like a real API server that is gone, a deleted cluster refuses every request.

func registerCluster(s *store, server, owner string) error {
	if s.has(server) {
		return fmt.Errorf("a cluster already serves %s", server)
	}
	return s.put(server, owner, resource.PropertyMap{"server": resource.NewStringProperty(server)})
}

// forgetCluster deletes a cluster and everything that was in it.
func forgetCluster(s *store, server string) error {
	if err := s.remove(server); err != nil {
		return err
	}
	objects := openStore("kubernetes")
	records, err := objects.list()
	if err != nil {
		return err
	}
	for _, r := range records {
		if strings.HasPrefix(r.Key, server+"|") {
			if err := objects.remove(r.Key); err != nil {
				return err
			}
		}
	}
	return nil
}

// kubeconfigFor is an admin kubeconfig as kind or AKS hands it out, for a stand-in cluster. Its
// client key is not a key, but it is shaped like one so that a leak of it shows in the tests'
// secret checks.
func kubeconfigFor(name, server string) string {
	return kubeconfigWith(name, server, "bG9jYWxjbG91ZC1jYQ==", "bG9jYWxjbG91ZC1jbGllbnQtY2VydA==",
		"LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpsb2NhbGNsb3VkCi0tLS0tRU5EIFJTQSBQUklWQVRFIEtFWS0tLS0tCg==")
}

// kubeconfigWith is a one-context kubeconfig with the given base64 CA, client certificate and key.
func kubeconfigWith(name, server, ca, cert, key string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority-data: %[3]s
    server: %[2]s
  name: %[1]s
contexts:
- context:
    cluster: %[1]s
    user: %[1]s
  name: %[1]s
current-context: %[1]s
users:
- name: %[1]s
  user:
    client-certificate-data: %[4]s
    client-key-data: %[5]s
`, name, server, ca, cert, key)
}

// serverOf reads the API server URL of a kubeconfig's current context.
func serverOf(kubeconfig string) (string, error) {
	creds, err := credentialsOf(kubeconfig)
	return creds.server, err
}

// kubeCredentials is what a kubeconfig's current context connects with.
type kubeCredentials struct {
	server        string
	ca, cert, key []byte
}

// credentialsOf reads a kubeconfig's current context: the server, its CA and the client
// certificate and key (the data fields; the local cloud writes no file references).
func credentialsOf(kubeconfig string) (kubeCredentials, error) {
	var cfg struct {
		CurrentContext string `yaml:"current-context"`
		Contexts       []struct {
			Name    string `yaml:"name"`
			Context struct {
				Cluster string `yaml:"cluster"`
				User    string `yaml:"user"`
			} `yaml:"context"`
		} `yaml:"contexts"`
		Clusters []struct {
			Name    string `yaml:"name"`
			Cluster struct {
				Server string `yaml:"server"`
				CA     string `yaml:"certificate-authority-data"`
			} `yaml:"cluster"`
		} `yaml:"clusters"`
		Users []struct {
			Name string `yaml:"name"`
			User struct {
				Cert string `yaml:"client-certificate-data"`
				Key  string `yaml:"client-key-data"`
			} `yaml:"user"`
		} `yaml:"users"`
	}
	if err := yaml.Unmarshal([]byte(kubeconfig), &cfg); err != nil {
		return kubeCredentials{}, fmt.Errorf("invalid kubeconfig: %w", err)
	}
	decode := func(s string) []byte {
		b, _ := base64.StdEncoding.DecodeString(s)
		return b
	}
	for _, c := range cfg.Contexts {
		if c.Name != cfg.CurrentContext {
			continue
		}
		var creds kubeCredentials
		for _, cl := range cfg.Clusters {
			if cl.Name == c.Context.Cluster {
				creds.server, creds.ca = cl.Cluster.Server, decode(cl.Cluster.CA)
			}
		}
		for _, u := range cfg.Users {
			if u.Name == c.Context.User {
				creds.cert, creds.key = decode(u.User.Cert), decode(u.User.Key)
			}
		}
		if creds.server != "" {
			return creds, nil
		}
	}
	return kubeCredentials{}, fmt.Errorf("invalid kubeconfig: no cluster for context %q", cfg.CurrentContext)
}

// clusterKubeconfig is the admin kubeconfig of a running cluster: a real control plane's own,
// or the local cloud's stand-in one.
func clusterKubeconfig(s *store, server, name string) (string, error) {
	rec, ok, err := s.get(server)
	if err != nil || !ok {
		return "", fmt.Errorf("no cluster serves %s", server)
	}
	if k := str(rec, "kubeconfig"); k != "" {
		return k, nil
	}
	return kubeconfigFor(name, server), nil
}
