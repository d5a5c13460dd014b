package main

import (
	"bytes"
	"context"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// The storage data plane, when $LOCALCLOUD_AZURITE names the blob endpoint of Azurite, the Azure
// Storage emulator (https://127.0.0.1:PORT): what the azure-native stand-in does to storage
// through Resource Manager, it also does to Azurite, as Azure's storage service would hold it.
// Every storage account is an Azurite account with a key derived from its name, listed in
// $LOCALCLOUD_AZURITE_ACCOUNTS ("name:key;..." as Azurite's AZURITE_ACCOUNTS reads it; the
// tests' Azurite host re-reads it as it changes). Containers get the anonymous access Azure
// would give them: their publicAccess only where the account allows public blob access; the
// static website's $web is private (the website endpoint, `localcloud serve`, reads it with the
// account key and serves it to anyone). Blobs are uploaded and deleted there; reads go to it.

type azurite struct {
	endpoint     string
	accountsFile string
}

var accountsMu sync.Mutex

func azuriteFromEnv() *azurite {
	endpoint := strings.TrimSuffix(os.Getenv("LOCALCLOUD_AZURITE"), "/")
	if endpoint == "" {
		return nil
	}
	return &azurite{endpoint: endpoint, accountsFile: os.Getenv("LOCALCLOUD_AZURITE_ACCOUNTS")}
}

// accountKey is the shared key of a storage account of the local cloud: stable, so that every
// process of the local cloud (the provider, `serve`, the tests) derives the same one.
func accountKey(account string) string {
	sum := sha512.Sum512([]byte("localcloud storage account key:" + account))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// blobEndpoint is an account's blob endpoint in Azurite (path style, as Azurite serves accounts
// on an IP address).
func (a *azurite) blobEndpoint(account string) string {
	return a.endpoint + "/" + account + "/"
}

func (a *azurite) client(account string) (*azblob.Client, error) {
	cred, err := azblob.NewSharedKeyCredential(account, accountKey(account))
	if err != nil {
		return nil, err
	}
	// Retries as the SDK makes them, at loopback's pace.
	opts := &azblob.ClientOptions{ClientOptions: azcore.ClientOptions{
		Retry: policy.RetryOptions{RetryDelay: 50 * time.Millisecond, MaxRetryDelay: 500 * time.Millisecond},
	}}
	return azblob.NewClientWithSharedKeyCredential(a.blobEndpoint(account), cred, opts)
}

// setAccount adds (present) or removes an account from the accounts file, then waits until
// Azurite answers for it as Azure answers for a new account once it is provisioned.
func (a *azurite) setAccount(account string, present bool) error {
	if err := a.editAccounts(account, present); err != nil {
		return err
	}
	if !present {
		return nil
	}
	client, err := a.client(account)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := client.ServiceClient().GetProperties(context.Background(), nil)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("Azurite does not know storage account %s after 30 s: %w", account, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// editAccounts rewrites the accounts file under an exclusive lock: several provider processes
// of the local cloud may create accounts at once.
func (a *azurite) editAccounts(account string, present bool) error {
	if a.accountsFile == "" {
		return errors.New("LOCALCLOUD_AZURITE_ACCOUNTS is not set: where Azurite reads its accounts")
	}
	accountsMu.Lock()
	defer accountsMu.Unlock()
	f, err := os.OpenFile(a.accountsFile, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return err
	}
	accounts := map[string]string{}
	for _, entry := range strings.Split(strings.TrimSpace(string(data)), ";") {
		if name, key, ok := strings.Cut(entry, ":"); ok {
			accounts[name] = key
		}
	}
	if present {
		accounts[account] = accountKey(account)
	} else {
		delete(accounts, account)
	}
	entries := make([]string, 0, len(accounts))
	for name, key := range accounts {
		entries = append(entries, name+":"+key)
	}
	sort.Strings(entries)
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err = f.WriteAt([]byte(strings.Join(entries, ";")), 0)
	return err
}

// ensureContainer creates a container, or sets the anonymous access of an existing one.
func (a *azurite) ensureContainer(account, name string, access *container.PublicAccessType) error {
	client, err := a.client(account)
	if err != nil {
		return err
	}
	ctx := context.Background()
	_, err = client.CreateContainer(ctx, name, &azblob.CreateContainerOptions{Access: access})
	if bloberror.HasCode(err, bloberror.ContainerAlreadyExists) {
		_, err = client.ServiceClient().NewContainerClient(name).SetAccessPolicy(ctx,
			&container.SetAccessPolicyOptions{Access: access})
	}
	return err
}

func (a *azurite) deleteContainer(account, name string) error {
	client, err := a.client(account)
	if err != nil {
		return err
	}
	_, err = client.DeleteContainer(context.Background(), name, nil)
	if bloberror.HasCode(err, bloberror.ContainerNotFound, bloberror.ResourceNotFound) {
		return nil
	}
	return err
}

// putBlob writes a blob whole: one Put Blob, which readers see entire or not at all.
func (a *azurite) putBlob(account, containerName, name, contentType string, body []byte) error {
	client, err := a.client(account)
	if err != nil {
		return err
	}
	opts := &azblob.UploadBufferOptions{}
	if contentType != "" {
		opts.HTTPHeaders = &blob.HTTPHeaders{BlobContentType: &contentType}
	}
	_, err = client.UploadBuffer(context.Background(), containerName, name, body, opts)
	return err
}

func (a *azurite) deleteBlob(account, containerName, name string) error {
	client, err := a.client(account)
	if err != nil {
		return err
	}
	_, err = client.DeleteBlob(context.Background(), containerName, name, nil)
	if bloberror.HasCode(err, bloberror.BlobNotFound, bloberror.ContainerNotFound) {
		return nil
	}
	return err
}

// getBlob reads a blob with the account key: its content and content type, or found false.
func (a *azurite) getBlob(account, containerName, name string) ([]byte, string, bool, error) {
	client, err := a.client(account)
	if err != nil {
		return nil, "", false, err
	}
	resp, err := client.DownloadStream(context.Background(), containerName, name, nil)
	if bloberror.HasCode(err, bloberror.BlobNotFound, bloberror.ContainerNotFound) {
		return nil, "", false, nil
	}
	var respErr *azcore.ResponseError
	if errors.As(err, &respErr) && respErr.StatusCode == http.StatusNotFound {
		return nil, "", false, nil
	}
	if err != nil {
		return nil, "", false, err
	}
	defer resp.Body.Close()
	var body bytes.Buffer
	if _, err := body.ReadFrom(resp.Body); err != nil {
		return nil, "", false, err
	}
	contentType := ""
	if resp.ContentType != nil {
		contentType = *resp.ContentType
	}
	return body.Bytes(), contentType, true, nil
}

// containerAccess is the anonymous access Azure gives a container: none unless the account
// allows public blob access, then the container's own level.
func containerAccess(accountState, containerState resource.PropertyMap) *container.PublicAccessType {
	if !allowsPublicBlobAccess(accountState) {
		return nil
	}
	var level container.PublicAccessType
	switch str(containerState, "publicAccess") {
	case "Blob":
		level = container.PublicAccessTypeBlob
	case "Container":
		level = container.PublicAccessTypeContainer
	default:
		return nil
	}
	return &level
}

// mirror makes the storage types of the azure-native stand-in also act on Azurite: after the
// Resource Manager side of a change is recorded, the data plane follows it.
func (a *azurite) mirror(types map[string]*resourceType, s *store) {
	after := func(tok string, create, update, remove func(props resource.PropertyMap) error) {
		t := types[tok]
		c, u, r := t.create, t.update, t.remove
		t.create = func(ins resource.PropertyMap) (string, resource.PropertyMap, error) {
			id, out, err := c(ins)
			if err == nil {
				err = create(merge(ins, out))
			}
			return id, out, err
		}
		t.update = func(id string, olds, news resource.PropertyMap) (resource.PropertyMap, error) {
			out, err := u(id, olds, news)
			if err == nil {
				err = update(merge(news, out))
			}
			return out, err
		}
		t.remove = func(id string, olds resource.PropertyMap) error {
			if err := remove(olds); err != nil {
				return err
			}
			return r(id, olds)
		}
	}
	account := func(props resource.PropertyMap) (resource.PropertyMap, string) {
		id := accountIDOf(props)
		state, _, _ := s.get(id)
		return state, id
	}
	// The anonymous access of every container of an account, as its settings now allow.
	syncAccess := func(props resource.PropertyMap) error {
		state, id := account(props)
		records, err := s.list()
		if err != nil {
			return err
		}
		for _, rec := range records {
			if rec.Type != "azure-native:storage:BlobContainer" || !strings.HasPrefix(rec.Key, id+"/") {
				continue
			}
			c, _, err := s.get(rec.Key)
			if err != nil {
				return err
			}
			if err := a.ensureContainer(str(props, "accountName"), str(c, "containerName"),
				containerAccess(state, c)); err != nil {
				return err
			}
		}
		return nil
	}
	after("azure-native:storage:StorageAccount",
		func(p resource.PropertyMap) error { return a.setAccount(str(p, "accountName"), true) },
		syncAccess,
		func(p resource.PropertyMap) error { return a.setAccount(str(p, "accountName"), false) })
	container := func(p resource.PropertyMap) error {
		state, _ := account(p)
		return a.ensureContainer(str(p, "accountName"), str(p, "containerName"), containerAccess(state, p))
	}
	after("azure-native:storage:BlobContainer", container, container,
		func(p resource.PropertyMap) error {
			return a.deleteContainer(str(p, "accountName"), str(p, "containerName"))
		})
	// Enabling the static website makes $web (private); disabling it leaves the container, as
	// Azure does.
	website := func(p resource.PropertyMap) error { return a.ensureContainer(str(p, "accountName"), "$web", nil) }
	after("azure-native:storage:StorageAccountStaticWebsite", website, website,
		func(resource.PropertyMap) error { return nil })
	upload := func(p resource.PropertyMap) error {
		source := p["source"]
		if !source.IsAsset() || !source.AssetValue().IsText() {
			return fmt.Errorf("blob %s: the local cloud uploads text assets only", str(p, "blobName"))
		}
		return a.putBlob(str(p, "accountName"), str(p, "containerName"), str(p, "blobName"),
			str(p, "contentType"), []byte(source.AssetValue().Text))
	}
	after("azure-native:storage:Blob", upload, upload, func(p resource.PropertyMap) error {
		return a.deleteBlob(str(p, "accountName"), str(p, "containerName"), str(p, "blobName"))
	})
}
