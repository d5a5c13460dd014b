package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
)

// The local cloud over HTTPS: what the doctor and the tests read as a user's tools would read
// Azure. With $LOCALCLOUD_STORAGE_ENDPOINT set (https://127.0.0.1:PORT), storage accounts get
// path-style endpoints under it, as Azurite's are (https://127.0.0.1:PORT/ACCOUNT/, and
// .../ACCOUNT-web/ for the static website), and `localcloud serve` answers there: blobs
// anonymously, and the Resource Manager reads the doctor makes (an identity, its federated
// credentials, role assignments by principal), to a caller with a bearer token.

// storageEndpoint is an account's endpoint for a service, as Azure reports it.
func storageEndpoint(account, service string) string {
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
	mux := http.NewServeMux()
	mux.HandleFunc("/subscriptions/", func(w http.ResponseWriter, r *http.Request) { serveARM(azure, w, r) })
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		state, ok, err := azure.get("https://" + r.Host + r.URL.Path)
		if err != nil || !ok || r.Method != http.MethodGet {
			http.Error(w, "The specified blob does not exist.", http.StatusNotFound)
			return
		}
		source := state["source"]
		if !source.IsAsset() {
			http.Error(w, "the blob has no text source", http.StatusInternalServerError)
			return
		}
		if ct := str(state, "contentType"); ct != "" {
			w.Header().Set("Content-Type", ct)
		}
		_, _ = w.Write([]byte(source.AssetValue().Text))
	})
	if err := http.ListenAndServeTLS(args[0], args[1], args[2], mux); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func armError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": message}})
}

// serveARM answers the Resource Manager reads of the doctor, from the Azure stand-in's store.
func serveARM(azure *store, w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
		armError(w, http.StatusUnauthorized, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.")
		return
	}
	if r.URL.Query().Get("api-version") == "" {
		armError(w, http.StatusBadRequest, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.")
		return
	}
	path := r.URL.Path
	records, err := azure.list()
	if err != nil {
		armError(w, http.StatusInternalServerError, "InternalError", err.Error())
		return
	}
	resourceOf := func(rec record) map[string]any {
		state, _, _ := azure.get(rec.Key)
		props := map[string]any{}
		switch rec.Type {
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
		return map[string]any{"id": rec.Key, "name": rec.Key[strings.LastIndex(rec.Key, "/")+1:], "properties": props}
	}
	list := func(match func(rec record) bool) {
		out := []any{}
		for _, rec := range records {
			if match(rec) {
				out = append(out, resourceOf(rec))
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"value": out})
	}
	switch {
	case strings.HasSuffix(path, "/federatedIdentityCredentials"):
		parent := strings.TrimSuffix(path, "/federatedIdentityCredentials")
		if !azure.has(parent) {
			armError(w, http.StatusNotFound, "ResourceNotFound", fmt.Sprintf("The Resource '%s' was not found.", parent))
			return
		}
		list(func(rec record) bool {
			return rec.Type == "azure-native:managedidentity:FederatedIdentityCredential" && strings.HasPrefix(rec.Key, path+"/")
		})
	case strings.HasSuffix(path, "/providers/Microsoft.Authorization/roleAssignments"):
		// $filter=principalId eq '<id>': every assignment of that principal, at any scope.
		principal := ""
		if f := r.URL.Query().Get("$filter"); strings.HasPrefix(f, "principalId eq '") {
			principal = strings.TrimSuffix(strings.TrimPrefix(f, "principalId eq '"), "'")
		}
		list(func(rec record) bool {
			if rec.Type != "azure-native:authorization:RoleAssignment" {
				return false
			}
			state, _, _ := azure.get(rec.Key)
			return principal == "" || str(state, "principalId") == principal
		})
	default:
		for _, rec := range records {
			if rec.Key == path {
				w.Header().Set("Content-Type", "application/json")
				_ = json.NewEncoder(w).Encode(resourceOf(rec))
				return
			}
		}
		armError(w, http.StatusNotFound, "ResourceNotFound", fmt.Sprintf("The Resource '%s' was not found.", path))
	}
}
