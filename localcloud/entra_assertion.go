package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// The checks of a federated client assertion, in the order Entra makes them (entra.go).

// federated is a federated credential as the token service sees it.
type federated struct {
	issuer, subject string
	audiences       []string
	written         time.Time
}

// honouredCredentials are the identity's federated credentials written at least
// $LOCALCLOUD_FIC_PROPAGATION_MS ago: a newer one is not known to the token service yet.
func (s *entraServer) honouredCredentials(identityKey string) ([]federated, error) {
	recs, err := s.azure.children(identityKey + "/federatedIdentityCredentials")
	if err != nil {
		return nil, err
	}
	wait := envMillis("LOCALCLOUD_FIC_PROPAGATION_MS", 60000)
	var out []federated
	for _, rec := range recs {
		state, ok, err := s.azure.get(rec.Key)
		if err != nil || !ok {
			continue // deleted meanwhile
		}
		written, err := s.azure.modTime(rec.Key)
		if err != nil || time.Since(written) < wait {
			continue
		}
		var audiences []string
		for _, a := range state["audiences"].ArrayValue() {
			audiences = append(audiences, a.StringValue())
		}
		out = append(out, federated{str(state, "issuer"), str(state, "subject"), audiences, written})
	}
	return out, nil
}

const ficHint = "Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. https://learn.microsoft.com/entra/workload-id/workload-identity-federation"

// matchCredential finds the federated credential that trusts the assertion's claims, or says
// which claim none matches, as Entra does (issuer first, then subject, then audience).
func matchCredential(fics []federated, claims jwt.Claims) error {
	var byIssuer, bySubject []federated
	for _, f := range fics {
		if f.issuer == claims.Issuer {
			byIssuer = append(byIssuer, f)
		}
	}
	if len(byIssuer) == 0 {
		return &entraError{400, "invalid_client", 700211, fmt.Sprintf(
			"No matching federated identity record found for presented assertion issuer '%s'. %s", claims.Issuer, ficHint)}
	}
	for _, f := range byIssuer {
		if f.subject == claims.Subject {
			bySubject = append(bySubject, f)
		}
	}
	if len(bySubject) == 0 {
		return &entraError{400, "invalid_client", 700213, fmt.Sprintf(
			"No matching federated identity record found for presented assertion subject '%s'. %s", claims.Subject, ficHint)}
	}
	for _, f := range bySubject {
		for _, a := range f.audiences {
			if claims.Audience.Contains(a) {
				return nil
			}
		}
	}
	return &entraError{400, "invalid_client", 700212, fmt.Sprintf(
		"No matching federated identity record found for presented assertion audience '%s'. %s", strings.Join(claims.Audience, ","), ficHint)}
}

// issuerKeys reads the issuer's discovery document and the key set it names, as Entra does:
// anonymously, over HTTPS; anything else than a 200 with JSON is the issuer failing.
func (s *entraServer) issuerKeys(issuer string) (*jose.JSONWebKeySet, error) {
	failed := func(what string, err error) error {
		fmt.Fprintf(os.Stderr, "entra: reading %s of %s: %v\n", what, issuer, err)
		return &entraError{400, "invalid_request", 90061, "Request to External OIDC endpoint failed."}
	}
	var discovery struct {
		JwksURI string `json:"jwks_uri"`
	}
	if err := s.getJSON(strings.TrimSuffix(issuer, "/")+"/.well-known/openid-configuration", &discovery); err != nil {
		return nil, failed("the discovery document", err)
	}
	if !strings.HasPrefix(discovery.JwksURI, "https://") {
		return nil, failed("the discovery document", fmt.Errorf("jwks_uri %q is not https", discovery.JwksURI))
	}
	var keys jose.JSONWebKeySet
	if err := s.getJSON(discovery.JwksURI, &keys); err != nil {
		return nil, failed("the key set", err)
	}
	return &keys, nil
}

func (s *entraServer) getJSON(url string, into any) error {
	if !strings.HasPrefix(url, "https://") {
		return fmt.Errorf("%s is not https", url)
	}
	resp, err := s.client.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	return json.Unmarshal(body, into)
}

// checkAssertion checks a client assertion (a Kubernetes service-account token) against the
// identity's federated credentials and the issuer's keys.
func (s *entraServer) checkAssertion(identity *storedIdentity, assertion string) error {
	malformed := &entraError{400, "invalid_request", 50027, "JWT token is invalid or malformed."}
	tok, err := jwt.ParseSigned(assertion, []jose.SignatureAlgorithm{
		jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.ES256, jose.ES384, jose.ES512,
	})
	if err != nil || len(tok.Headers) != 1 {
		return malformed
	}
	header := tok.Headers[0]
	if header.Algorithm != string(jose.RS256) {
		return &entraError{400, "invalid_request", 5002738, fmt.Sprintf(
			"Invalid JWT token. '%s' is not a supported signature algorithm. Supported signing algorithms are: 'RS256'.", header.Algorithm)}
	}
	var claims jwt.Claims
	if err := tok.UnsafeClaimsWithoutVerification(&claims); err != nil {
		return malformed
	}
	fics, err := s.honouredCredentials(identity.key)
	if err != nil {
		return err
	}
	if err := matchCredential(fics, claims); err != nil {
		return err
	}
	keys, err := s.issuerKeys(claims.Issuer)
	if err != nil {
		return err
	}
	found := keys.Key(header.KeyID)
	if header.KeyID == "" || len(found) == 0 {
		return &entraError{401, "invalid_client", 7000272, fmt.Sprintf(
			"The certificate with identifier %s used to sign the federated credential could not be found in the metadata of identity provider %s. Please validate that your Identity Provider's metadata exposes the key used to sign the incoming token.", header.KeyID, claims.Issuer)}
	}
	if err := tok.Claims(found[0].Key, &claims); err != nil {
		return &entraError{401, "invalid_client", 700027, "Client assertion failed signature validation."}
	}
	now := time.Now()
	if err := claims.ValidateWithLeeway(jwt.Expected{Time: now}, 5*time.Minute); err != nil {
		return &entraError{400, "invalid_client", 700024, fmt.Sprintf(
			"Client assertion is not within its valid time range. Current time: %s, assertion valid from %s, expiry time of assertion %s.",
			now.UTC().Format(time.RFC3339), claims.NotBefore.Time().UTC().Format(time.RFC3339), claims.Expiry.Time().UTC().Format(time.RFC3339))}
	}
	return nil
}

// serveManagedIdentity answers as App Service's managed identity endpoint (api-version
// 2019-08-01): a token for the user-assigned identity the client id names, to a caller that
// shows the environment's secret header.
func (s *entraServer) serveManagedIdentity(w http.ResponseWriter, r *http.Request) {
	answer := func(status int, body map[string]any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(body)
	}
	secret := os.Getenv("LOCALCLOUD_IDENTITY_HEADER")
	if secret == "" || r.Header.Get("X-IDENTITY-HEADER") != secret {
		answer(http.StatusUnauthorized, map[string]any{"statusCode": 401, "message": "Unauthorized: the X-IDENTITY-HEADER is missing or wrong."})
		return
	}
	q := r.URL.Query()
	resource, clientID := q.Get("resource"), q.Get("client_id")
	if q.Get("api-version") != "2019-08-01" || resource == "" {
		answer(http.StatusBadRequest, map[string]any{"statusCode": 400, "message": "The api-version 2019-08-01 and a resource are required."})
		return
	}
	if clientID == "" {
		answer(http.StatusBadRequest, map[string]any{"statusCode": 400, "message": "No system-assigned managed identity is enabled: name a user-assigned one by client_id."})
		return
	}
	identity, err := s.identityByClientID(clientID)
	if err != nil {
		answer(http.StatusBadRequest, map[string]any{"statusCode": 400, "message": fmt.Sprintf("Unable to load the managed identity with client id %s.", clientID)})
		return
	}
	resource = strings.TrimSuffix(resource, "/.default")
	token, err := s.accessToken(resource, clientID, str(identity.state, "principalId"))
	if err != nil {
		answer(http.StatusInternalServerError, map[string]any{"statusCode": 500, "message": err.Error()})
		return
	}
	answer(http.StatusOK, map[string]any{
		"access_token": token,
		"expires_on":   fmt.Sprint(time.Now().Add(tokenLifetime).Unix()),
		"resource":     resource,
		"token_type":   "Bearer",
		"client_id":    clientID,
	})
}

// bearer is what Resource Manager knows of its caller: a token the local Entra signed, for
// Resource Manager, in its time range. A refusal is Resource Manager's 401 code and message.
func bearer(key *jose.JSONWebKey, header, endpoint string) (claims map[string]any, code, message string) {
	raw, ok := strings.CutPrefix(header, "Bearer ")
	if !ok {
		return nil, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing."
	}
	invalid := "The access token is invalid."
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return nil, "InvalidAuthenticationToken", invalid
	}
	var std jwt.Claims
	if err := tok.Claims(key.Key, &std, &claims); err != nil {
		return nil, "InvalidAuthenticationToken", invalid
	}
	now := time.Now()
	if std.Expiry != nil && now.After(std.Expiry.Time()) {
		return nil, "ExpiredAuthenticationToken", fmt.Sprintf(
			"The access token expiry UTC time '%s' is earlier than current UTC time '%s'.",
			std.Expiry.Time().UTC().Format("1/2/2006 3:04:05 PM"), now.UTC().Format("1/2/2006 3:04:05 PM"))
	}
	allowed := []string{endpoint, endpoint + "/"}
	if !slices.ContainsFunc(std.Audience, func(a string) bool { return slices.Contains(allowed, a) }) {
		return nil, "InvalidAuthenticationTokenAudience", fmt.Sprintf(
			"The access token has been obtained for wrong audience or resource '%s'. It should exactly match with one of the allowed audiences '%s'.",
			strings.Join(std.Audience, ","), strings.Join(allowed, "','"))
	}
	return claims, "", ""
}
