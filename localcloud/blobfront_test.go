package main

import (
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

const (
	frontAccountID = "/subscriptions/" + simulatedSubscription + "/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/oidcabc"
	frontWriter    = "44444444-4444-4444-8444-444444444444"
)

// frontFixture is a blob front over a stand-in Azurite that answers 201 to whatever reaches it.
type frontFixture struct {
	azure   *store
	entra   *entraServer
	front   *blobFront
	reached int
}

func newFrontFixture(t *testing.T, sharedKeys bool) *frontFixture {
	t.Helper()
	f := &frontFixture{azure: newStore(t.TempDir())}
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		f.reached++
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(upstream.Close)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f.entra = &entraServer{key: key, kid: "k"}
	if err := f.azure.put(frontAccountID, "azure-native:storage:StorageAccount", resource.PropertyMap{
		"allowSharedKeyAccess": resource.NewBoolProperty(sharedKeys),
	}); err != nil {
		t.Fatal(err)
	}
	f.front, err = newBlobFront(f.azure, &jose.JSONWebKey{Key: &key.PublicKey}, &azurite{endpoint: upstream.URL})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *frontFixture) grant(t *testing.T, name, scope, roleGUID string) {
	t.Helper()
	if err := f.azure.put(scope+"/providers/Microsoft.Authorization/roleAssignments/"+name, "azure-native:authorization:RoleAssignment", resource.PropertyMap{
		"principalId":      resource.NewStringProperty(frontWriter),
		"scope":            resource.NewStringProperty(scope),
		"roleDefinitionId": resource.NewStringProperty("/subscriptions/" + simulatedSubscription + "/providers/Microsoft.Authorization/roleDefinitions/" + roleGUID),
	}); err != nil {
		t.Fatal(err)
	}
}

func (f *frontFixture) send(t *testing.T, method, auth string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, "https://storage.test/oidcabc/$web/openid/v1/jwks", strings.NewReader("{}"))
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	rec := httptest.NewRecorder()
	f.front.ServeHTTP(rec, req)
	return rec
}

func (f *frontFixture) bearer(t *testing.T, audience string) string {
	t.Helper()
	token, err := f.entra.accessToken(audience, frontWriter, frontWriter)
	if err != nil {
		t.Fatal(err)
	}
	return "Bearer " + token
}

func wantStorageError(t *testing.T, rec *httptest.ResponseRecorder, status int, code string) {
	t.Helper()
	if rec.Code != status || rec.Header().Get("x-ms-error-code") != code {
		t.Errorf("got %d %q, want %d %s", rec.Code, rec.Header().Get("x-ms-error-code"), status, code)
	}
}

func TestBlobFrontRefusesTheAccountKeyWhereSharedKeysAreOff(t *testing.T) {
	off := newFrontFixture(t, false)
	wantStorageError(t, off.send(t, http.MethodPut, "SharedKey oidcabc:c2ln"), http.StatusForbidden, "KeyBasedAuthenticationNotPermitted")
	on := newFrontFixture(t, true)
	if rec := on.send(t, http.MethodPut, "SharedKey oidcabc:c2ln"); rec.Code != http.StatusCreated || on.reached != 1 {
		t.Errorf("shared keys on: %d, reached Azurite %d times", rec.Code, on.reached)
	}
}

func TestBlobFrontWantsADataRoleThatHasReachedTheDataPlane(t *testing.T) {
	f := newFrontFixture(t, false)
	token := f.bearer(t, storageAudience)
	wantStorageError(t, f.send(t, http.MethodPut, token), http.StatusForbidden, "AuthorizationPermissionMismatch")

	// Contributor on the resource group, just assigned: not yet.
	t.Setenv("LOCALCLOUD_DATA_RBAC_MS", "60000")
	f.grant(t, "g1", "/subscriptions/"+simulatedSubscription+"/resourceGroups/rg", "ba92f5b4-2d11-453d-a403-e96b0029c9fe")
	wantStorageError(t, f.send(t, http.MethodPut, token), http.StatusForbidden, "AuthorizationPermissionMismatch")

	t.Setenv("LOCALCLOUD_DATA_RBAC_MS", "0")
	if rec := f.send(t, http.MethodPut, token); rec.Code != http.StatusCreated || f.reached != 1 {
		t.Errorf("granted: %d, reached Azurite %d times", rec.Code, f.reached)
	}
}

func TestBlobFrontLetsAReaderReadOnly(t *testing.T) {
	t.Setenv("LOCALCLOUD_DATA_RBAC_MS", "0")
	f := newFrontFixture(t, false)
	f.grant(t, "r", frontAccountID, "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1")
	token := f.bearer(t, storageAudience)
	if rec := f.send(t, http.MethodGet, token); rec.Code != http.StatusCreated {
		t.Errorf("a reader's read: %d", rec.Code)
	}
	wantStorageError(t, f.send(t, http.MethodPut, token), http.StatusForbidden, "AuthorizationPermissionMismatch")
	// A role elsewhere (another account) grants nothing here.
	f.grant(t, "w", frontAccountID+"x", "ba92f5b4-2d11-453d-a403-e96b0029c9fe")
	wantStorageError(t, f.send(t, http.MethodPut, token), http.StatusForbidden, "AuthorizationPermissionMismatch")
}

func TestBlobFrontChecksTheTokenAndPassesAnonymousReadsOn(t *testing.T) {
	t.Setenv("LOCALCLOUD_DATA_RBAC_MS", "0")
	f := newFrontFixture(t, false)
	f.grant(t, "w", frontAccountID, "ba92f5b4-2d11-453d-a403-e96b0029c9fe")
	wantStorageError(t, f.send(t, http.MethodPut, f.bearer(t, "https://management.azure.com")), http.StatusUnauthorized, "InvalidAuthenticationTokenAudience")
	wantStorageError(t, f.send(t, http.MethodPut, "Bearer not-a-token"), http.StatusUnauthorized, "InvalidAuthenticationToken")
	if rec := f.send(t, http.MethodGet, ""); rec.Code != http.StatusCreated || f.reached != 1 {
		t.Errorf("anonymous read: %d (Azurite judges container access)", rec.Code)
	}
	req := httptest.NewRequest(http.MethodGet, "https://storage.test/nosuchaccount/c/b", nil)
	rec := httptest.NewRecorder()
	f.front.ServeHTTP(rec, req)
	wantStorageError(t, rec, http.StatusNotFound, "ResourceNotFound")
}
