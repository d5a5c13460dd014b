package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Objects in a real API server: when a cluster runs a real control plane, the Kubernetes
// stand-in also applies the objects it is asked for there, as pulumi-kubernetes does (server-side
// apply under its field manager, forced; delete by name), so that admission, TokenRequest and
// everything that reads them see what the stack made. Helm releases are not applied: with no
// kubelet their workloads could not run; the tests start the webhook themselves.

// splitID is a Kubernetes stand-in id's namespace and name ("ns/name", or "name" for a
// cluster-scoped object).
func splitID(id string) (string, string) {
	if ns, name, found := strings.Cut(id, "/"); found {
		return ns, name
	}
	return "", id
}

// livePaths are the API paths of the kinds applied to a real API server.
var livePaths = map[string]func(ns, name string) string{
	"kubernetes:core/v1:Namespace": func(_, name string) string { return "/api/v1/namespaces/" + url.PathEscape(name) },
	"kubernetes:core/v1:ServiceAccount": func(ns, name string) string {
		return "/api/v1/namespaces/" + url.PathEscape(ns) + "/serviceaccounts/" + url.PathEscape(name)
	},
	"kubernetes:core/v1:Pod": func(ns, name string) string {
		return "/api/v1/namespaces/" + url.PathEscape(ns) + "/pods/" + url.PathEscape(name)
	},
	"kubernetes:apps/v1:Deployment": func(ns, name string) string {
		return "/apis/apps/v1/namespaces/" + url.PathEscape(ns) + "/deployments/" + url.PathEscape(name)
	},
	"kubernetes:rbac.authorization.k8s.io/v1:ClusterRole": func(_, name string) string {
		return "/apis/rbac.authorization.k8s.io/v1/clusterroles/" + url.PathEscape(name)
	},
	"kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding": func(_, name string) string {
		return "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/" + url.PathEscape(name)
	},
}

type liveCluster struct {
	server string
	client *http.Client
}

// liveClusterOf is the real API server behind a kubeconfig, or nil for a stand-in cluster.
func liveClusterOf(clusters *store, server string) (*liveCluster, error) {
	rec, ok, err := clusters.get(server)
	if err != nil || !ok {
		return nil, err
	}
	kubeconfig := str(rec, "kubeconfig")
	if kubeconfig == "" {
		return nil, nil
	}
	client, err := clientFor(kubeconfig)
	if err != nil {
		return nil, err
	}
	return &liveCluster{server: server, client: client}, nil
}

func (c *liveCluster) do(method, path, contentType string, body []byte) error {
	req, err := http.NewRequest(method, c.server+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusNotFound && method == http.MethodDelete {
		return nil
	}
	if resp.StatusCode >= 300 {
		var status struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(data, &status) == nil && status.Message != "" {
			return fmt.Errorf("%s", status.Message)
		}
		return fmt.Errorf("%s %s: %s", method, path, resp.Status)
	}
	return nil
}

// apply is a forced server-side apply of an object, as pulumi-kubernetes does by default.
func (c *liveCluster) apply(tok, ns, name string, obj resource.PropertyMap) error {
	body, err := json.Marshal(plainJSON(resource.NewObjectProperty(obj)))
	if err != nil {
		return err
	}
	return c.do(http.MethodPatch, livePaths[tok](ns, name)+"?fieldManager=pulumi-kubernetes&force=true",
		"application/apply-patch+yaml", body)
}

func (c *liveCluster) remove(tok, ns, name string) error {
	return c.do(http.MethodDelete, livePaths[tok](ns, name), "", nil)
}

// plainJSON is a property value as the JSON an API server takes: secrets opened, unknowns and
// nulls left out.
func plainJSON(v resource.PropertyValue) any {
	for v.IsSecret() {
		v = v.SecretValue().Element
	}
	switch {
	case v.IsObject():
		out := map[string]any{}
		for k, e := range v.ObjectValue() {
			if e.IsNull() || e.ContainsUnknowns() {
				continue
			}
			out[string(k)] = plainJSON(e)
		}
		return out
	case v.IsArray():
		out := []any{}
		for _, e := range v.ArrayValue() {
			out = append(out, plainJSON(e))
		}
		return out
	case v.IsString():
		return v.StringValue()
	case v.IsNumber():
		return v.NumberValue()
	case v.IsBool():
		return v.BoolValue()
	}
	return nil
}
