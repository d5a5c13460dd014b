package main

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// A stand-in for Entra ID's token service (login.microsoftonline.com), as the Azure SDKs'
// credentials meet it, so that a tool's whole credential chain runs against the local cloud:
//   - GET /{tenant}/v2.0/.well-known/openid-configuration: where MSAL finds the token endpoint;
//   - POST /{tenant}/oauth2/v2.0/token: the client-credentials grant with a client secret
//     (EnvironmentCredential) or a client assertion (WorkloadIdentityCredential: a Kubernetes
//     service-account token, exchanged under a federated credential of a user-assigned identity);
//   - GET /.msi/token: App Service's managed identity endpoint (ManagedIdentityCredential with
//     IDENTITY_ENDPOINT and IDENTITY_HEADER).
//
// Access tokens are JWTs signed with the local cloud's own key; Resource Manager (serve.go)
// accepts nothing else. An assertion is checked as Entra checks it, each refusal with Entra's
// code: the identity by client id, a federated credential matching issuer, subject and audience
// byte for byte, the issuer's discovery document and key set read over HTTPS, the key the
// token's kid names, the signature and the time range. Knobs:
//   - $LOCALCLOUD_ENTRA_CLIENTS: app registrations and their secrets, "clientId=secret,...";
//   - $LOCALCLOUD_IDENTITY_HEADER: the secret the managed identity endpoint wants in
//     X-IDENTITY-HEADER (unset: the endpoint answers nobody);
//   - $LOCALCLOUD_FIC_PROPAGATION_MS: how long a federated credential just written is not yet
//     honoured (default 60000; Entra takes minutes);
//   - $LOCALCLOUD_CA_FILE: a CA to trust, besides the system's, when reading an issuer.

const (
	clientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	tokenLifetime       = time.Hour
)

type entraServer struct {
	azure  *store
	key    *rsa.PrivateKey
	kid    string
	client *http.Client
}

func newEntraServer(azure *store) (*entraServer, error) {
	key, err := loadOrCreateEntraKey(filepath.Join(cloudDir(), "entra"))
	if err != nil {
		return nil, err
	}
	client, err := issuerClient()
	if err != nil {
		return nil, err
	}
	return &entraServer{azure: azure, key: key, kid: entraKeyID(&key.PublicKey), client: client}, nil
}

// loadOrCreateEntraKey is the key every access token is signed with, shared by the processes
// serving the token endpoint and Resource Manager: the first to need it writes it.
func loadOrCreateEntraKey(dir string) (*rsa.PrivateKey, error) {
	file := filepath.Join(dir, "signing.pem")
	if data, err := os.ReadFile(file); err == nil {
		block, _ := pem.Decode(data)
		if block == nil {
			return nil, fmt.Errorf("%s: not a PEM key", file)
		}
		return x509.ParsePKCS1PrivateKey(block.Bytes)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(dir, ".key-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	if err := pem.Encode(tmp, &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	// A link fails where the file exists: another process won the race, and its key is the one.
	if err := os.Link(tmp.Name(), file); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, err
	}
	return loadOrCreateEntraKey(dir)
}

func entraKeyID(pub *rsa.PublicKey) string {
	thumb, _ := (&jose.JSONWebKey{Key: pub}).Thumbprint(crypto.SHA256)
	return fmt.Sprintf("%x", thumb[:10])
}

// issuerClient reads issuers' documents as Entra does: HTTPS with verified certificates, no
// redirects followed, a short deadline.
func issuerClient() (*http.Client, error) {
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if file := os.Getenv("LOCALCLOUD_CA_FILE"); file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		pool.AppendCertsFromPEM(data)
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return &http.Client{
		Transport:     transport,
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}, nil
}

// entraError is an error answer of the token endpoint, in Entra's shape.
type entraError struct {
	status int
	kind   string // the OAuth error: invalid_request, invalid_client, ...
	code   int    // the AADSTS number
	text   string
}

func (e *entraError) Error() string { return fmt.Sprintf("AADSTS%d: %s", e.code, e.text) }

func (e *entraError) write(w http.ResponseWriter) {
	now := time.Now().UTC().Format("2006-01-02 15:04:05Z")
	trace := newGUID()
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"error": e.kind,
		"error_description": fmt.Sprintf("AADSTS%d: %s Trace ID: %s Correlation ID: %s Timestamp: %s",
			e.code, e.text, trace, newGUID(), now),
		"error_codes":    []int{e.code},
		"timestamp":      now,
		"trace_id":       trace,
		"correlation_id": newGUID(),
		"error_uri":      fmt.Sprintf("https://login.microsoftonline.com/error?code=%d", e.code),
	})
}

func (s *entraServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/.msi/token" {
		s.serveManagedIdentity(w, r)
		return
	}
	parts := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/"), "/", 2)
	tenant, rest := parts[0], ""
	if len(parts) == 2 {
		rest = parts[1]
	}
	if tenant != simulatedTenant && tenant != "organizations" && tenant != "common" {
		(&entraError{400, "invalid_request", 90002, fmt.Sprintf(
			"Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.", tenant)}).write(w)
		return
	}
	switch rest {
	case "v2.0/.well-known/openid-configuration":
		s.serveConfiguration(w, r, tenant)
	case "discovery/v2.0/keys":
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
			{Key: &s.key.PublicKey, KeyID: s.kid, Algorithm: "RS256", Use: "sig"},
		}})
	case "oauth2/v2.0/token":
		s.serveToken(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (s *entraServer) serveConfiguration(w http.ResponseWriter, r *http.Request, tenant string) {
	base := "https://" + r.Host + "/" + tenant
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"issuer":                                "https://" + r.Host + "/" + simulatedTenant + "/v2.0",
		"token_endpoint":                        base + "/oauth2/v2.0/token",
		"authorization_endpoint":                base + "/oauth2/v2.0/authorize",
		"end_session_endpoint":                  base + "/oauth2/v2.0/logout",
		"jwks_uri":                              base + "/discovery/v2.0/keys",
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
	})
}

// tokenAnswer is the token endpoint's success answer.
func tokenAnswer(w http.ResponseWriter, token string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"token_type":     "Bearer",
		"expires_in":     int(tokenLifetime.Seconds()) - 1,
		"ext_expires_in": int(tokenLifetime.Seconds()) - 1,
		"access_token":   token,
	})
}

func (s *entraServer) serveToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		(&entraError{405, "invalid_request", 900561, "The endpoint only accepts POST requests."}).write(w)
		return
	}
	if err := r.ParseForm(); err != nil {
		(&entraError{400, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'."}).write(w)
		return
	}
	token, err := s.grant(r)
	if err != nil {
		var e *entraError
		if errors.As(err, &e) {
			e.write(w)
			return
		}
		(&entraError{500, "server_error", 50000, err.Error()}).write(w)
		return
	}
	tokenAnswer(w, token)
}

// grant checks a client-credentials request and mints its access token.
func (s *entraServer) grant(r *http.Request) (string, error) {
	if gt := r.PostForm.Get("grant_type"); gt != "client_credentials" {
		return "", &entraError{400, "unsupported_grant_type", 70003, fmt.Sprintf("The app requested an unsupported grant type '%s'.", gt)}
	}
	resource, err := resourceOfScope(r.PostForm.Get("scope"))
	if err != nil {
		return "", err
	}
	clientID := r.PostForm.Get("client_id")
	if secret := r.PostForm.Get("client_secret"); secret != "" {
		return s.grantSecret(clientID, secret, resource)
	}
	if r.PostForm.Get("client_assertion_type") != clientAssertionType || r.PostForm.Get("client_assertion") == "" {
		return "", &entraError{401, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."}
	}
	identity, err := s.identityByClientID(clientID)
	if err != nil {
		return "", err
	}
	if err := s.checkAssertion(identity, r.PostForm.Get("client_assertion")); err != nil {
		return "", err
	}
	return s.accessToken(resource, clientID, str(identity.state, "principalId"))
}

// resourceOfScope is the resource a client-credentials scope names ("<resource>/.default").
func resourceOfScope(scope string) (string, error) {
	for _, s := range strings.Fields(scope) {
		if strings.HasSuffix(s, "/.default") {
			return strings.TrimSuffix(s, "/.default"), nil
		}
	}
	return "", &entraError{400, "invalid_scope", 1002012, fmt.Sprintf(
		"The provided value for scope %s is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).", scope)}
}

func notFoundInDirectory(clientID string) error {
	return &entraError{400, "unauthorized_client", 700016, fmt.Sprintf(
		"Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.", clientID, simulatedTenant)}
}

// grantSecret checks an app registration's secret ($LOCALCLOUD_ENTRA_CLIENTS).
func (s *entraServer) grantSecret(clientID, secret, resource string) (string, error) {
	for _, entry := range strings.Split(os.Getenv("LOCALCLOUD_ENTRA_CLIENTS"), ",") {
		id, want, ok := strings.Cut(strings.TrimSpace(entry), "=")
		if !ok || id != clientID {
			continue
		}
		if secret != want {
			return "", &entraError{401, "invalid_client", 7000215, fmt.Sprintf(
				"Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", clientID)}
		}
		// An app's service principal: its object id stands in as the client id.
		return s.accessToken(resource, clientID, clientID)
	}
	return "", notFoundInDirectory(clientID)
}

// storedIdentity is a user-assigned identity of the local cloud's store.
type storedIdentity struct {
	key   string
	state resource.PropertyMap
}

func (s *entraServer) identityByClientID(clientID string) (*storedIdentity, error) {
	recs, err := s.azure.list()
	if err != nil {
		return nil, err
	}
	for _, rec := range recs {
		if rec.Type != "azure-native:managedidentity:UserAssignedIdentity" {
			continue
		}
		state, ok, err := s.azure.get(rec.Key)
		if err != nil {
			return nil, err
		}
		if ok && str(state, "clientId") == clientID {
			return &storedIdentity{key: rec.Key, state: state}, nil
		}
	}
	return nil, notFoundInDirectory(clientID)
}

// accessToken is a Resource Manager (or other resource) token for a principal.
func (s *entraServer) accessToken(resource, clientID, principalID string) (string, error) {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: s.key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", s.kid))
	if err != nil {
		return "", err
	}
	now := time.Now()
	return jwt.Signed(signer).Claims(map[string]any{
		"aud":   resource,
		"iss":   "https://sts.windows.net/" + simulatedTenant + "/",
		"iat":   now.Unix(),
		"nbf":   now.Unix(),
		"exp":   now.Add(tokenLifetime).Unix(),
		"appid": clientID,
		"oid":   principalID,
		"sub":   principalID,
		"tid":   simulatedTenant,
		"idtyp": "app",
	}).Serialize()
}
