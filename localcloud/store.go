package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
)

// The local cloud's state: one JSON file per object under $LOCALCLOUD_DIR/<area>/. Written
// owner-only and atomically (several plugin processes share it).

// cloudDir is the root of the local cloud, shared by every stand-in.
func cloudDir() string {
	dir := os.Getenv("LOCALCLOUD_DIR")
	if dir == "" {
		fmt.Fprintln(os.Stderr, "localcloud: LOCALCLOUD_DIR is not set")
		os.Exit(2)
	}
	return dir
}

type record struct {
	Key   string          `json:"key"`
	Type  string          `json:"type"`
	State json.RawMessage `json:"state"`
}

type store struct{ dir string }

func openStore(area string) *store {
	dir := filepath.Join(cloudDir(), area)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		panic(err)
	}
	return &store{dir: dir}
}

func (s *store) file(key string) string {
	sum := sha256.Sum256([]byte(key))
	return filepath.Join(s.dir, hex.EncodeToString(sum[:12])+".json")
}

var marshalState = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, SkipNulls: true}

func (s *store) put(key, typ string, state resource.PropertyMap) error {
	st, err := plugin.MarshalProperties(state, marshalState)
	if err != nil {
		return err
	}
	raw, err := protojson.Marshal(st)
	if err != nil {
		return err
	}
	data, err := json.Marshal(record{Key: key, Type: typ, State: raw})
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(s.dir, ".tmp-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), s.file(key))
}

func (s *store) get(key string) (resource.PropertyMap, bool, error) {
	data, err := os.ReadFile(s.file(key))
	if errors.Is(err, os.ErrNotExist) {
		return nil, false, nil
	} else if err != nil {
		return nil, false, err
	}
	var rec record
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, false, err
	}
	st := &structpb.Struct{}
	if err := protojson.Unmarshal(rec.State, st); err != nil {
		return nil, false, err
	}
	state, err := plugin.UnmarshalProperties(st, marshalState)
	return state, true, err
}

func (s *store) has(key string) bool {
	_, err := os.Stat(s.file(key))
	return err == nil
}

func (s *store) remove(key string) error {
	err := os.Remove(s.file(key))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// list returns every record's key and type, sorted by key.
func (s *store) list() ([]record, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, err
	}
	var out []record
	for _, e := range entries {
		if filepath.Ext(e.Name()) != ".json" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(s.dir, e.Name()))
		if errors.Is(err, os.ErrNotExist) {
			continue // deleted meanwhile by another operation (the engine runs them in parallel)
		}
		if err != nil {
			return nil, err
		}
		var rec record
		if err := json.Unmarshal(data, &rec); err != nil {
			return nil, err
		}
		out = append(out, record{Key: rec.Key, Type: rec.Type})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}
