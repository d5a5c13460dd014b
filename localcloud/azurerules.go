package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// What Azure refuses, as Azure refuses it: each refusal an HTTP status, an error code and a
// message in Resource Manager's shape, so that a program (or the doctor) meets here what it
// would meet in Azure. Where Azure is eventually consistent, the delay is a knob:
//   - $LOCALCLOUD_FIC_WRITE_MS: how long a federated credential write holds its identity
//     (default 100; Azure refuses a concurrent write on the same identity meanwhile);
//   - $LOCALCLOUD_PRINCIPAL_REPLICATION_MS: how long a new identity's principal is unknown to
//     role assignments that do not say its principalType (default 30000).

// armError is a Resource Manager error response, printed as the Azure SDK for Go prints one
// (which is what pulumi-azure-native reports).
type armError struct {
	method, path string
	status       int
	code         string
	message      string
}

func (e *armError) Error() string {
	body, _ := json.Marshal(map[string]any{"error": map[string]string{"code": e.code, "message": e.message}})
	line := strings.Repeat("-", 80)
	return fmt.Sprintf("%s https://management.azure.com%s\n%s\nRESPONSE %d: %d %s\nERROR CODE: %s\n%s\n%s\n%s",
		e.method, e.path, line, e.status, e.status, statusText(e.status), e.code, line, body, line)
}

func statusText(status int) string {
	switch status {
	case 400:
		return "Bad Request"
	case 403:
		return "Forbidden"
	case 404:
		return "Not Found"
	case 409:
		return "Conflict"
	case 429:
		return "Too Many Requests"
	}
	return ""
}

func refuse(method, path string, status int, code, message string) error {
	return &armError{method: method, path: path, status: status, code: code, message: message}
}

func envMillis(name string, def int) time.Duration {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v >= 0 {
		return time.Duration(v) * time.Millisecond
	}
	return time.Duration(def) * time.Millisecond
}

const maxFICs = 20

// checkFederatedCredential refuses what Entra refuses of a federated credential: a missing or
// non-https issuer, a missing subject, anything but exactly one audience, an issuer and subject
// that another credential of the identity already has, and a 21st credential.
func checkFederatedCredential(s *store, identity, name string, ins resource.PropertyMap, creating bool) error {
	path := identity + "/federatedIdentityCredentials/" + name
	bad := func(code, message string) error { return refuse("PUT", path, 400, code, message) }
	issuer, subject := str(ins, "issuer"), str(ins, "subject")
	if issuer == "" || subject == "" {
		return bad("BadRequest", "The request format was unexpected. Federated Identity Credential must specify 'issuer', 'subject' and 'audience'.")
	}
	if u, err := url.Parse(issuer); err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return bad("InvalidFederatedIdentityCredentialValue", fmt.Sprintf("The issuer '%s' is not a valid https URL without query or fragment.", issuer))
	}
	if len(issuer) > 600 || len(subject) > 600 {
		return bad("InvalidFederatedIdentityCredentialValue", "Issuer and subject must be at most 600 characters.")
	}
	if aud, ok := ins["audiences"]; !ok || !aud.IsArray() || len(aud.ArrayValue()) != 1 || !aud.ArrayValue()[0].IsString() {
		return bad("InvalidFederatedIdentityCredentialsAudienceLength", "Federated identity credentials must have exactly 1 audience.")
	}
	siblings, err := s.children(identity + "/federatedIdentityCredentials")
	if err != nil {
		return err
	}
	others := 0
	for _, rec := range siblings {
		if strings.EqualFold(rec.Key, path) {
			continue
		}
		others++
		state, ok, err := s.get(rec.Key)
		if err != nil {
			return err
		}
		if ok && str(state, "issuer") == issuer && str(state, "subject") == subject {
			return bad("BadRequest", "Issuer and subject combination already exists for this Managed Identity.")
		}
	}
	if creating && others >= maxFICs {
		return bad("TooManyFederatedIdentityCredentials", fmt.Sprintf("%s already has %d federated identity credentials, the most an identity can have.", identity, others))
	}
	return nil
}

// lockDir holds one file per identity whose credentials are being written.
func lockDir() string { return filepath.Join(cloudDir(), "locks") }

// holdIdentity takes the identity for a credential write, or refuses as Azure refuses a
// concurrent one. The write holds it at least $LOCALCLOUD_FIC_WRITE_MS, as Azure's writes take
// their time; release frees it. Several plugin processes may write, so the hold is a file.
func holdIdentity(identity, method, path string) (release func(), err error) {
	if err := os.MkdirAll(lockDir(), 0o700); err != nil {
		return nil, err
	}
	file := filepath.Join(lockDir(), hashName(strings.ToLower(identity))+".lock")
	for attempt := 0; attempt < 2; attempt++ {
		f, err := os.OpenFile(file, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err == nil {
			_, _ = fmt.Fprint(f, os.Getpid())
			f.Close()
			held := time.Now()
			return func() {
				time.Sleep(envMillis("LOCALCLOUD_FIC_WRITE_MS", 100) - time.Since(held))
				_ = os.Remove(file)
			}, nil
		}
		if !errors.Is(err, os.ErrExist) || !staleLock(file) {
			break
		}
		_ = os.Remove(file) // its writer died mid-write
	}
	return nil, refuse(method, path, 409, "ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity",
		fmt.Sprintf("Too many Federated Identity Credentials are written concurrently for the managed identity '%s'. Concurrent Federated Identity Credentials writes under the same managed identity are not supported.", identity))
}

// staleLock: the process that holds it is gone.
func staleLock(file string) bool {
	data, err := os.ReadFile(file)
	if err != nil {
		return false
	}
	pid, err := strconv.Atoi(string(data))
	if err != nil || pid <= 0 {
		return false
	}
	return syscall.Kill(pid, 0) != nil
}

// principals remembers when each identity's principal came to be, for the replication delay.
type principals struct{ s *store }

func (p principals) born(id string) error {
	return p.s.put("principal/"+id, "principal", resource.PropertyMap{
		"createdAt": resource.NewNumberProperty(float64(time.Now().UnixMilli())),
	})
}

func (p principals) forget(id string) error { return p.s.remove("principal/" + id) }

// checkPrincipal refuses a role assignment that names another principalType than the
// principal's (a managed identity's is ServicePrincipal; pulumi-azure-native sends "User" when
// none is given), or that names none for a principal Resource Manager has not seen yet (with a
// type, Azure waits for the replica itself: https://aka.ms/docs-principaltype).
func (p principals) checkPrincipal(id, tenant, principalType, path string) error {
	state, ok, err := p.s.get("principal/" + id)
	if err != nil || !ok {
		return err // not made here: made long ago, elsewhere
	}
	if principalType != "" {
		if principalType == "ServicePrincipal" {
			return nil
		}
		return refuse("PUT", path, 400, "UnmatchedPrincipalType", fmt.Sprintf(
			"The PrincipalType attribute in the request '%s' does not match the actual principal type 'ServicePrincipal' of the principal with id '%s'.", principalType, id))
	}
	born := time.UnixMilli(int64(state["createdAt"].NumberValue()))
	if time.Since(born) >= envMillis("LOCALCLOUD_PRINCIPAL_REPLICATION_MS", 30000) {
		return nil
	}
	return refuse("PUT", path, 400, "PrincipalNotFound", fmt.Sprintf(
		"Principal %s does not exist in the directory %s. Check that you have the correct principal ID. If you are creating this principal and then immediately assigning a role, this error might be related to a replication delay. In this case, set the role assignment principalType property to a value, such as ServicePrincipal, User, or Group.  See https://aka.ms/docs-principaltype",
		strings.ReplaceAll(id, "-", ""), tenant))
}

// publicAccessAllowed refuses a container with anonymous access on an account that allows no
// public blob access, as Resource Manager does.
func publicAccessAllowed(s *store, accountID string, container resource.PropertyMap) error {
	access := str(container, "publicAccess")
	if access == "" || access == "None" {
		return nil
	}
	account, _, err := s.get(accountID)
	if err != nil {
		return err
	}
	if allowsPublicBlobAccess(account) {
		return nil
	}
	return refuse("PUT", accountID+"/blobServices/default/containers/"+str(container, "containerName"), 409,
		"PublicAccessNotPermitted", "Public access is not permitted on this storage account.")
}

// allowsPublicBlobAccess says whether an account lets containers open to anonymous readers:
// only when set, as Azure's default is off.
func allowsPublicBlobAccess(account resource.PropertyMap) bool {
	v, ok := account["allowBlobPublicAccess"]
	return ok && v.IsBool() && v.BoolValue()
}

// allowsSharedKeys says whether an account takes its account key (and SAS signed with it): unset
// means it does, Azure's default. The one reading of the flag, for Resource Manager's stand-in and
// the blob front.
func allowsSharedKeys(account resource.PropertyMap) bool {
	v, ok := account["allowSharedKeyAccess"]
	return !ok || !v.IsBool() || v.BoolValue()
}

// sharedKeyAllowed refuses what pulumi-azure-native does with the account key (a blob's upload,
// update and delete) on an account whose shared-key access is off, as the storage service does.
// Unset means allowed, Azure's default.
func sharedKeyAllowed(s *store, accountID string) error {
	account, _, err := s.get(accountID)
	if err != nil {
		return err
	}
	if !allowsSharedKeys(account) {
		return fmt.Errorf("storage account %s: 403 KeyBasedAuthenticationNotPermitted: Key based authentication is not permitted on this storage account.",
			accountID[strings.LastIndex(accountID, "/")+1:])
	}
	return nil
}
