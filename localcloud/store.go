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
	"strings"
	"sync"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
)

// The local cloud's state: one JSON file per object, under $LOCALCLOUD_DIR/<area>/<group>/,
// where an object's group is its key up to the last "/" (an identity's federated credentials
// share one, as do a namespace's objects of one kind). Names are hashes, so any key fits.
// Written owner-only and atomically (several plugin processes share it).

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

type store struct {
	dir string
	// named caches what each file stands for. A file's path is the hash of its record's key, and
	// a key keeps its type, so an entry never goes stale and each file is read once per process.
	// With the groups, this keeps a 1000-identity deployment linear: each federated credential's
	// create counts its identity's credentials, which used to read every record made so far.
	mu    sync.Mutex
	named map[string]record
}

func openStore(area string) *store {
	return newStore(filepath.Join(cloudDir(), area))
}

func newStore(dir string) *store {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		panic(err)
	}
	return &store{dir: dir, named: map[string]record{}}
}

func hashName(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:12])
}

// groupOf is the part of a key that files it with its siblings: up to the last "/".
func groupOf(key string) string {
	if i := strings.LastIndex(key, "/"); i >= 0 {
		return key[:i]
	}
	return ""
}

func (s *store) groupDir(group string) string { return filepath.Join(s.dir, hashName(group)) }

func (s *store) file(key string) string {
	return filepath.Join(s.groupDir(groupOf(key)), hashName(key)+".json")
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
	dir := s.groupDir(groupOf(key))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
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

// modTime is when the record at key was last written.
func (s *store) modTime(key string) (time.Time, error) {
	info, err := os.Stat(s.file(key))
	if err != nil {
		return time.Time{}, err
	}
	return info.ModTime(), nil
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
	groups, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, err
	}
	var out []record
	for _, g := range groups {
		if !g.IsDir() {
			continue
		}
		recs, err := s.listDir(g.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, recs...)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// children returns the key and type of every record directly under parent (keys parent + "/"
// and a last part without "/"), sorted by key.
func (s *store) children(parent string) ([]record, error) {
	out, err := s.listDir(hashName(parent))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, err
}

// listDir reads one group's records; a record deleted meanwhile by another operation (the
// engine runs them in parallel) is left out.
func (s *store) listDir(group string) ([]record, error) {
	entries, err := os.ReadDir(filepath.Join(s.dir, group))
	if err != nil {
		return nil, err
	}
	var out []record
	for _, e := range entries {
		if filepath.Ext(e.Name()) != ".json" {
			continue
		}
		rec, ok, err := s.recordAt(filepath.Join(group, e.Name()))
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, rec)
		}
	}
	return out, nil
}

// recordAt is the key and type of the record in that file (relative to the store); false when
// the file is gone.
func (s *store) recordAt(rel string) (record, bool, error) {
	s.mu.Lock()
	rec, ok := s.named[rel]
	s.mu.Unlock()
	if ok {
		return rec, true, nil
	}
	data, err := os.ReadFile(filepath.Join(s.dir, rel))
	if errors.Is(err, os.ErrNotExist) {
		return record{}, false, nil
	} else if err != nil {
		return record{}, false, err
	}
	var full record
	if err := json.Unmarshal(data, &full); err != nil {
		return record{}, false, err
	}
	rec = record{Key: full.Key, Type: full.Type}
	s.mu.Lock()
	s.named[rel] = rec
	s.mu.Unlock()
	return rec, true, nil
}

// removeWhere deletes every record a predicate picks, by key, type and state.
func (s *store) removeWhere(pick func(key, typ string, state resource.PropertyMap) bool) error {
	records, err := s.list()
	if err != nil {
		return err
	}
	for _, rec := range records {
		state, found, err := s.get(rec.Key)
		if err != nil {
			return err
		}
		if found && pick(rec.Key, rec.Type, state) {
			if err := s.remove(rec.Key); err != nil {
				return err
			}
		}
	}
	return nil
}
