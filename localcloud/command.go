package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// A stand-in for pulumi-command's local.Command that runs the real scripts: create on create,
// update (or create again) on update, delete on delete with the environment the resource was
// created with, as the real provider does. The project's kind scripts run here unchanged,
// against the kind stand-in on PATH.

func commandProvider() (pulumirpc.ResourceProviderServer, error) {
	run := func(script string, ins resource.PropertyMap, previous resource.PropertyMap) (string, string, error) {
		interpreter := []string{"/bin/sh", "-c"}
		if v, ok := ins["interpreter"]; ok && v.IsArray() {
			interpreter = nil
			for _, e := range v.ArrayValue() {
				interpreter = append(interpreter, e.StringValue())
			}
		}
		cmd := exec.Command(interpreter[0], append(interpreter[1:], script)...)
		env := os.Environ()
		if v, ok := ins["environment"]; ok {
			for v.IsSecret() {
				v = v.SecretValue().Element
			}
			if v.IsObject() {
				m := v.ObjectValue()
				keys := m.StableKeys()
				for _, k := range keys {
					env = append(env, fmt.Sprintf("%s=%s", k, str(m, string(k))))
				}
			}
		}
		if previous != nil {
			// pulumi-command hands a command its resource's previous outputs.
			env = append(env, "PULUMI_COMMAND_STDOUT="+str(previous, "stdout"), "PULUMI_COMMAND_STDERR="+str(previous, "stderr"))
		}
		sort.Strings(env)
		cmd.Env = env
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			// The real provider reports the command's output with the failure; stdout is left out
			// here because a command's stdout may be a secret (the kind script prints a kubeconfig).
			return "", "", fmt.Errorf("command failed: %w\nstderr: %s", err, stderr.String())
		}
		return stdout.String(), stderr.String(), nil
	}
	outputs := func(stdout, stderr string) resource.PropertyMap {
		return resource.PropertyMap{"stdout": resource.NewStringProperty(stdout), "stderr": resource.NewStringProperty(stderr)}
	}
	t := &resourceType{
		replaceOn: []string{"triggers"},
		create: func(ins resource.PropertyMap) (string, resource.PropertyMap, error) {
			stdout, stderr, err := run(str(ins, "create"), ins, nil)
			if err != nil {
				return "", nil, err
			}
			return "local-" + suffix([]byte(stdout+stderr), str(ins, "create"), 12, lowerAlnum), outputs(stdout, stderr), nil
		},
		update: func(_ string, olds, news resource.PropertyMap) (resource.PropertyMap, error) {
			script := str(news, "update")
			if script == "" {
				script = str(news, "create")
			}
			stdout, stderr, err := run(script, news, olds)
			if err != nil {
				return nil, err
			}
			return outputs(stdout, stderr), nil
		},
		remove: func(_ string, olds resource.PropertyMap) error {
			if script := str(olds, "delete"); script != "" {
				_, _, err := run(script, olds, olds)
				return err
			}
			return nil
		},
	}
	return &standIn{pkg: "command", version: "1.2.1", types: map[string]*resourceType{"command:local:Command": t}}, nil
}
