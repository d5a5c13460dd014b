package main

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

// testEntra signs the tests' Resource Manager tokens, as the local Entra does.
var testEntra = func() *entraServer {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return &entraServer{key: key, kid: entraKeyID(&key.PublicKey)}
}()

// armOver is Resource Manager over a store, accepting testEntra's tokens.
func armOver(s *store) *armServer {
	return &armServer{azure: s, pageSize: 2, entraKey: &jose.JSONWebKey{Key: &testEntra.key.PublicKey}}
}

func get(t *testing.T, h http.Handler, url string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, url, nil)
	token, err := testEntra.accessToken("https://"+req.Host, "client", "object")
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestResourceManagerListsAPageAtATime(t *testing.T) {
	s := newStore(t.TempDir())
	put(t, s, testIdentity, "azure-native:managedidentity:UserAssignedIdentity")
	for i := range 5 {
		putFIC(t, s, fmt.Sprintf("f%d", i), fic("https://i/", fmt.Sprintf("s%d", i), "a"))
	}
	a := armOver(s)
	url := "https://127.0.0.1:1" + testIdentity + "/federatedIdentityCredentials?api-version=2023-01-31"
	var names []string
	for pages := 0; url != ""; pages++ {
		if pages > 5 {
			t.Fatal("no end to the pages")
		}
		rec := get(t, a, url)
		var page struct {
			Value    []struct{ Name string }
			NextLink string
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil || rec.Code != 200 {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
		if len(page.Value) > 2 {
			t.Errorf("a page of %d", len(page.Value))
		}
		for _, v := range page.Value {
			names = append(names, v.Name)
		}
		url = page.NextLink
	}
	if fmt.Sprint(names) != "[f0 f1 f2 f3 f4]" {
		t.Errorf("listed %v", names)
	}
}

func TestResourceManagerThrottlesAndForbidsWhenTold(t *testing.T) {
	s := newStore(t.TempDir())
	put(t, s, testIdentity, "azure-native:managedidentity:UserAssignedIdentity")
	a := armOver(s)
	a.throttleEvery, a.forbidden = 2, regexp.MustCompile("/forbidden/")
	url := "https://127.0.0.1:1" + testIdentity + "?api-version=2023-01-31"
	if rec := get(t, a, url); rec.Code != 200 {
		t.Errorf("first: %d", rec.Code)
	}
	if rec := get(t, a, url); rec.Code != 429 || rec.Header().Get("Retry-After") != "1" {
		t.Errorf("second: %d %q", rec.Code, rec.Header().Get("Retry-After"))
	}
	if rec := get(t, a, "https://127.0.0.1:1/subscriptions/s/forbidden/x?api-version=1"); rec.Code != 403 {
		t.Errorf("forbidden: %d", rec.Code)
	}
	// A token that is not the local Entra's, as a user's own az token would be here.
	req := httptest.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer a token of the user's az login")
	rec := httptest.NewRecorder()
	a.ServeHTTP(rec, req)
	if rec.Code != 401 || !regexp.MustCompile(`"InvalidAuthenticationToken"`).MatchString(rec.Body.String()) {
		t.Errorf("a foreign token: %d %s", rec.Code, rec.Body)
	}
}

func TestTheWebsiteEndpointServesOnlyEnabledWebsites(t *testing.T) {
	s := newStore(t.TempDir())
	account := "/subscriptions/" + simulatedSubscription + "/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct"
	// A data plane nobody answers at: whatever reaches it is a 502, which the refusals below
	// must never get to.
	az := &azurite{endpoint: "https://127.0.0.1:1"}
	read := func(method, path string) (int, string) {
		rec := httptest.NewRecorder()
		serveWebsite(s, az, rec, httptest.NewRequest(method, "https://127.0.0.1:2"+path, nil))
		return rec.Code, rec.Header().Get("x-ms-error-code")
	}
	expect := func(what, method, path string, code int, errCode string) {
		t.Helper()
		if got, gotCode := read(method, path); got != code || gotCode != errCode {
			t.Errorf("%s: %d %q, want %d %q", what, got, gotCode, code, errCode)
		}
	}
	expect("a write", http.MethodPut, "/acct-web/doc", 403, "AuthenticationFailed")
	expect("not a website", http.MethodGet, "/acct/oidc/doc", 404, "ResourceNotFound")
	expect("the website disabled", http.MethodGet, "/acct-web/doc", 404, "WebsiteDisabled")
	put(t, s, account+"/staticWebsite", "website")
	expect("the website enabled: read from the data plane", http.MethodGet, "/acct-web/doc", 502, "")
}
