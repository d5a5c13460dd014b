package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// A real Kubernetes control plane for a kind cluster, when $LOCALCLOUD_CONTROL_PLANE names a
// folder holding etcd and kube-apiserver (.ci/build-control-plane.sh builds them): the
// stand-in kind starts etcd and kube-apiserver on loopback with exactly the API server flags of
// the rendered kind configuration (file paths in the node mapped back to the host files they are
// mounted from, so the API server reads the key files the create script wrote), plus what a
// standalone API server needs and kubeadm would otherwise provide: etcd, serving and client
// certificates, the service CIDR, authorization. The controllers and kwok's fake nodes start
// after it (controllers.go); no container ever runs.

func controlPlaneBin() string { return os.Getenv("LOCALCLOUD_CONTROL_PLANE") }

func controlPlaneDir(name string) string { return filepath.Join(cloudDir(), "controlplanes", name) }

// freePort asks the kernel for a port nobody listens on.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// daemon starts a program in a session of its own (it outlives this kind process), logging to
// dir/<name>.log, and records its pid in dir/<name>.pid.
func daemon(dir, name string, args ...string) error {
	log, err := os.OpenFile(filepath.Join(dir, name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer log.Close()
	cmd := exec.Command(filepath.Join(controlPlaneBin(), name), args...)
	cmd.Stdout, cmd.Stderr, cmd.Dir = log, log, dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return err
	}
	go func() { _ = cmd.Wait() }()
	return os.WriteFile(filepath.Join(dir, name+".pid"), []byte(strconv.Itoa(cmd.Process.Pid)), 0o600)
}

// waitFor polls url until it answers 200, or fails with the tail of the program's log.
func waitFor(client *http.Client, url, dir, name string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, name+".log"))
			if len(log) > 3000 {
				log = log[len(log)-3000:]
			}
			return fmt.Errorf("%s did not become ready in %s (%v); its log ends:\n%s", name, timeout, err, log)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// startControlPlane runs etcd and kube-apiserver for cluster name, serving on server's port,
// with the API server flags given, then its controllers and nodes (controllers.go), and returns
// the admin kubeconfig.
func startControlPlane(name, server string, apiServerFlags map[string][]string, roles []string) (string, error) {
	dir := controlPlaneDir(name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	ca, err := loadOrCreateCA(dir)
	if err != nil {
		return "", err
	}
	if err := ca.issue(filepath.Join(dir, "apiserver"), "kube-apiserver", nil,
		"127.0.0.1", "localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"); err != nil {
		return "", err
	}
	if err := ca.issue(filepath.Join(dir, "admin"), "kubernetes-admin", []string{"system:masters"}); err != nil {
		return "", err
	}
	clientPort, err := freePort()
	if err != nil {
		return "", err
	}
	peerPort, err := freePort()
	if err != nil {
		return "", err
	}
	client, peer := fmt.Sprintf("http://127.0.0.1:%d", clientPort), fmt.Sprintf("http://127.0.0.1:%d", peerPort)
	if err := daemon(dir, "etcd", "--name", "default", "--data-dir", filepath.Join(dir, "etcd-data"),
		"--listen-client-urls", client, "--advertise-client-urls", client,
		"--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
		"--initial-cluster", "default="+peer, "--log-level", "warn"); err != nil {
		return "", err
	}
	if err := waitFor(http.DefaultClient, client+"/health", dir, "etcd", 30*time.Second); err != nil {
		stopControlPlane(name)
		return "", err
	}

	port := server[strings.LastIndex(server, ":")+1:]
	args := []string{}
	names := make([]string, 0, len(apiServerFlags))
	for n := range apiServerFlags {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		for _, v := range apiServerFlags[n] {
			args = append(args, "--"+n+"="+v)
		}
	}
	// What kubeadm gives a kind control plane and a standalone API server needs; nothing about
	// service accounts, which comes from the configuration alone.
	args = append(args,
		"--etcd-servers="+client,
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", "--secure-port="+port,
		"--tls-cert-file="+filepath.Join(dir, "apiserver.crt"),
		"--tls-private-key-file="+filepath.Join(dir, "apiserver.key"),
		"--client-ca-file="+filepath.Join(dir, "ca.crt"),
		"--authorization-mode=Node,RBAC",
		"--allow-privileged=true",
		"--service-cluster-ip-range=10.96.0.0/16",
		"--endpoint-reconciler-type=none",
	)
	saved, _ := json.Marshal(append([]string{server}, args...))
	if err := os.WriteFile(filepath.Join(dir, "kube-apiserver.args"), saved, 0o600); err != nil {
		stopControlPlane(name)
		return "", err
	}
	if err := daemon(dir, "kube-apiserver", args...); err != nil {
		stopControlPlane(name)
		return "", err
	}
	kubeconfig, err := adminKubeconfig("kind-"+name, server, dir)
	if err != nil {
		stopControlPlane(name)
		return "", err
	}
	httpClient, err := clientFor(kubeconfig)
	if err != nil {
		stopControlPlane(name)
		return "", err
	}
	if err := waitFor(httpClient, server+"/readyz", dir, "kube-apiserver", 90*time.Second); err != nil {
		stopControlPlane(name)
		return "", err
	}
	if err := startControllers(name, server, kubeconfig, roles, apiServerFlags["service-account-signing-key-file"]); err != nil {
		stopControlPlane(name)
		return "", err
	}
	return kubeconfig, nil
}

// runningPid is the pid of a control-plane program of cluster name, or 0 when it is not running.
func runningPid(name, prog string) int {
	data, err := os.ReadFile(filepath.Join(controlPlaneDir(name), prog+".pid"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	if pid <= 0 || syscall.Kill(pid, 0) != nil {
		return 0
	}
	return pid
}

// stop ends a control-plane program: SIGTERM, then SIGKILL after 10 s.
func stop(name, prog string) {
	pid := runningPid(name, prog)
	if pid == 0 {
		return
	}
	_ = syscall.Kill(pid, syscall.SIGTERM)
	for i := 0; i < 100 && syscall.Kill(pid, 0) == nil; i++ {
		time.Sleep(100 * time.Millisecond)
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
}

// restartAPIServer is what the kubelet does when the kube-apiserver container of a static pod
// is stopped: it starts it again, same flags, reading its files afresh.
func restartAPIServer(name string) error {
	dir := controlPlaneDir(name)
	stop(name, "kube-apiserver")
	data, err := os.ReadFile(filepath.Join(dir, "kube-apiserver.args"))
	if err != nil {
		return err
	}
	var saved []string
	if err := json.Unmarshal(data, &saved); err != nil {
		return err
	}
	if err := daemon(dir, "kube-apiserver", saved[1:]...); err != nil {
		return err
	}
	clusters := openStore("clusters")
	kubeconfig, err := clusterKubeconfig(clusters, saved[0], "kind-"+name)
	if err != nil {
		return err
	}
	client, err := clientFor(kubeconfig)
	if err != nil {
		return err
	}
	return waitFor(client, saved[0]+"/readyz", dir, "kube-apiserver", 90*time.Second)
}

// stopControlPlane stops a cluster's programs and deletes their folder.
func stopControlPlane(name string) {
	for i := len(controllers) - 1; i >= 0; i-- {
		stop(name, controllers[i])
	}
	for _, prog := range []string{"kube-apiserver", "etcd"} {
		stop(name, prog)
	}
	_ = os.RemoveAll(controlPlaneDir(name))
}

func adminKubeconfig(name, server, dir string) (string, error) {
	read := func(f string) (string, error) {
		data, err := os.ReadFile(filepath.Join(dir, f))
		return base64.StdEncoding.EncodeToString(data), err
	}
	ca, err := read("ca.crt")
	if err != nil {
		return "", err
	}
	cert, err := read("admin.crt")
	if err != nil {
		return "", err
	}
	key, err := read("admin.key")
	if err != nil {
		return "", err
	}
	return kubeconfigWith(name, server, ca, cert, key), nil
}

// clientFor is an HTTP client that authenticates as a kubeconfig's current user.
func clientFor(kubeconfig string) (*http.Client, error) {
	creds, err := credentialsOf(kubeconfig)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(creds.ca) {
		return nil, fmt.Errorf("the kubeconfig's certificate-authority-data is no certificate")
	}
	pair, err := tls.X509KeyPair(creds.cert, creds.key)
	if err != nil {
		return nil, err
	}
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair}},
	}}, nil
}
