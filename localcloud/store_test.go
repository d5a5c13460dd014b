package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

func keys(t *testing.T, recs []record, err error) string {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range recs {
		out = append(out, r.Key+"="+r.Type)
	}
	return strings.Join(out, " ")
}

func put(t *testing.T, s *store, key, typ string) {
	t.Helper()
	if err := s.put(key, typ, resource.PropertyMap{"k": resource.NewStringProperty(key)}); err != nil {
		t.Fatal(err)
	}
}

func TestStoreListsEveryRecordAndEachParentsChildren(t *testing.T) {
	s := newStore(t.TempDir())
	put(t, s, "/id/a/fics/2", "fic")
	put(t, s, "/id/a/fics/1", "fic")
	put(t, s, "/id/a", "identity")
	put(t, s, "/id/b/fics/1", "fic")
	put(t, s, "https://127.0.0.1:1|core/v1:Namespace|team", "namespace")

	recs, err := s.list()
	if got, want := keys(t, recs, err), "/id/a=identity /id/a/fics/1=fic /id/a/fics/2=fic /id/b/fics/1=fic https://127.0.0.1:1|core/v1:Namespace|team=namespace"; got != want {
		t.Errorf("list: %s, want %s", got, want)
	}
	recs, err = s.children("/id/a/fics")
	if got, want := keys(t, recs, err), "/id/a/fics/1=fic /id/a/fics/2=fic"; got != want {
		t.Errorf("children: %s, want %s", got, want)
	}
	recs, err = s.children("/id/c/fics")
	if got := keys(t, recs, err); got != "" {
		t.Errorf("children of a parent with none: %s", got)
	}
}

func TestStoreForgetsRemovedRecordsThoughItCachesTheirNames(t *testing.T) {
	s := newStore(t.TempDir())
	put(t, s, "/id/a/fics/1", "fic")
	put(t, s, "/id/a/fics/2", "fic")
	if _, err := s.children("/id/a/fics"); err != nil { // fills the cache
		t.Fatal(err)
	}
	if err := s.remove("/id/a/fics/1"); err != nil {
		t.Fatal(err)
	}
	// Another process's store, as a second plugin or the test harness would write it.
	other := newStore(s.dir)
	put(t, other, "/id/a/fics/3", "fic")

	recs, err := s.children("/id/a/fics")
	if got, want := keys(t, recs, err), "/id/a/fics/2=fic /id/a/fics/3=fic"; got != want {
		t.Errorf("children: %s, want %s", got, want)
	}
	if state, ok, err := s.get("/id/a/fics/3"); err != nil || !ok || str(state, "k") != "/id/a/fics/3" {
		t.Errorf("get: %v %v %v", state, ok, err)
	}
	if _, ok, _ := s.get("/id/a/fics/1"); ok || s.has("/id/a/fics/1") {
		t.Error("a removed record is still there")
	}
}

func TestStoreFilesAreOwnerOnly(t *testing.T) {
	s := newStore(t.TempDir())
	put(t, s, "/id/a", "identity")
	info, err := os.Stat(s.file("/id/a"))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("record file mode %v", info.Mode().Perm())
	}
	dir, err := os.Stat(filepath.Dir(s.file("/id/a")))
	if err != nil {
		t.Fatal(err)
	}
	if dir.Mode().Perm() != 0o700 {
		t.Errorf("group folder mode %v", dir.Mode().Perm())
	}
}
