package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/go-jose/go-jose/v4"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// The local cloud over HTTPS: what the doctor and the tests read as a user's tools would read
// Azure. With $LOCALCLOUD_STORAGE_ENDPOINT set (https://127.0.0.1:PORT), storage accounts get
// path-style endpoints under it (https://127.0.0.1:PORT/ACCOUNT-web/ for the static website;
// with $LOCALCLOUD_AZURITE, https://127.0.0.1:PORT/ACCOUNT/ for the blob endpoint, fronting
// Azurite: blobfront.go), and `localcloud serve` answers there: the blob endpoint, static
// websites, read from Azurite, to anonymous readers while enabled, and the
// Resource Manager reads the doctor makes (an identity, its federated credentials, role
// assignments by principal) to a caller with an access token of the local Entra (entra.go), a
// page at a time, and the token service itself.
//
// Knobs, so that tests meet what Azure does under load or with too few rights:
//   - $LOCALCLOUD_PAGE_SIZE: entries per page of a list (default 2; the rest via nextLink);
//   - $LOCALCLOUD_THROTTLE_EVERY: every Nth Resource Manager request is throttled (429 with
//     Retry-After), as Azure throttles a busy subscription (default 0: never);
//   - $LOCALCLOUD_ARM_FORBIDDEN: a regular expression; reads of matching paths get 403
//     AuthorizationFailed, as for a caller without Reader there.

// storageEndpoint is an account's endpoint for a service, as Azure reports it.
func storageEndpoint(account, service string) string {
	if front, ok := blobFrontEndpoint(account); ok && service == "blob" {
		return front
	}
	if az := azuriteFromEnv(); az != nil && service == "blob" {
		return az.blobEndpoint(account)
	}
	if base := os.Getenv("LOCALCLOUD_STORAGE_ENDPOINT"); base != "" {
		if service == "web" {
			return fmt.Sprintf("%s/%s-web/", base, account)
		}
		return fmt.Sprintf("%s/%s/", base, account)
	}
	if service == "web" {
		return fmt.Sprintf("https://%s.z6.web.core.windows.net/", account)
	}
	return fmt.Sprintf("https://%s.%s.core.windows.net/", account, service)
}

// blobURL is where a blob is read: the static website serves $web at its root.
func blobURL(account, container, blob string) string {
	if os.Getenv("LOCALCLOUD_STORAGE_ENDPOINT") != "" && container == "$web" {
		return storageEndpoint(account, "web") + blob
	}
	return storageEndpoint(account, "blob") + container + "/" + blob
}

// serveMain is `localcloud serve ADDR CERT KEY`.
func serveMain(args []string) int {
	if len(args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: localcloud serve ADDR CERT KEY")
		return 2
	}
	azure := openStore("azure")
	entra, err := newEntraServer(azure)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	arm := &armServer{azure: azure, pageSize: 2, entraKey: &jose.JSONWebKey{Key: &entra.key.PublicKey}}
	if n, err := strconv.Atoi(os.Getenv("LOCALCLOUD_PAGE_SIZE")); err == nil && n > 0 {
		arm.pageSize = n
	}
	arm.throttleEvery, _ = strconv.ParseInt(os.Getenv("LOCALCLOUD_THROTTLE_EVERY"), 10, 64)
	if f := os.Getenv("LOCALCLOUD_ARM_FORBIDDEN"); f != "" {
		arm.forbidden = regexp.MustCompile(f)
	}
	mux := http.NewServeMux()
	mux.Handle("/subscriptions/", arm)
	mux.Handle("/.msi/token", entra)
	mux.Handle("/common/", entra)
	mux.Handle("/organizations/", entra)
	az := azuriteFromEnv()
	var front *blobFront
	if az != nil {
		if front, err = newBlobFront(azure, arm.entraKey, az); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		// ACCOUNT-web/... is a static website; ACCOUNT/... the account's blob endpoint.
		site, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		if front != nil && site != "" && !strings.HasSuffix(site, "-web") {
			front.ServeHTTP(w, r)
			return
		}
		serveWebsite(azure, az, w, r)
	})
	// Resource Manager takes `//subscriptions/...` as Azure SDKs send a scope's list (the scope's
	// own leading slash after the path's); Go's mux would redirect, and a redirect drops the
	// bearer token.
	clean := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "//") {
			r.URL.Path = "/" + strings.TrimLeft(r.URL.Path, "/")
		}
		// A tenant's token service: storage account names hold no "-", tenant ids do.
		if tenantPath.MatchString(r.URL.Path) {
			entra.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
	if err := http.ListenAndServeTLS(args[0], args[1], args[2], clean); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

var tenantPath = regexp.MustCompile(`^/[0-9a-fA-F]{8}-[0-9a-fA-F-]{27}/`)

// storageError answers as the Blob service does: an XML error with its code.
func storageError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("x-ms-error-code", code)
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>%s</Code><Message>%s</Message></Error>", code, message)
}

// serveWebsite answers an anonymous read of a static website as Azure's web endpoint does: the
// account's $web container, read from the data plane (Azurite) with the account key, served to
// anyone while the website is enabled. The blob endpoint's requests go through the front
// (blobfront.go) to Azurite, which lets anonymous readers in where the container's access
// (azurite.go) allows.
func serveWebsite(azure *store, az *azurite, w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		storageError(w, http.StatusForbidden, "AuthenticationFailed", "Server failed to authenticate the request.")
		return
	}
	site, blobName, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	account, isWebsite := strings.CutSuffix(site, "-web")
	if !isWebsite || az == nil {
		storageError(w, http.StatusNotFound, "ResourceNotFound", "The specified resource does not exist.")
		return
	}
	enabled, err := websiteEnabled(azure, account)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if !enabled {
		storageError(w, http.StatusNotFound, "WebsiteDisabled", "The requested content does not exist.")
		return
	}
	body, contentType, found, err := az.getBlob(account, "$web", blobName)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	if !found {
		storageError(w, http.StatusNotFound, "WebContentNotFound", "The requested content does not exist.")
		return
	}
	if contentType != "" {
		w.Header().Set("Content-Type", contentType)
	}
	if r.Method == http.MethodGet {
		_, _ = w.Write(body)
	}
}

// websiteEnabled says whether a storage account's static website is on.
func websiteEnabled(azure *store, account string) (bool, error) {
	records, err := azure.list()
	if err != nil {
		return false, err
	}
	for _, rec := range records {
		if strings.HasSuffix(rec.Key, "/storageAccounts/"+account+"/staticWebsite") {
			return true, nil
		}
	}
	return false, nil
}

// accountIDOf is the storage account a blob's state names.
func accountIDOf(blob resource.PropertyMap) string {
	return "/subscriptions/" + simulatedSubscription + "/resourceGroups/" + str(blob, "resourceGroupName") +
		"/providers/Microsoft.Storage/storageAccounts/" + str(blob, "accountName")
}

// armResource is a stored object as Resource Manager shows it: id, name, and the properties the
// doctor reads.
func armResource(key, typ string, state resource.PropertyMap) map[string]any {
	props := map[string]any{}
	switch typ {
	case "azure-native:managedidentity:UserAssignedIdentity":
		for _, k := range []string{"clientId", "principalId", "tenantId"} {
			props[k] = str(state, k)
		}
	case "azure-native:managedidentity:FederatedIdentityCredential":
		props["issuer"], props["subject"] = str(state, "issuer"), str(state, "subject")
		props["audiences"] = plainJSON(state["audiences"])
	case "azure-native:authorization:RoleAssignment":
		for _, k := range []string{"principalId", "roleDefinitionId", "scope", "principalType"} {
			props[k] = str(state, k)
		}
	}
	return map[string]any{"id": key, "name": key[strings.LastIndex(key, "/")+1:], "type": armType(typ), "properties": props}
}

// armType is the Resource Manager type of a stand-in's type token.
func armType(typ string) string {
	return map[string]string{
		"azure-native:managedidentity:UserAssignedIdentity":        "Microsoft.ManagedIdentity/userAssignedIdentities",
		"azure-native:managedidentity:FederatedIdentityCredential": "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials",
		"azure-native:authorization:RoleAssignment":                "Microsoft.Authorization/roleAssignments",
	}[typ]
}

// armServer answers the Resource Manager reads of the doctor, from the Azure stand-in's store.
type armServer struct {
	azure         *store
	entraKey      *jose.JSONWebKey
	pageSize      int
	throttleEvery int64
	requests      atomic.Int64
	forbidden     *regexp.Regexp
}

func writeARMError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": message}})
}

func (a *armServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	caller, code, message := bearer(a.entraKey, r.Header.Get("Authorization"), "https://"+r.Host)
	if code != "" {
		writeARMError(w, http.StatusUnauthorized, code, message)
		return
	}
	client, object := fmt.Sprint(caller["appid"]), fmt.Sprint(caller["oid"])
	if r.URL.Query().Get("api-version") == "" {
		writeARMError(w, http.StatusBadRequest, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.")
		return
	}
	if n := a.requests.Add(1); a.throttleEvery > 0 && n%a.throttleEvery == 0 {
		w.Header().Set("Retry-After", "1")
		writeARMError(w, http.StatusTooManyRequests, "SubscriptionRequestsThrottled",
			fmt.Sprintf("Number of 'read' requests for subscription '%s' actor '%s' exceeded. Please try again after '1' seconds after additional tokens are available.", simulatedSubscription, object))
		return
	}
	if a.forbidden != nil && a.forbidden.MatchString(r.URL.Path) {
		writeARMError(w, http.StatusForbidden, "AuthorizationFailed",
			fmt.Sprintf("The client '%s' with object id '%s' does not have authorization to perform action 'read' over scope '%s' or the scope is invalid.", client, object, r.URL.Path))
		return
	}
	path := r.URL.Path
	switch {
	case strings.HasSuffix(path, "/federatedIdentityCredentials"):
		parent := strings.TrimSuffix(path, "/federatedIdentityCredentials")
		if !a.azure.has(parent) {
			writeARMError(w, http.StatusNotFound, "ResourceNotFound", fmt.Sprintf("The Resource '%s' was not found.", parent))
			return
		}
		recs, err := a.azure.children(path)
		a.list(w, r, recs, err, func(record) bool { return true })
	case strings.HasSuffix(path, "/providers/Microsoft.Authorization/policyAssignments"):
		// $filter=atScope(): those at the scope and above it, one page.
		assignments, err := policyAssignmentsAt(strings.TrimSuffix(path, "/providers/Microsoft.Authorization/policyAssignments"))
		if err != nil {
			writeARMError(w, http.StatusInternalServerError, "InternalError", err.Error())
			return
		}
		if assignments == nil {
			assignments = []policyAssignment{}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"value": assignments})
	case strings.HasSuffix(path, "/providers/Microsoft.Authorization/roleAssignments"):
		// $filter=principalId eq '<id>': every assignment of that principal, at any scope.
		principal := ""
		if f := r.URL.Query().Get("$filter"); strings.HasPrefix(f, "principalId eq '") {
			principal = strings.TrimSuffix(strings.TrimPrefix(f, "principalId eq '"), "'")
		}
		recs, err := a.azure.list()
		a.list(w, r, recs, err, func(rec record) bool {
			if rec.Type != "azure-native:authorization:RoleAssignment" {
				return false
			}
			state, _, _ := a.azure.get(rec.Key)
			return principal == "" || str(state, "principalId") == principal
		})
	default:
		rec, ok, err := a.azure.get(path)
		if err != nil || !ok {
			writeARMError(w, http.StatusNotFound, "ResourceNotFound", fmt.Sprintf("The Resource '%s' was not found.", path))
			return
		}
		typ := a.typeOf(path)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(armResource(path, typ, rec))
	}
}

// typeOf is the stored type of the record at key.
func (a *armServer) typeOf(key string) string {
	recs, _ := a.azure.children(groupOf(key))
	for _, rec := range recs {
		if rec.Key == key {
			return rec.Type
		}
	}
	return ""
}

// list answers one page of the matching records, with a nextLink to the rest as Resource
// Manager gives it ($skipToken).
func (a *armServer) list(w http.ResponseWriter, r *http.Request, recs []record, err error, match func(record) bool) {
	if err != nil {
		writeARMError(w, http.StatusInternalServerError, "InternalError", err.Error())
		return
	}
	var matching []record
	for _, rec := range recs {
		if match(rec) {
			matching = append(matching, rec)
		}
	}
	skip, _ := strconv.Atoi(r.URL.Query().Get("$skipToken"))
	if skip < 0 || skip > len(matching) {
		skip = len(matching)
	}
	end := min(skip+a.pageSize, len(matching))
	out := []any{}
	for _, rec := range matching[skip:end] {
		state, _, _ := a.azure.get(rec.Key)
		out = append(out, armResource(rec.Key, rec.Type, state))
	}
	page := map[string]any{"value": out}
	if end < len(matching) {
		q := r.URL.Query()
		q.Set("$skipToken", strconv.Itoa(end))
		page["nextLink"] = "https://" + r.Host + r.URL.Path + "?" + q.Encode()
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(page)
}
