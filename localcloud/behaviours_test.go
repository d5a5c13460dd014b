package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// The local cloud held to the behaviour table it shares with the simulated cloud
// (behaviours.json; test/behaviours.test.ts holds the simulated cloud to it).

type behaviourStep struct {
	Type   string         `json:"type"`
	Name   string         `json:"name"`
	Inputs map[string]any `json:"inputs"`
}

type behaviourCase struct {
	Name    string            `json:"name"`
	Only    string            `json:"only"`
	Why     string            `json:"why"`
	Given   []behaviourStep   `json:"given"`
	Create  behaviourStep     `json:"create"`
	Outputs map[string]string `json:"outputs"`
	Error   *string           `json:"error"`
}

type behaviourTable struct {
	Types []string        `json:"types"`
	Cases []behaviourCase `json:"cases"`
}

func loadBehaviours(t *testing.T) behaviourTable {
	t.Helper()
	data, err := os.ReadFile("behaviours.json")
	if err != nil {
		t.Fatal(err)
	}
	var table behaviourTable
	if err := json.Unmarshal(data, &table); err != nil {
		t.Fatal(err)
	}
	return table
}

func TestTheLocalCloudKnowsExactlyTheTablesTypes(t *testing.T) {
	t.Setenv("LOCALCLOUD_DIR", t.TempDir())
	var ours []string
	for _, pkg := range []string{"azure-native", "tls", "random"} {
		p, err := providers[pkg]()
		if err != nil {
			t.Fatal(err)
		}
		for tok := range p.(*standIn).types {
			ours = append(ours, tok)
		}
	}
	table := loadBehaviours(t).Types
	sort.Strings(ours)
	sort.Strings(table)
	if strings.Join(ours, " ") != strings.Join(table, " ") {
		t.Errorf("the local cloud's types %v, the table's %v", ours, table)
	}
}

// at is the value at a dotted path of an object.
func at(v any, dotted string) any {
	for _, k := range strings.Split(dotted, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

var givenRef = regexp.MustCompile(`^\$given\[(\d+)\]\.(.+)$`)

// resolveInputs replaces each "$given[i].path", at any depth, by that output of the i-th given.
func resolveInputs(inputs map[string]any, given []map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range inputs {
		switch x := v.(type) {
		case string:
			if m := givenRef.FindStringSubmatch(x); m != nil {
				i, _ := strconv.Atoi(m[1])
				v = at(given[i], m[2])
			}
		case map[string]any:
			v = resolveInputs(x, given)
		}
		out[k] = v
	}
	return out
}

// createThrough makes the object as the engine would: Create on its package's stand-in.
func createThrough(p map[string]pulumirpc.ResourceProviderServer, step behaviourStep, name string, inputs map[string]any) (map[string]any, error) {
	pkg := strings.SplitN(step.Type, ":", 2)[0]
	props, err := marshal(resource.NewPropertyMapFromMap(inputs))
	if err != nil {
		return nil, err
	}
	resp, err := p[pkg].Create(context.Background(), &pulumirpc.CreateRequest{
		Urn:        fmt.Sprintf("urn:pulumi:s::p::%s::%s", step.Type, name),
		Properties: props,
	})
	if err != nil {
		return nil, err
	}
	outs, err := unmarshal(resp.GetProperties())
	if err != nil {
		return nil, err
	}
	m := plainJSON(resource.NewObjectProperty(outs)).(map[string]any)
	m["id"] = resp.GetId()
	return m, nil
}

func TestTheLocalCloudAgainstTheBehaviourTable(t *testing.T) {
	for _, c := range loadBehaviours(t).Cases {
		t.Run(c.Name, func(t *testing.T) {
			if c.Only == "simulator" {
				t.Skip(c.Why)
			}
			t.Setenv("LOCALCLOUD_DIR", t.TempDir())
			t.Setenv("LOCALCLOUD_FIC_WRITE_MS", "0")
			p := map[string]pulumirpc.ResourceProviderServer{}
			for _, pkg := range []string{"azure-native", "tls", "random"} {
				server, err := providers[pkg]()
				if err != nil {
					t.Fatal(err)
				}
				p[pkg] = server
			}
			var given []map[string]any
			for i, g := range c.Given {
				name := g.Name
				if name == "" {
					name = fmt.Sprintf("given-%d", i)
				}
				made, err := createThrough(p, g, name, resolveInputs(g.Inputs, given))
				if err != nil {
					t.Fatalf("given %d: %v", i, err)
				}
				given = append(given, made)
			}
			name := c.Create.Name
			if name == "" {
				name = "it"
			}
			made, err := createThrough(p, c.Create, name, resolveInputs(c.Create.Inputs, given))
			if c.Error != nil {
				if err == nil || !regexp.MustCompile(*c.Error).MatchString(err.Error()) {
					t.Fatalf("want an error matching %q, got %v", *c.Error, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for path, pattern := range c.Outputs {
				if got := fmt.Sprint(at(made, path)); !regexp.MustCompile(pattern).MatchString(got) {
					t.Errorf("%s: %q does not match %q", path, got, pattern)
				}
			}
		})
	}
}
