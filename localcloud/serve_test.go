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
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
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

func TestAnonymousBlobReadsAreServedOnlyWhereAzureAllowsThem(t *testing.T) {
	s := newStore(t.TempDir())
	const host = "127.0.0.1:1"
	account := "/subscriptions/" + simulatedSubscription + "/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct"
	blob := func(container string) resource.PropertyMap {
		return resource.PropertyMap{
			"accountName": resource.NewStringProperty("acct"), "resourceGroupName": resource.NewStringProperty("rg"),
			"containerName": resource.NewStringProperty(container), "contentType": resource.NewStringProperty("application/json"),
			"source": resource.NewAssetProperty(&resource.Asset{Text: "{}"}),
		}
	}
	if err := s.put("https://"+host+"/acct-web/doc", "blob", blob("$web")); err != nil {
		t.Fatal(err)
	}
	if err := s.put("https://"+host+"/acct/oidc/doc", "blob", blob("oidc")); err != nil {
		t.Fatal(err)
	}
	serve := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { serveBlob(s, w, r) })
	read := func(path string) (int, string) {
		rec := httptest.NewRecorder()
		serve.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "https://"+host+path, nil))
		return rec.Code, rec.Header().Get("x-ms-error-code")
	}
	expect := func(what, path string, code int, errCode string) {
		t.Helper()
		if got, gotCode := read(path); got != code || gotCode != errCode {
			t.Errorf("%s: %d %q, want %d %q", what, got, gotCode, code, errCode)
		}
	}
	expect("the website disabled", "/acct-web/doc", 404, "WebsiteDisabled")
	put(t, s, account+"/staticWebsite", "website")
	expect("the website enabled", "/acct-web/doc", 200, "")
	put(t, s, account, "account") // allowBlobPublicAccess not set: Azure's default is off
	expect("public access off on the account", "/acct/oidc/doc", 409, "PublicAccessNotPermitted")
	if err := s.put(account, "account", resource.PropertyMap{"allowBlobPublicAccess": resource.NewBoolProperty(true)}); err != nil {
		t.Fatal(err)
	}
	expect("a private container", "/acct/oidc/doc", 404, "ResourceNotFound")
	if err := s.put(account+"/blobServices/default/containers/oidc", "container", resource.PropertyMap{"publicAccess": resource.NewStringProperty("Blob")}); err != nil {
		t.Fatal(err)
	}
	expect("a public container", "/acct/oidc/doc", 200, "")
	expect("no such blob", "/acct/oidc/other", 404, "BlobNotFound")
}
