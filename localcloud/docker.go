package main

import (
	"fmt"
	"os"
	"regexp"
	"strings"
)

// A stand-in for the two docker commands the kind key update runs in a cluster's control-plane
// node (kind's node containers are named <cluster>-control-plane): `docker exec NODE crictl ps
// -q --name REGEX` lists the running containers whose name matches, and `docker exec NODE crictl
// stop ID...` stops them, after which the kubelet starts a static pod's container again with the
// same flags. With a real control plane (controlplane.go) kube-apiserver is such a container and
// restarting it makes it read the key files again; nothing else runs, so nothing else is listed.
// A cluster without a real control plane runs no container.

func dockerMain(args []string) int {
	fail := func(format string, a ...any) int {
		fmt.Fprintf(os.Stderr, "Error: "+format+"\n", a...)
		return 1
	}
	if len(args) < 4 || args[0] != "exec" || args[2] != "crictl" {
		return fail("the local cloud's docker knows only `exec NODE crictl ps|stop`, not %q", strings.Join(args, " "))
	}
	cluster, ok := strings.CutSuffix(args[1], "-control-plane")
	if !ok || !openStore("clusters").has(kindServer(cluster)) {
		return fail("No such container: %s", args[1])
	}
	running := map[string]string{} // container id -> program
	if pid := runningPid(cluster, "kube-apiserver"); pid != 0 {
		running[fmt.Sprintf("kube-apiserver-%d", pid)] = "kube-apiserver"
	}
	switch args[3] {
	case "ps":
		var pattern *regexp.Regexp
		for i := 4; i < len(args); i++ {
			if args[i] == "--name" && i+1 < len(args) {
				p, err := regexp.Compile(args[i+1])
				if err != nil {
					return fail("%v", err)
				}
				pattern = p
			}
		}
		for id, prog := range running {
			if pattern == nil || pattern.MatchString(prog) {
				fmt.Println(id)
			}
		}
		return 0
	case "stop":
		for _, id := range args[4:] {
			if _, ok := running[id]; !ok {
				return fail("container %q not found", id)
			}
			if err := restartAPIServer(cluster); err != nil {
				return fail("%v", err)
			}
			fmt.Println(id)
		}
		return 0
	}
	return fail("the local cloud's crictl knows only ps and stop")
}
