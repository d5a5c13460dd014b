package main

import (
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// The blob endpoint's front: what Azure Storage judges before it touches a blob and Azurite does
// not. Azurite takes any well-formed bearer token and any account key; Azure Storage checks the
// token's signature, audience and the caller's data role on the account (as Resource Manager
// stores it, eventually: a new role assignment takes a while to reach the data plane), and
// refuses account-key and SAS requests on an account whose shared-key access is off. What
// passes goes to Azurite unchanged (anonymous reads too: Azurite judges container access).
//
// $LOCALCLOUD_DATA_RBAC_MS: how long a role assignment takes to reach the data plane (default
// 5000; Azure documents up to 10 minutes).

// storageAudience is the resource Azure Storage accepts tokens for.
const storageAudience = "https://storage.azure.com"

// Data roles on blobs, by role definition GUID: which may write (the others may read).
var blobDataRoles = map[string]bool{
	"ba92f5b4-2d11-453d-a403-e96b0029c9fe": true,  // Storage Blob Data Contributor
	"b7e6dc6d-f1e8-4753-8033-0f276bb0955b": true,  // Storage Blob Data Owner
	"2a2b9908-6ea1-4ae2-8e65-a410df84e7d1": false, // Storage Blob Data Reader
}

type blobFront struct {
	azure    *store
	entraKey *jose.JSONWebKey
	proxy    *httputil.ReverseProxy
}

func newBlobFront(azure *store, entraKey *jose.JSONWebKey, az *azurite) (*blobFront, error) {
	target, err := url.Parse(az.endpoint)
	if err != nil {
		return nil, err
	}
	return &blobFront{azure: azure, entraKey: entraKey, proxy: httputil.NewSingleHostReverseProxy(target)}, nil
}

// blobFrontEndpoint is an account's blob endpoint behind the front, when `serve` fronts Azurite.
func blobFrontEndpoint(account string) (string, bool) {
	base := os.Getenv("LOCALCLOUD_STORAGE_ENDPOINT")
	if base == "" || azuriteFromEnv() == nil {
		return "", false
	}
	return base + "/" + account + "/", true
}

func (f *blobFront) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	// One listing of the store per request: the account and the role assignments are both in it.
	records, err := f.azure.list()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	id, account, err := f.account(records, name)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if account == nil {
		// Azure: the account's host name does not resolve.
		storageError(w, http.StatusNotFound, "ResourceNotFound", "The specified resource does not exist.")
		return
	}
	auth := r.Header.Get("Authorization")
	switch {
	case strings.HasPrefix(auth, "SharedKey ") || r.URL.Query().Has("sig"):
		if !allowsSharedKeys(account) {
			storageError(w, http.StatusForbidden, "KeyBasedAuthenticationNotPermitted",
				"Key based authentication is not permitted on this storage account.")
			return
		}
	case strings.HasPrefix(auth, "Bearer "):
		claims, code, message := bearer(f.entraKey, auth, storageAudience)
		if code != "" {
			storageError(w, http.StatusUnauthorized, code, message)
			return
		}
		write := r.Method != http.MethodGet && r.Method != http.MethodHead
		oid, _ := claims["oid"].(string)
		ok, err := f.granted(records, oid, id, write)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		if !ok {
			storageError(w, http.StatusForbidden, "AuthorizationPermissionMismatch",
				"This request is not authorized to perform this operation using this permission.")
			return
		}
	}
	f.proxy.ServeHTTP(w, r)
}

// account finds a storage account of the local cloud by name: its id and state.
func (f *blobFront) account(records []record, name string) (string, resource.PropertyMap, error) {
	for _, rec := range records {
		if rec.Type == "azure-native:storage:StorageAccount" && strings.HasSuffix(rec.Key, "/storageAccounts/"+name) {
			state, ok, err := f.azure.get(rec.Key)
			if err != nil || !ok {
				return "", nil, err
			}
			return rec.Key, state, nil
		}
	}
	return "", nil, nil
}

// granted says whether a principal holds a blob data role at the account or above it, assigned
// long enough ago to have reached the data plane.
func (f *blobFront) granted(records []record, principal, accountID string, write bool) (bool, error) {
	settle := envMillis("LOCALCLOUD_DATA_RBAC_MS", 5000)
	for _, rec := range records {
		if rec.Type != "azure-native:authorization:RoleAssignment" {
			continue
		}
		state, ok, err := f.azure.get(rec.Key)
		if err != nil || !ok {
			return false, err
		}
		role := strings.ToLower(str(state, "roleDefinitionId"))
		canWrite, isDataRole := blobDataRoles[role[strings.LastIndex(role, "/")+1:]]
		// At the account, its resource group or subscription (or a management group above).
		scope := strings.ToLower(strings.TrimSuffix(str(state, "scope"), "/"))
		within := strings.HasPrefix(strings.ToLower(accountID)+"/", scope+"/")
		if !isDataRole || (write && !canWrite) || !within || !strings.EqualFold(str(state, "principalId"), principal) {
			continue
		}
		at, err := f.azure.modTime(rec.Key)
		if err != nil {
			return false, err
		}
		if time.Since(at) >= settle {
			return true, nil
		}
	}
	return false, nil
}
