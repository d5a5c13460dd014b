package main

import (
	"fmt"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// A stand-in for pulumi-kubernetes: objects kept per cluster, refused when the cluster is not
// running (connection refused), when their namespace does not exist, or when a pod names a
// ServiceAccount that does not exist, as an API server would. A provider whose kubeconfig points
// at another cluster is replaced (pulumi-kubernetes' DiffConfig does so), and with it everything
// that was in the old cluster.

var builtinNamespaces = map[string]bool{"default": true, "kube-system": true, "kube-public": true, "kube-node-lease": true}

func kubernetesProvider() (pulumirpc.ResourceProviderServer, error) {
	objects := openStore("kubernetes")
	clusters := openStore("clusters")
	server := ""
	// Whether a cluster runs a real API server does not change while it exists: read once per
	// cluster, not on every operation (server: its refusal, or nil).
	var live sync.Map
	reachable := func() error {
		if server == "" {
			return fmt.Errorf("the Kubernetes provider has no kubeconfig")
		}
		if !clusters.has(server) {
			return fmt.Errorf("Get %q: dial tcp: connect: connection refused", server+"/version")
		}
		if refusal, seen := live.Load(server); seen {
			err, _ := refusal.(error)
			return err
		}
		rec, _, err := clusters.get(server)
		if err != nil {
			return err
		}
		// A cluster with a real API server is the real pulumi-kubernetes provider's to serve: this
		// stand-in would only pretend to apply (the tests put the real one first on PATH).
		var refusal error
		if str(rec, "kubeconfig") != "" {
			refusal = fmt.Errorf("%s runs a real API server: use the real pulumi-resource-kubernetes for it, not the local cloud's stand-in", server)
		}
		live.Store(server, refusal)
		return refusal
	}
	key := func(tok, id string) string { return server + "|" + tok + "|" + id }
	namespaceExists := func(ns string) bool {
		return builtinNamespaces[ns] || objects.has(key("kubernetes:core/v1:Namespace", ns))
	}
	autoName := func(logical string, seed []byte) resource.PropertyValue {
		return resource.NewStringProperty(logical + "-" + suffix(seed, "name", 8, lowerAlnum))
	}

	types := map[string]*resourceType{}
	object := func(tok string, namespaced bool, check func(ins resource.PropertyMap, ns string) error) {
		t := &resourceType{
			replaceOn: []string{"apiVersion", "kind", "metadata.name", "metadata.namespace"},
			autoName:  autoName, autoNamePath: "metadata.name",
		}
		idOf := func(ins resource.PropertyMap) (string, string) {
			meta := resource.PropertyMap{}
			if v, ok := ins["metadata"]; ok && v.IsObject() {
				meta = v.ObjectValue()
			}
			ns := str(meta, "namespace")
			if namespaced && ns == "" {
				ns = "default"
			}
			if !namespaced {
				return str(meta, "name"), ""
			}
			return ns + "/" + str(meta, "name"), ns
		}
		t.create = func(ins resource.PropertyMap) (string, resource.PropertyMap, error) {
			if err := reachable(); err != nil {
				return "", nil, err
			}
			id, ns := idOf(ins)
			if namespaced && !namespaceExists(ns) {
				return "", nil, fmt.Errorf("namespaces %q not found", ns)
			}
			if objects.has(key(tok, id)) {
				return "", nil, fmt.Errorf("%s %q already exists", tok, id)
			}
			if check != nil {
				if err := check(ins, ns); err != nil {
					return "", nil, err
				}
			}
			return id, nil, objects.put(key(tok, id), tok, ins)
		}
		t.update = func(id string, _, news resource.PropertyMap) (resource.PropertyMap, error) {
			if err := reachable(); err != nil {
				return nil, err
			}
			if !objects.has(key(tok, id)) {
				return nil, fmt.Errorf("%s %q not found", tok, id)
			}
			return nil, objects.put(key(tok, id), tok, news)
		}
		t.remove = func(id string, _ resource.PropertyMap) error {
			if err := reachable(); err != nil {
				return err
			}
			if tok == "kubernetes:core/v1:Namespace" {
				// Deleting a namespace deletes what is in it.
				records, err := objects.list()
				if err != nil {
					return err
				}
				for _, r := range records {
					parts := strings.SplitN(r.Key, "|", 3)
					if len(parts) == 3 && parts[0] == server && strings.HasPrefix(parts[2], id+"/") {
						if err := objects.remove(r.Key); err != nil {
							return err
						}
					}
				}
			}
			return objects.remove(key(tok, id))
		}
		t.read = func(id string) (resource.PropertyMap, bool, error) {
			if err := reachable(); err != nil {
				return nil, false, err
			}
			return objects.get(key(tok, id))
		}
		types[tok] = t
	}

	object("kubernetes:core/v1:Namespace", false, nil)
	object("kubernetes:core/v1:ServiceAccount", true, nil)
	object("kubernetes:apps/v1:Deployment", true, nil)
	object("kubernetes:external-secrets.io/v1:ClusterSecretStore", false, nil)
	object("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", false, nil)
	object("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", false, nil)
	object("kubernetes:core/v1:Pod", true, func(ins resource.PropertyMap, ns string) error {
		sa := "default"
		if v, ok := valueAt(ins, "spec.serviceAccountName"); ok && v.IsString() && v.StringValue() != "" {
			sa = v.StringValue()
		}
		if sa != "default" && !objects.has(key("kubernetes:core/v1:ServiceAccount", ns+"/"+sa)) {
			return fmt.Errorf("pods is forbidden: error looking up service account %s/%s: serviceaccount %q not found", ns, sa, sa)
		}
		return nil
	})
	types["kubernetes:core/v1:Pod"].replaceOn = append(types["kubernetes:core/v1:Pod"].replaceOn, "spec")

	// A Helm release: its name and namespace are its identity.
	release := "kubernetes:helm.sh/v3:Release"
	types[release] = &resourceType{
		replaceOn: []string{"name", "namespace"},
		autoName:  autoName, autoNamePath: "name",
		create: func(ins resource.PropertyMap) (string, resource.PropertyMap, error) {
			if err := reachable(); err != nil {
				return "", nil, err
			}
			ns := str(ins, "namespace")
			if ns == "" {
				ns = "default"
			}
			if !namespaceExists(ns) {
				return "", nil, fmt.Errorf("create: failed to create: namespaces %q not found", ns)
			}
			id := ns + "/" + str(ins, "name")
			if objects.has(key(release, id)) {
				return "", nil, fmt.Errorf("cannot re-use a name that is still in use: %s", id)
			}
			status := releaseStatus(ins, ns, 1)
			return id, status, objects.put(key(release, id), release, merge(ins, status))
		},
		update: func(id string, olds, news resource.PropertyMap) (resource.PropertyMap, error) {
			if err := reachable(); err != nil {
				return nil, err
			}
			revision := 1.0
			if v, ok := valueAt(olds, "status.revision"); ok && v.IsNumber() {
				revision = v.NumberValue()
			}
			status := releaseStatus(news, strings.SplitN(id, "/", 2)[0], revision+1)
			return status, objects.put(key(release, id), release, merge(news, status))
		},
		remove: func(id string, _ resource.PropertyMap) error {
			if err := reachable(); err != nil {
				return err
			}
			return objects.remove(key(release, id))
		},
		read: func(id string) (resource.PropertyMap, bool, error) {
			if err := reachable(); err != nil {
				return nil, false, err
			}
			return objects.get(key(release, id))
		},
	}

	return &standIn{
		pkg: "kubernetes", version: "4.34.2", types: types,
		configure: func(cfg resource.PropertyMap) error {
			v, ok := cfg["kubeconfig"]
			if !ok || v.ContainsUnknowns() {
				return nil // preview of a cluster that does not exist yet
			}
			s, err := serverOf(str(cfg, "kubeconfig"))
			server = s
			return err
		},
		diffConfig: func(olds, news resource.PropertyMap) bool {
			if v := news["kubeconfig"]; v.ContainsUnknowns() {
				return true
			}
			before, _ := serverOf(str(olds, "kubeconfig"))
			after, _ := serverOf(str(news, "kubeconfig"))
			return before != after
		},
	}, nil
}

func releaseStatus(ins resource.PropertyMap, ns string, revision float64) resource.PropertyMap {
	return resource.PropertyMap{"status": resource.NewObjectProperty(resource.PropertyMap{
		"name":      resource.NewStringProperty(str(ins, "name")),
		"namespace": resource.NewStringProperty(ns),
		"chart":     resource.NewStringProperty(str(ins, "chart")),
		"version":   resource.NewStringProperty(str(ins, "version")),
		"status":    resource.NewStringProperty("deployed"),
		"revision":  resource.NewNumberProperty(revision),
	})}
}
