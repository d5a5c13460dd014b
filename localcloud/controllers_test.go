package main

import (
	"reflect"
	"testing"
)

func TestKindNodeNames(t *testing.T) {
	got := kindNodeNames("wi-dev", []string{"control-plane", "worker", "worker", "worker"})
	want := []string{"wi-dev-control-plane", "wi-dev-worker", "wi-dev-worker2", "wi-dev-worker3"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("kindNodeNames = %v, want %v", got, want)
	}
}

func TestNodeObjectTaintsTheControlPlaneOnlyBesideWorkers(t *testing.T) {
	taints := func(n map[string]any) any { return n["spec"].(map[string]any)["taints"] }
	if got := taints(nodeObject("c", "control-plane", false)); got != nil {
		t.Fatalf("a lone control plane is tainted: %v", got)
	}
	if got := taints(nodeObject("c", "control-plane", true)); got == nil {
		t.Fatal("a control plane beside workers is not tainted")
	}
	if got := taints(nodeObject("w", "worker", true)); got != nil {
		t.Fatalf("a worker is tainted: %v", got)
	}
	meta := nodeObject("w", "worker", true)["metadata"].(map[string]any)
	if meta["annotations"].(map[string]any)["kwok.x-k8s.io/node"] != "fake" {
		t.Fatal("kwok would not manage the node")
	}
}
