package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

const testIdentity = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/a"

func fic(issuer, subject string, audiences ...string) resource.PropertyMap {
	var aud []resource.PropertyValue
	for _, a := range audiences {
		aud = append(aud, resource.NewStringProperty(a))
	}
	return resource.PropertyMap{
		"issuer":    resource.NewStringProperty(issuer),
		"subject":   resource.NewStringProperty(subject),
		"audiences": resource.NewArrayProperty(aud),
	}
}

func putFIC(t *testing.T, s *store, name string, props resource.PropertyMap) {
	t.Helper()
	if err := s.put(testIdentity+"/federatedIdentityCredentials/"+name, "fic", props); err != nil {
		t.Fatal(err)
	}
}

// wantRefusal checks an error is Resource Manager's refusal with that status and code.
func wantRefusal(t *testing.T, what string, err error, status int, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: accepted", what)
	}
	msg := err.Error()
	if !strings.Contains(msg, fmt.Sprintf("RESPONSE %d: ", status)) || !strings.Contains(msg, "ERROR CODE: "+code+"\n") {
		t.Errorf("%s: want %d %s, got %s", what, status, code, msg)
	}
}

func TestFederatedCredentialsAreRefusedAsEntraRefusesThem(t *testing.T) {
	s := newStore(t.TempDir())
	const aud = "api://AzureADTokenExchange"
	putFIC(t, s, "taken", fic("https://issuer.example/", "system:serviceaccount:apps:a", aud))
	cases := []struct {
		what   string
		props  resource.PropertyMap
		status int
		code   string
	}{
		{"no subject", fic("https://issuer.example/", "", aud), 400, "BadRequest"},
		{"an http issuer", fic("http://issuer.example/", "s", aud), 400, "InvalidFederatedIdentityCredentialValue"},
		{"an issuer with a query", fic("https://issuer.example/?a=b", "s", aud), 400, "InvalidFederatedIdentityCredentialValue"},
		{"two audiences", fic("https://issuer.example/", "s", aud, "other"), 400, "InvalidFederatedIdentityCredentialsAudienceLength"},
		{"no audience", fic("https://issuer.example/", "s"), 400, "InvalidFederatedIdentityCredentialsAudienceLength"},
		{"an issuer and subject the identity has", fic("https://issuer.example/", "system:serviceaccount:apps:a", aud), 400, "BadRequest"},
		{"a subject over 600 characters", fic("https://issuer.example/", strings.Repeat("s", 601), aud), 400, "InvalidFederatedIdentityCredentialValue"},
	}
	for _, c := range cases {
		wantRefusal(t, c.what, checkFederatedCredential(s, testIdentity, "new", c.props, true), c.status, c.code)
	}
	// The same subject under another issuer is another credential; updating one in place is not
	// a duplicate of itself.
	if err := checkFederatedCredential(s, testIdentity, "new", fic("https://other.example/", "system:serviceaccount:apps:a", aud), true); err != nil {
		t.Errorf("another issuer: %v", err)
	}
	if err := checkFederatedCredential(s, testIdentity, "taken", fic("https://issuer.example/", "system:serviceaccount:apps:a", aud), false); err != nil {
		t.Errorf("an update of itself: %v", err)
	}
}

func TestTheTwentyFirstCredentialOfOneIdentityIsRefused(t *testing.T) {
	s := newStore(t.TempDir())
	put(t, s, testIdentity+"-other/federatedIdentityCredentials/x", "fic") // a sibling's does not count
	for i := range 20 {
		props := fic("https://issuer.example/", fmt.Sprintf("system:serviceaccount:apps:sa-%d", i), "api://AzureADTokenExchange")
		if err := checkFederatedCredential(s, testIdentity, fmt.Sprintf("fic-%d", i), props, true); err != nil {
			t.Fatalf("credential %d refused: %v", i+1, err)
		}
		putFIC(t, s, fmt.Sprintf("fic-%d", i), props)
	}
	err := checkFederatedCredential(s, testIdentity, "fic-20", fic("https://issuer.example/", "system:serviceaccount:apps:last", "api://AzureADTokenExchange"), true)
	wantRefusal(t, "the 21st", err, 400, "TooManyFederatedIdentityCredentials")
}

func TestConcurrentCredentialWritesOnOneIdentityAreRefused(t *testing.T) {
	t.Setenv("LOCALCLOUD_DIR", t.TempDir())
	t.Setenv("LOCALCLOUD_FIC_WRITE_MS", "0")
	release, err := holdIdentity(testIdentity, "PUT", testIdentity+"/federatedIdentityCredentials/one")
	if err != nil {
		t.Fatal(err)
	}
	_, err = holdIdentity(strings.ToUpper(testIdentity), "PUT", testIdentity+"/federatedIdentityCredentials/two")
	wantRefusal(t, "a second write meanwhile (the id in other letter case)", err, 409, "ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity")
	other, err := holdIdentity(testIdentity+"-b", "PUT", "x")
	if err != nil {
		t.Fatalf("another identity's write: %v", err)
	}
	other()
	release()
	again, err := holdIdentity(testIdentity, "DELETE", "x")
	if err != nil {
		t.Fatalf("after the first write ended: %v", err)
	}
	again()
}

func TestAWriteHoldsItsIdentityForTheWriteTimeAndAHoldOfADeadProcessIsTaken(t *testing.T) {
	t.Setenv("LOCALCLOUD_DIR", t.TempDir())
	t.Setenv("LOCALCLOUD_FIC_WRITE_MS", "150")
	release, err := holdIdentity(testIdentity, "PUT", "x")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	release()
	if took := time.Since(start); took < 100*time.Millisecond {
		t.Errorf("released after %v, before the write time", took)
	}
	// A writer that died mid-write left its file behind.
	file := filepath.Join(lockDir(), hashName(strings.ToLower(testIdentity))+".lock")
	if err := os.WriteFile(file, []byte("999999999"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("LOCALCLOUD_FIC_WRITE_MS", "0")
	if r, err := holdIdentity(testIdentity, "PUT", "x"); err != nil {
		t.Errorf("a dead writer's hold: %v", err)
	} else {
		r()
	}
}

func TestARoleForAPrincipalNotReplicatedYetNeedsItsType(t *testing.T) {
	t.Setenv("LOCALCLOUD_PRINCIPAL_REPLICATION_MS", "60000")
	p := principals{newStore(t.TempDir())}
	const id = "00000000-0000-4000-8000-0123456789ab"
	if err := p.born(id); err != nil {
		t.Fatal(err)
	}
	wantRefusal(t, "no principalType", p.checkPrincipal(id, "tenant", "", "/ra"), 400, "PrincipalNotFound")
	if err := p.checkPrincipal(id, "tenant", "ServicePrincipal", "/ra"); err != nil {
		t.Errorf("with principalType: %v", err)
	}
	wantRefusal(t, "another principalType", p.checkPrincipal(id, "tenant", "User", "/ra"), 400, "UnmatchedPrincipalType")
	if err := p.checkPrincipal("00000000-0000-4000-8000-ffffffffffff", "tenant", "", "/ra"); err != nil {
		t.Errorf("a principal made elsewhere, long ago: %v", err)
	}
	t.Setenv("LOCALCLOUD_PRINCIPAL_REPLICATION_MS", "0")
	if err := p.checkPrincipal(id, "tenant", "", "/ra"); err != nil {
		t.Errorf("once replicated: %v", err)
	}
}
