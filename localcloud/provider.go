package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// A resource type as a stand-in knows it: which inputs force a replacement (the real schema's
// replace rules), which input is auto-named, and what the cloud does on create, update, delete.
type resourceType struct {
	// Input paths ("accountName", "metadata.name") whose change replaces the resource.
	replaceOn []string
	// Every change replaces it (random, tls: their schemas mark every input so).
	replaceOnAnyChange bool
	// A create where one exists overwrites it (a blob's Put), instead of being refused.
	overwrites bool
	// The input filled from the logical name plus a random suffix when absent, and how.
	autoName     func(logical string, seed []byte) resource.PropertyValue
	autoNamePath string
	// create returns the id and the properties the cloud computes beyond the inputs.
	create func(ins resource.PropertyMap) (string, resource.PropertyMap, error)
	// update applies new inputs to an existing object (default: create's computation again,
	// keeping the id and what create computed).
	update func(id string, olds, news resource.PropertyMap) (resource.PropertyMap, error)
	// remove deletes the object; olds are its last outputs.
	remove func(id string, olds resource.PropertyMap) error
	// read returns the object's current outputs, or false when it is gone.
	read func(id string) (resource.PropertyMap, bool, error)
	// hold, when set, takes what a write of this object must hold alone (a federated
	// credential's identity), or refuses the write as the cloud does; op is create, update or
	// delete, props the inputs (or, on delete, the last outputs).
	hold func(op string, props resource.PropertyMap) (release func(), err error)
}

// holder is the hold of one operation on t, or nil.
func (t *resourceType) holder(op string, props resource.PropertyMap) func() (func(), error) {
	if t.hold == nil {
		return nil
	}
	return func() (func(), error) { return t.hold(op, props) }
}

// standIn implements the provider protocol over a table of resource types.
type standIn struct {
	pulumirpc.UnimplementedResourceProviderServer
	pkg, version string
	types        map[string]*resourceType
	invokes      map[string]func(args resource.PropertyMap) (resource.PropertyMap, error)
	// configure receives the provider's configuration (azure-native:location, a kubeconfig).
	configure func(cfg resource.PropertyMap) error
	// diffConfig says whether a configuration change replaces the provider.
	diffConfig func(olds, news resource.PropertyMap) bool
}

var opts = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, SkipNulls: true, KeepResources: true}

func unmarshal(s *structpb.Struct) (resource.PropertyMap, error) {
	if s == nil {
		return resource.PropertyMap{}, nil
	}
	return plugin.UnmarshalProperties(s, opts)
}

// unmarshalPair decodes an old and a new property set, as most provider calls carry them.
func unmarshalPair(old, new *structpb.Struct) (resource.PropertyMap, resource.PropertyMap, error) {
	olds, err := unmarshal(old)
	if err != nil {
		return nil, nil, err
	}
	news, err := unmarshal(new)
	return olds, news, err
}

func marshal(m resource.PropertyMap) (*structpb.Struct, error) {
	return plugin.MarshalProperties(m, opts)
}

func (p *standIn) typeOf(urn string) (*resourceType, error) {
	tok := string(resource.URN(urn).Type())
	t, ok := p.types[tok]
	if !ok {
		return nil, fmt.Errorf("the local cloud has no stand-in for %s", tok)
	}
	return t, nil
}

func (p *standIn) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: p.version}, nil
}

func (p *standIn) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

// GetSchema serves the real provider's schema where the build placed it beside the executable
// (<package>-schema.json: a YAML program type-checks against it, as against the real plugin's),
// else a schema that names the package and declares nothing, so a program that needs more of it
// is refused rather than let through.
func (p *standIn) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	empty := fmt.Sprintf(`{"name":%q,"version":%q}`, p.pkg, p.version)
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	real, err := os.ReadFile(filepath.Join(filepath.Dir(exe), p.pkg+"-schema.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return &pulumirpc.GetSchemaResponse{Schema: empty}, nil
	}
	if err != nil {
		return nil, err
	}
	var spec map[string]any
	if err := json.Unmarshal(real, &spec); err != nil {
		return nil, fmt.Errorf("%s-schema.json: %w", p.pkg, err)
	}
	spec["version"] = p.version // the module's file leaves it to the release build
	out, err := json.Marshal(spec)
	return &pulumirpc.GetSchemaResponse{Schema: string(out)}, err
}

func (p *standIn) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (p *standIn) DiffConfig(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	olds, news, err := unmarshalPair(req.GetOldInputs(), req.GetNews())
	if err != nil {
		return nil, err
	}
	changed := changedKeys(olds, news)
	if len(changed) == 0 {
		return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
	}
	resp := &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_SOME, Diffs: changed}
	if p.diffConfig != nil && p.diffConfig(olds, news) {
		resp.Replaces = changed
	}
	return resp, nil
}

func (p *standIn) Configure(_ context.Context, req *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	cfg, err := unmarshal(req.GetArgs())
	if err != nil {
		return nil, err
	}
	if p.configure != nil {
		if err := p.configure(cfg); err != nil {
			return nil, err
		}
	}
	// As the real providers do: secrets arrive marked, and preview asks Create and Update what
	// they would return (computed values unknown).
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, SupportsPreview: true, AcceptResources: true}, nil
}

func (p *standIn) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	t, err := p.typeOf(req.GetUrn())
	if err != nil {
		return nil, err
	}
	olds, news, err := unmarshalPair(req.GetOlds(), req.GetNews())
	if err != nil {
		return nil, err
	}
	if t.autoName != nil {
		path := propPath(t.autoNamePath)
		if _, ok := path.Get(resource.NewObjectProperty(news)); !ok {
			// Keep the name an earlier deployment chose; a replacement gets a new one.
			name, ok := path.Get(resource.NewObjectProperty(olds))
			if !ok || name.IsNull() {
				name = t.autoName(resource.URN(req.GetUrn()).Name(), req.GetRandomSeed())
			}
			// The objects on the way (a ClusterRole given no metadata at all) are made, as the
			// real providers make them.
			for i := 1; i < len(path); i++ {
				if _, ok := path[:i].Get(resource.NewObjectProperty(news)); !ok {
					path[:i].Set(resource.NewObjectProperty(news), resource.NewObjectProperty(resource.PropertyMap{}))
				}
			}
			path.Set(resource.NewObjectProperty(news), name)
		}
	}
	inputs, err := marshal(news)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CheckResponse{Inputs: inputs}, nil
}

// changedKeys lists the top-level keys whose values differ (unknown counts as different).
func changedKeys(olds, news resource.PropertyMap) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range []resource.PropertyMap{olds, news} {
		for k := range m {
			key := string(k)
			if seen[key] {
				continue
			}
			seen[key] = true
			o, n := olds[k], news[k]
			if n.ContainsUnknowns() || !o.DeepEquals(n) {
				out = append(out, key)
			}
		}
	}
	sort.Strings(out)
	return out
}

func propPath(path string) resource.PropertyPath {
	var pp resource.PropertyPath
	for _, s := range strings.Split(path, ".") {
		pp = append(pp, s)
	}
	return pp
}

func valueAt(m resource.PropertyMap, path string) (resource.PropertyValue, bool) {
	return propPath(path).Get(resource.NewObjectProperty(m))
}

var replaceKind = map[pulumirpc.PropertyDiff_Kind]pulumirpc.PropertyDiff_Kind{
	pulumirpc.PropertyDiff_ADD:    pulumirpc.PropertyDiff_ADD_REPLACE,
	pulumirpc.PropertyDiff_DELETE: pulumirpc.PropertyDiff_DELETE_REPLACE,
	pulumirpc.PropertyDiff_UPDATE: pulumirpc.PropertyDiff_UPDATE_REPLACE,
}

func (p *standIn) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	t, err := p.typeOf(req.GetUrn())
	if err != nil {
		return nil, err
	}
	oldInputs := req.GetOldInputs()
	if len(oldInputs.GetFields()) == 0 {
		oldInputs = req.GetOlds() // state written before inputs were kept apart
	}
	olds, news, err := unmarshalPair(oldInputs, req.GetNews())
	if err != nil {
		return nil, err
	}
	changed := changedKeys(olds, news)
	if len(changed) == 0 {
		return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
	}
	var replaces []string
	if t.replaceOnAnyChange {
		replaces = changed
	}
	for _, path := range t.replaceOn {
		o, _ := valueAt(olds, path)
		n, _ := valueAt(news, path)
		if n.ContainsUnknowns() || !o.DeepEquals(n) {
			replaces = append(replaces, path)
		}
	}
	detailed := map[string]*pulumirpc.PropertyDiff{}
	for _, k := range changed {
		kind := pulumirpc.PropertyDiff_UPDATE
		if _, had := olds[resource.PropertyKey(k)]; !had {
			kind = pulumirpc.PropertyDiff_ADD
		} else if _, has := news[resource.PropertyKey(k)]; !has {
			kind = pulumirpc.PropertyDiff_DELETE
		}
		for _, r := range replaces {
			if r == k || strings.HasPrefix(r, k+".") {
				kind = replaceKind[kind]
				break
			}
		}
		detailed[k] = &pulumirpc.PropertyDiff{Kind: kind, InputDiff: true}
	}
	return &pulumirpc.DiffResponse{
		Changes: pulumirpc.DiffResponse_DIFF_SOME, Diffs: changed, Replaces: replaces,
		DetailedDiff: detailed, HasDetailedDiff: true,
	}, nil
}

func merge(base, extra resource.PropertyMap) resource.PropertyMap {
	out := base.Copy()
	for k, v := range extra {
		out[k] = v
	}
	return out
}

func (p *standIn) Create(_ context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	t, err := p.typeOf(req.GetUrn())
	if err != nil {
		return nil, err
	}
	ins, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	if req.GetPreview() {
		// What the cloud computes is not known before it exists.
		props, err := marshal(ins)
		return &pulumirpc.CreateResponse{Properties: props}, err
	}
	var id string
	var computed resource.PropertyMap
	if err := operate(req.GetUrn(), "create", t.holder("create", ins), func() (err error) {
		id, computed, err = t.create(ins)
		return err
	}); err != nil {
		return nil, err
	}
	props, err := marshal(merge(ins, computed))
	return &pulumirpc.CreateResponse{Id: id, Properties: props}, err
}

func (p *standIn) Update(_ context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	t, err := p.typeOf(req.GetUrn())
	if err != nil {
		return nil, err
	}
	olds, news, err := unmarshalPair(req.GetOlds(), req.GetNews())
	if err != nil {
		return nil, err
	}
	if req.GetPreview() {
		props, err := marshal(merge(olds, news))
		return &pulumirpc.UpdateResponse{Properties: props}, err
	}
	if t.update == nil {
		return nil, fmt.Errorf("%s cannot be updated in place", resource.URN(req.GetUrn()).Type())
	}
	var computed resource.PropertyMap
	if err := operate(req.GetUrn(), "update", t.holder("update", news), func() (err error) {
		computed, err = t.update(req.GetId(), olds, news)
		return err
	}); err != nil {
		return nil, err
	}
	props, err := marshal(merge(news, computed))
	return &pulumirpc.UpdateResponse{Properties: props}, err
}

func (p *standIn) Delete(_ context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	t, err := p.typeOf(req.GetUrn())
	if err != nil {
		return nil, err
	}
	olds, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, operate(req.GetUrn(), "delete", t.holder("delete", olds), func() error {
		return t.remove(req.GetId(), olds)
	})
}

func (p *standIn) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	t, err := p.typeOf(req.GetUrn())
	if err != nil {
		return nil, err
	}
	if t.read == nil {
		// Nothing outside the engine's state to compare with: what it holds is current.
		return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: req.GetInputs()}, nil
	}
	state, ok, err := t.read(req.GetId())
	if err != nil {
		return nil, err
	}
	if !ok {
		return &pulumirpc.ReadResponse{}, nil // gone: refresh drops it from state
	}
	props, err := marshal(state)
	if err != nil {
		return nil, err
	}
	// As pulumi-azure-native does, the inputs are read back from the cloud too: drift made
	// outside the stack shows in the next diff, which puts it right.
	oldInputs, err := unmarshal(req.GetInputs())
	if err != nil {
		return nil, err
	}
	readInputs := resource.PropertyMap{}
	for k, v := range oldInputs {
		if now, ok := state[k]; ok {
			readInputs[k] = now
		} else {
			readInputs[k] = v
		}
	}
	inputs, err := marshal(readInputs)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: props, Inputs: inputs}, nil
}

func (p *standIn) Invoke(_ context.Context, req *pulumirpc.InvokeRequest) (*pulumirpc.InvokeResponse, error) {
	f, ok := p.invokes[req.GetTok()]
	if !ok {
		return nil, fmt.Errorf("the local cloud has no stand-in for the function %s", req.GetTok())
	}
	args, err := unmarshal(req.GetArgs())
	if err != nil {
		return nil, err
	}
	out, err := f(args)
	if err != nil {
		return nil, err
	}
	ret, err := marshal(out)
	return &pulumirpc.InvokeResponse{Return: ret}, err
}

// stored builds the usual create/update/remove/read of a type kept in a store under its id.
func stored(s *store, typ string, t *resourceType, create func(ins resource.PropertyMap) (string, resource.PropertyMap, error)) *resourceType {
	t.create = func(ins resource.PropertyMap) (string, resource.PropertyMap, error) {
		id, computed, err := create(ins)
		if err != nil {
			return "", nil, err
		}
		if s.has(id) && !t.overwrites {
			return "", nil, fmt.Errorf("cannot create already existing resource %q", id)
		}
		return id, computed, s.put(id, typ, merge(ins, computed))
	}
	t.update = func(id string, olds, news resource.PropertyMap) (resource.PropertyMap, error) {
		if !s.has(id) {
			return nil, fmt.Errorf("resource %q not found", id)
		}
		// What the cloud computed stays; what the user gave is replaced.
		computed := resource.PropertyMap{}
		for k, v := range olds {
			if _, given := news[k]; !given {
				computed[k] = v
			}
		}
		return computed, s.put(id, typ, merge(news, computed))
	}
	t.remove = func(id string, _ resource.PropertyMap) error { return s.remove(id) }
	t.read = func(id string) (resource.PropertyMap, bool, error) { return s.get(id) }
	return t
}

// str reads a string input, looking through secrets; "" when absent or not a string.
func str(m resource.PropertyMap, key string) string {
	v, ok := m[resource.PropertyKey(key)]
	if !ok {
		return ""
	}
	for v.IsSecret() {
		v = v.SecretValue().Element
	}
	if v.IsString() {
		return v.StringValue()
	}
	return ""
}

// suffix is a stable pseudo-random string from a seed, in the alphabet given.
func suffix(seed []byte, salt string, n int, alphabet string) string {
	h := sha256.Sum256(append(append([]byte{}, seed...), salt...))
	out := make([]byte, n)
	for i := range out {
		out[i] = alphabet[int(h[i%len(h)])%len(alphabet)]
	}
	return string(out)
}

const lowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789"
