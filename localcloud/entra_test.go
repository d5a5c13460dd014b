package main

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

const (
	entraIdentity = "/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/reader"
	testClientID  = "11111111-1111-4111-8111-111111111111"
	testSubject   = "system:serviceaccount:apps:reader"
	testAudience  = "api://AzureADTokenExchange"
)

// issuerFixture is an OIDC issuer over HTTPS (as a cluster's would be published) and its key.
type issuerFixture struct {
	server *httptest.Server
	key    *rsa.PrivateKey
	kid    string
}

func newIssuer(t *testing.T) *issuerFixture {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f := &issuerFixture{key: key, kid: entraKeyID(&key.PublicKey)}
	f.server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			_ = json.NewEncoder(w).Encode(map[string]any{"issuer": f.url(), "jwks_uri": f.url() + "openid/v1/jwks"})
		case "/openid/v1/jwks":
			_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
				{Key: &key.PublicKey, KeyID: f.kid, Algorithm: "RS256", Use: "sig"},
			}})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(f.server.Close)
	return f
}

// url is the issuer with the trailing slash the stack's issuers carry.
func (f *issuerFixture) url() string { return f.server.URL + "/" }

// token is a service-account token as the API server signs it.
func (f *issuerFixture) token(t *testing.T, kid, subject string, expiry time.Duration) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: f.key},
		(&jose.SignerOptions{}).WithHeader("kid", kid))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	raw, err := jwt.Signed(signer).Claims(jwt.Claims{
		Issuer: f.url(), Subject: subject, Audience: jwt.Audience{testAudience},
		IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now),
		Expiry: jwt.NewNumericDate(now.Add(expiry)),
	}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// newTestEntra is the token service over a store holding one identity with one federated
// credential for the issuer, honoured at once.
func newTestEntra(t *testing.T, issuer *issuerFixture) (*entraServer, *httptest.Server) {
	t.Helper()
	t.Setenv("LOCALCLOUD_FIC_PROPAGATION_MS", "0")
	t.Setenv("LOCALCLOUD_ENTRA_CLIENTS", "22222222-2222-4222-8222-222222222222=s3cret")
	azure := newStore(t.TempDir())
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(azure.put(entraIdentity, "azure-native:managedidentity:UserAssignedIdentity", resource.PropertyMap{
		"clientId":    resource.NewStringProperty(testClientID),
		"principalId": resource.NewStringProperty("33333333-3333-4333-8333-333333333333"),
	}))
	must(azure.put(entraIdentity+"/federatedIdentityCredentials/apps-reader", "azure-native:managedidentity:FederatedIdentityCredential", resource.PropertyMap{
		"issuer":    resource.NewStringProperty(issuer.url()),
		"subject":   resource.NewStringProperty(testSubject),
		"audiences": resource.NewArrayProperty([]resource.PropertyValue{resource.NewStringProperty(testAudience)}),
	}))
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	must(err)
	s := &entraServer{azure: azure, key: key, kid: entraKeyID(&key.PublicKey), client: issuer.server.Client()}
	srv := httptest.NewTLSServer(s)
	t.Cleanup(srv.Close)
	return s, srv
}

// exchange posts a client-credentials request; it returns the status and the decoded answer.
func exchange(t *testing.T, srv *httptest.Server, tenant string, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := srv.Client().PostForm(srv.URL+"/"+tenant+"/oauth2/v2.0/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

func assertionForm(assertion string) url.Values {
	return url.Values{
		"grant_type":            {"client_credentials"},
		"client_id":             {testClientID},
		"scope":                 {"https://management.azure.com/.default"},
		"client_assertion_type": {clientAssertionType},
		"client_assertion":      {assertion},
	}
}

func wantCode(t *testing.T, status int, body map[string]any, wantStatus int, code string) {
	t.Helper()
	desc, _ := body["error_description"].(string)
	if status != wantStatus || !strings.HasPrefix(desc, code+":") {
		t.Fatalf("got %d %q, want %d %s", status, desc, wantStatus, code)
	}
}

func TestEntraExchangesAServiceAccountTokenUnderAFederatedCredential(t *testing.T) {
	issuer := newIssuer(t)
	s, srv := newTestEntra(t, issuer)
	status, body := exchange(t, srv, simulatedTenant, assertionForm(issuer.token(t, issuer.kid, testSubject, time.Hour)))
	if status != 200 {
		t.Fatalf("got %d %v", status, body)
	}
	claims, code, msg := bearer(&jose.JSONWebKey{Key: &s.key.PublicKey}, "Bearer "+body["access_token"].(string), "https://management.azure.com")
	if code != "" {
		t.Fatalf("Resource Manager refused the token: %s %s", code, msg)
	}
	if claims["appid"] != testClientID || claims["oid"] != "33333333-3333-4333-8333-333333333333" {
		t.Fatalf("claims %v", claims)
	}
}

func TestEntraRefusesAssertionsAsEntraDoes(t *testing.T) {
	issuer := newIssuer(t)
	_, srv := newTestEntra(t, issuer)
	other := newIssuer(t) // another key, the same claims
	for name, c := range map[string]struct {
		assertion string
		status    int
		code      string
	}{
		"another subject":           {issuer.token(t, issuer.kid, "system:serviceaccount:apps:writer", time.Hour), 400, "AADSTS700213"},
		"a subject in another case": {issuer.token(t, issuer.kid, "system:serviceaccount:apps:Reader", time.Hour), 400, "AADSTS700213"},
		"another issuer":            {other.token(t, other.kid, testSubject, time.Hour), 400, "AADSTS700211"},
		"a kid the issuer lacks":    {issuer.token(t, "not-published", testSubject, time.Hour), 401, "AADSTS7000272"},
		"a key the issuer lacks":    {(&issuerFixture{server: issuer.server, key: other.key}).token(t, issuer.kid, testSubject, time.Hour), 401, "AADSTS700027"},
		"an expired token":          {issuer.token(t, issuer.kid, testSubject, -10*time.Minute), 400, "AADSTS700024"},
		"not a token":               {"not.a.token", 400, "AADSTS50027"},
	} {
		t.Run(name, func(t *testing.T) {
			status, body := exchange(t, srv, simulatedTenant, assertionForm(c.assertion))
			wantCode(t, status, body, c.status, c.code)
		})
	}
}

func TestEntraHonoursAFederatedCredentialOnlyOnceItPropagated(t *testing.T) {
	issuer := newIssuer(t)
	_, srv := newTestEntra(t, issuer)
	t.Setenv("LOCALCLOUD_FIC_PROPAGATION_MS", "600000")
	status, body := exchange(t, srv, simulatedTenant, assertionForm(issuer.token(t, issuer.kid, testSubject, time.Hour)))
	wantCode(t, status, body, 400, "AADSTS700211") // no credential known yet: the issuer is the first miss
}

func TestEntraUnreachableIssuerIs90061(t *testing.T) {
	issuer := newIssuer(t)
	_, srv := newTestEntra(t, issuer)
	token := issuer.token(t, issuer.kid, testSubject, time.Hour)
	issuer.server.Close()
	status, body := exchange(t, srv, simulatedTenant, assertionForm(token))
	wantCode(t, status, body, 400, "AADSTS90061")
}

func TestEntraClientSecrets(t *testing.T) {
	_, srv := newTestEntra(t, newIssuer(t))
	form := func(client, secret, scope string) url.Values {
		return url.Values{"grant_type": {"client_credentials"}, "client_id": {client}, "client_secret": {secret}, "scope": {scope}}
	}
	const app = "22222222-2222-4222-8222-222222222222"
	status, body := exchange(t, srv, simulatedTenant, form(app, "s3cret", "https://management.azure.com/.default"))
	if status != 200 || body["access_token"] == nil {
		t.Fatalf("got %d %v", status, body)
	}
	status, body = exchange(t, srv, simulatedTenant, form(app, "wrong", "https://management.azure.com/.default"))
	wantCode(t, status, body, 401, "AADSTS7000215")
	status, body = exchange(t, srv, simulatedTenant, form("44444444-4444-4444-8444-444444444444", "s3cret", "https://management.azure.com/.default"))
	wantCode(t, status, body, 400, "AADSTS700016")
	status, body = exchange(t, srv, simulatedTenant, form(app, "s3cret", "https://management.azure.com"))
	wantCode(t, status, body, 400, "AADSTS1002012")
	status, body = exchange(t, srv, "55555555-5555-4555-8555-555555555555", form(app, "s3cret", "https://management.azure.com/.default"))
	wantCode(t, status, body, 400, "AADSTS90002")
}

func TestEntraManagedIdentityEndpointWantsTheHeader(t *testing.T) {
	_, srv := newTestEntra(t, newIssuer(t))
	t.Setenv("LOCALCLOUD_IDENTITY_HEADER", "h3ader")
	get := func(header, query string) int {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/.msi/token?"+query, nil)
		if header != "" {
			req.Header.Set("X-IDENTITY-HEADER", header)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	ok := "api-version=2019-08-01&resource=https://management.azure.com&client_id=" + testClientID
	for _, c := range []struct {
		header, query string
		want          int
	}{
		{"h3ader", ok, 200},
		{"", ok, 401},
		{"wrong", ok, 401},
		{"h3ader", "api-version=2019-08-01&resource=https://management.azure.com", 400},
		{"h3ader", "api-version=2019-08-01&resource=https://management.azure.com&client_id=nobody", 400},
	} {
		if got := get(c.header, c.query); got != c.want {
			t.Errorf("header %q, %s: got %d, want %d", c.header, c.query, got, c.want)
		}
	}
}

func TestResourceManagerRefusesTokensItShouldNot(t *testing.T) {
	s, _ := newTestEntra(t, newIssuer(t))
	pub := &jose.JSONWebKey{Key: &s.key.PublicKey}
	forGraph, _ := s.accessToken("https://graph.microsoft.com", testClientID, "x")
	if _, code, _ := bearer(pub, "Bearer "+forGraph, "https://management.azure.com"); code != "InvalidAuthenticationTokenAudience" {
		t.Errorf("another audience: %s", code)
	}
	if _, code, _ := bearer(pub, "Bearer a token of the user's az login", "https://management.azure.com"); code != "InvalidAuthenticationToken" {
		t.Errorf("not a token: %s", code)
	}
	if _, code, _ := bearer(pub, "", "https://management.azure.com"); code != "AuthenticationFailed" {
		t.Errorf("no header: %s", code)
	}
	stranger, _ := rsa.GenerateKey(rand.Reader, 2048)
	other := &entraServer{key: stranger, kid: "k"}
	forged, _ := other.accessToken("https://management.azure.com", testClientID, "x")
	if _, code, _ := bearer(pub, "Bearer "+forged, "https://management.azure.com"); code != "InvalidAuthenticationToken" {
		t.Errorf("signed by another key: %s", code)
	}
}
