package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
)

// What makes a cluster of the local cloud behave like one beside its API server: the real
// kube-controller-manager and kube-scheduler (Deployments roll out, namespaces finalize, every
// namespace gets its default ServiceAccount and kube-root-ca.crt), and kwok in the kubelet's
// place: the kind configuration's nodes as fake nodes, and pods on them that become Running and
// Ready without containers (kwok's own "fast" stages, gathered by build-control-plane.sh).

// controllers are the programs started after the API server, in start order.
var controllers = []string{"kube-controller-manager", "kube-scheduler", "kwok"}

// kindNodeNames are the node names kind gives a cluster's nodes: <name>-control-plane,
// <name>-worker, <name>-worker2, ...
func kindNodeNames(name string, roles []string) []string {
	count := map[string]int{}
	names := make([]string, 0, len(roles))
	for _, role := range roles {
		count[role]++
		n := name + "-" + role
		if count[role] > 1 {
			n += strconv.Itoa(count[role])
		}
		names = append(names, n)
	}
	return names
}

// nodeObject is a fake node as kwok manages it, labelled as kind's nodes are; the control plane
// is tainted when workers exist, as kubeadm leaves it in a kind cluster with workers.
func nodeObject(name, role string, workers bool) map[string]any {
	labels := map[string]any{
		"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", "type": "kwok",
	}
	spec := map[string]any{}
	if role == "control-plane" {
		labels["node-role.kubernetes.io/control-plane"] = ""
		if workers {
			spec["taints"] = []any{map[string]any{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}}
		}
	}
	return map[string]any{
		"apiVersion": "v1", "kind": "Node",
		"metadata": map[string]any{"name": name, "labels": labels, "annotations": map[string]any{"kwok.x-k8s.io/node": "fake"}},
		"spec":     spec,
	}
}

// startControllers runs the controllers of cluster name against its API server (as the admin
// the kubeconfig names) and registers its nodes.
// saSigningKeys is the API server's --service-account-signing-key-file: the token controller
// signs legacy ServiceAccount token Secrets with it, as kubeadm configures both.
func startControllers(name, server, kubeconfig string, roles, saSigningKeys []string) error {
	dir := controlPlaneDir(name)
	kubeconfigFile := filepath.Join(dir, "admin.kubeconfig")
	if err := os.WriteFile(kubeconfigFile, []byte(kubeconfig), 0o600); err != nil {
		return err
	}
	// --secure-port=0: no serving endpoints (they would need ports and certificates of their own).
	args := []string{"--kubeconfig=" + kubeconfigFile,
		"--leader-elect=false", "--secure-port=0", "--use-service-account-credentials=false",
		"--root-ca-file=" + filepath.Join(dir, "ca.crt"),
		"--cluster-signing-cert-file=" + filepath.Join(dir, "ca.crt"),
		"--cluster-signing-key-file=" + filepath.Join(dir, "ca.key")}
	if len(saSigningKeys) > 0 {
		args = append(args, "--service-account-private-key-file="+saSigningKeys[0])
	}
	if err := daemon(dir, "kube-controller-manager", args...); err != nil {
		return err
	}
	if err := daemon(dir, "kube-scheduler", "--kubeconfig="+kubeconfigFile, "--leader-elect=false",
		"--secure-port=0"); err != nil {
		return err
	}
	if err := daemon(dir, "kwok", "--kubeconfig="+kubeconfigFile,
		"--config="+filepath.Join(controlPlaneBin(), "kwok-stages.yaml"),
		"--manage-all-nodes=false", "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
		"--cidr=10.244.0.0/16", "--node-ip=127.0.0.1"); err != nil {
		return err
	}
	client, err := clientFor(kubeconfig)
	if err != nil {
		return err
	}
	workers := false
	for _, r := range roles {
		workers = workers || r == "worker"
	}
	for i, n := range kindNodeNames(name, roles) {
		if err := postObject(client, server+"/api/v1/nodes", nodeObject(n, roles[i], workers)); err != nil {
			return err
		}
	}
	return nil
}

// postObject creates an object through the API server.
func postObject(client *http.Client, url string, obj map[string]any) error {
	body, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	resp, err := client.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		var status struct{ Message string }
		_ = json.NewDecoder(resp.Body).Decode(&status)
		return fmt.Errorf("POST %s: %s: %s", url, resp.Status, status.Message)
	}
	return nil
}
