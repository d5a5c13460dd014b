package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// A stand-in for pulumi-azure-native: Azure Resource Manager as files. Ids are ARM ids; a
// resource cannot be created twice under one id (azure-native refuses to adopt an existing
// resource on create), nor under a parent that does not exist; names follow ARM's rules where
// the program depends on them. Replace rules are the real schema's: names, resource groups and
// locations (and every property of a role assignment) cannot change in place.

// Ids the local cloud invents cannot pass for real ones: they start with eight zeros.
const (
	simulatedSubscription = "00000000-0000-4000-8000-000000000001"
	simulatedTenant       = "00000000-0000-4000-8000-000000000002"
	simulatedClient       = "00000000-0000-4000-8000-000000000003"
)

func newGUID() string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return "00000000-0000-4000-8000-" + hex.EncodeToString(b)
}

var storageAccountName = regexp.MustCompile(`^[a-z0-9]{3,24}$`)

func azureProvider() (pulumirpc.ResourceProviderServer, error) {
	s := openStore("azure")
	location := "westeurope"
	sub := "/subscriptions/" + simulatedSubscription
	rgID := func(ins resource.PropertyMap) string {
		return sub + "/resourceGroups/" + str(ins, "resourceGroupName")
	}
	requireParent := func(id, what string) error {
		if s.has(id) {
			return nil
		}
		if what == "resource group" {
			return refuse("PUT", id, 404, "ResourceGroupNotFound", fmt.Sprintf("Resource group '%s' could not be found.", id[strings.LastIndex(id, "/")+1:]))
		}
		return refuse("PUT", id, 404, "ParentResourceNotFound", fmt.Sprintf("Can not perform requested operation on nested resource. Parent resource '%s' (%s) not found.", id, what))
	}
	withLocation := func(ins resource.PropertyMap) resource.PropertyMap {
		if str(ins, "location") == "" {
			return resource.PropertyMap{"location": resource.NewStringProperty(location)}
		}
		return resource.PropertyMap{}
	}
	autoName := func(logical string, seed []byte) resource.PropertyValue {
		return resource.NewStringProperty(logical + suffix(seed, "name", 8, lowerAlnum))
	}
	accountID := func(ins resource.PropertyMap) string {
		return rgID(ins) + "/providers/Microsoft.Storage/storageAccounts/" + str(ins, "accountName")
	}
	identityID := func(ins resource.PropertyMap) string {
		return rgID(ins) + "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/" + str(ins, "resourceName")
	}

	types := map[string]*resourceType{}
	add := func(tok string, t *resourceType, create func(resource.PropertyMap) (string, resource.PropertyMap, error)) {
		types[tok] = stored(s, tok, t, create)
	}

	add("azure-native:resources:ResourceGroup", &resourceType{
		replaceOn: []string{"resourceGroupName", "location"}, autoName: autoName, autoNamePath: "resourceGroupName",
	}, func(ins resource.PropertyMap) (string, resource.PropertyMap, error) {
		out := withLocation(ins)
		out["name"] = resource.NewStringProperty(str(ins, "resourceGroupName"))
		return rgID(ins), out, nil
	})

	add("azure-native:storage:StorageAccount", &resourceType{
		replaceOn: []string{"accountName", "resourceGroupName", "location"},
	}, func(ins resource.PropertyMap) (string, resource.PropertyMap, error) {
		name := str(ins, "accountName")
		if !storageAccountName.MatchString(name) {
			return "", nil, refuse("PUT", accountID(ins), 400, "AccountNameInvalid", fmt.Sprintf("%s is not a valid storage account name. Storage account name must be between 3 and 24 characters in length and use numbers and lower-case letters only.", name))
		}
		if err := requireParent(rgID(ins), "resource group"); err != nil {
			return "", nil, err
		}
		endpoints := resource.PropertyMap{}
		for _, svc := range []string{"blob", "dfs", "file", "queue", "table"} {
			endpoints[resource.PropertyKey(svc)] = resource.NewStringProperty(storageEndpoint(name, svc))
		}
		endpoints["web"] = resource.NewStringProperty(storageEndpoint(name, "web"))
		out := withLocation(ins)
		out["name"] = resource.NewStringProperty(name)
		out["primaryEndpoints"] = resource.NewObjectProperty(endpoints)
		out["provisioningState"] = resource.NewStringProperty("Succeeded")
		return accountID(ins), out, nil
	})

	add("azure-native:storage:StorageAccountStaticWebsite", &resourceType{
		replaceOn: []string{"accountName", "resourceGroupName"},
	}, func(ins resource.PropertyMap) (string, resource.PropertyMap, error) {
		if err := requireParent(accountID(ins), "storage account"); err != nil {
			return "", nil, err
		}
		return accountID(ins) + "/staticWebsite", resource.PropertyMap{"containerName": resource.NewStringProperty("$web")}, nil
	})

	add("azure-native:storage:BlobContainer", &resourceType{
		replaceOn: []string{"accountName", "resourceGroupName", "containerName"}, autoName: autoName, autoNamePath: "containerName",
	}, func(ins resource.PropertyMap) (string, resource.PropertyMap, error) {
		if err := requireParent(accountID(ins), "storage account"); err != nil {
			return "", nil, err
		}
		name := str(ins, "containerName")
		if err := publicAccessAllowed(s, accountID(ins), ins); err != nil {
			return "", nil, err
		}
		return accountID(ins) + "/blobServices/default/containers/" + name, resource.PropertyMap{"name": resource.NewStringProperty(name)}, nil
	})

	add("azure-native:storage:Blob", &resourceType{
		// The upload is the create: a new source replaces the blob.
		// (pulumi-azure-native #3530: these force a replacement.) The upload is one Put Blob, which
		// overwrites a blob of the same name (pulumi-azure-native checks nothing first).
		replaceOn: []string{"accountName", "resourceGroupName", "containerName", "blobName", "type", "source", "contentMd5"},
		autoName:  autoName, autoNamePath: "blobName", overwrites: true,
		// pulumi-azure-native writes and deletes a blob with the account key (it lists the
		// account's keys; its static website uses the deployer's Entra token instead).
		hold: func(_ string, props resource.PropertyMap) (func(), error) {
			return func() {}, sharedKeyAllowed(s, accountID(props))
		},
	}, func(ins resource.PropertyMap) (string, resource.PropertyMap, error) {
		if err := requireParent(accountID(ins), "storage account"); err != nil {
			return "", nil, err
		}
		url := blobURL(str(ins, "accountName"), str(ins, "containerName"), str(ins, "blobName"))
		return url, resource.PropertyMap{"name": resource.NewStringProperty(str(ins, "blobName")), "url": resource.NewStringProperty(url)}, nil
	})

	// Deleting an account deletes what is in it; deleting a container, its blobs.
	within := func(tok string, inside func(rec resource.PropertyMap, olds resource.PropertyMap) bool) {
		t := types[tok]
		r := t.remove
		t.remove = func(id string, olds resource.PropertyMap) error {
			if err := r(id, olds); err != nil {
				return err
			}
			return s.removeWhere(func(key, typ string, state resource.PropertyMap) bool {
				return strings.HasPrefix(typ, "azure-native:storage:") && inside(state, olds)
			})
		}
	}
	within("azure-native:storage:StorageAccount", func(rec, account resource.PropertyMap) bool {
		return str(rec, "accountName") == str(account, "accountName") &&
			str(rec, "resourceGroupName") == str(account, "resourceGroupName")
	})
	within("azure-native:storage:BlobContainer", func(rec, container resource.PropertyMap) bool {
		return str(rec, "blobName") != "" && str(rec, "accountName") == str(container, "accountName") &&
			str(rec, "resourceGroupName") == str(container, "resourceGroupName") &&
			str(rec, "containerName") == str(container, "containerName")
	})

	if az := azuriteFromEnv(); az != nil {
		az.mirror(types, s)
	}

	born := principals{openStore("principals")}
	const identityType = "azure-native:managedidentity:UserAssignedIdentity"
	add(identityType, &resourceType{
		replaceOn: []string{"resourceName", "resourceGroupName", "location"}, autoName: autoName, autoNamePath: "resourceName",
	}, func(ins resource.PropertyMap) (string, resource.PropertyMap, error) {
		if err := requireParent(rgID(ins), "resource group"); err != nil {
			return "", nil, err
		}
		out := withLocation(ins)
		out["name"] = resource.NewStringProperty(str(ins, "resourceName"))
		// A new identity gets new ids, as in Azure: FICs and annotations must follow.
		out["clientId"] = resource.NewStringProperty(newGUID())
		principal := newGUID()
		out["principalId"] = resource.NewStringProperty(principal)
		out["tenantId"] = resource.NewStringProperty(simulatedTenant)
		return identityID(ins), out, born.born(principal)
	})
	removeIdentity := types[identityType].remove
	types[identityType].remove = func(id string, olds resource.PropertyMap) error {
		if err := born.forget(str(olds, "principalId")); err != nil {
			return err
		}
		// Its credentials go with it, those the program never made too (an identity
		// binding's): a new identity of the same name starts with none, as in Azure.
		credentials, err := s.children(id + "/federatedIdentityCredentials")
		if err != nil {
			return err
		}
		for _, c := range credentials {
			if err := s.remove(c.Key); err != nil {
				return err
			}
		}
		return removeIdentity(id, olds)
	}

	ficNamePattern := regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_-]{2,119}$`)
	ficPath := func(ins resource.PropertyMap) string {
		return identityID(ins) + "/federatedIdentityCredentials/" + str(ins, "federatedIdentityCredentialResourceName")
	}
	const ficType = "azure-native:managedidentity:FederatedIdentityCredential"
	add(ficType, &resourceType{
		replaceOn: []string{"resourceName", "resourceGroupName", "federatedIdentityCredentialResourceName"},
		// One write at a time under an identity, as Azure allows.
		hold: func(op string, props resource.PropertyMap) (func(), error) {
			method := map[string]string{"create": "PUT", "update": "PUT", "delete": "DELETE"}[op]
			return holdIdentity(identityID(props), method, ficPath(props))
		},
	}, func(ins resource.PropertyMap) (string, resource.PropertyMap, error) {
		name := str(ins, "federatedIdentityCredentialResourceName")
		if !ficNamePattern.MatchString(name) {
			return "", nil, refuse("PUT", ficPath(ins), 400, "InvalidResourceName", fmt.Sprintf("The resource name '%s' is invalid.", name))
		}
		if err := requireParent(identityID(ins), "user-assigned identity"); err != nil {
			return "", nil, err
		}
		if err := checkFederatedCredential(s, identityID(ins), name, ins, true); err != nil {
			return "", nil, err
		}
		if err := checkCredentialPolicy(identityID(ins), name, str(ins, "issuer")); err != nil {
			return "", nil, err
		}
		return ficPath(ins), resource.PropertyMap{"name": resource.NewStringProperty(name)}, nil
	})
	updateFIC := types[ficType].update
	types[ficType].update = func(id string, olds, news resource.PropertyMap) (resource.PropertyMap, error) {
		name := str(news, "federatedIdentityCredentialResourceName")
		if err := checkFederatedCredential(s, identityID(news), name, news, false); err != nil {
			return nil, err
		}
		if err := checkCredentialPolicy(identityID(news), name, str(news, "issuer")); err != nil {
			return nil, err
		}
		return updateFIC(id, olds, news)
	}

	add("azure-native:authorization:RoleAssignment", &resourceType{
		// Azure cannot change a role assignment; every property replaces it.
		replaceOn:    []string{"roleAssignmentName", "scope", "principalId", "roleDefinitionId", "principalType"},
		autoName:     func(string, []byte) resource.PropertyValue { return resource.NewStringProperty(newGUID()) },
		autoNamePath: "roleAssignmentName",
	}, func(ins resource.PropertyMap) (string, resource.PropertyMap, error) {
		name := str(ins, "roleAssignmentName")
		id := str(ins, "scope") + "/providers/Microsoft.Authorization/roleAssignments/" + name
		if !strings.HasPrefix(str(ins, "roleDefinitionId"), "/") {
			return "", nil, refuse("PUT", id, 400, "InvalidRoleDefinitionId", fmt.Sprintf("The role definition ID '%s' is not valid.", str(ins, "roleDefinitionId")))
		}
		if err := born.checkPrincipal(str(ins, "principalId"), simulatedTenant, str(ins, "principalType"), id); err != nil {
			return "", nil, err
		}
		return id, resource.PropertyMap{"name": resource.NewStringProperty(name)}, nil
	})

	clusters := openStore("clusters")
	managedClusterID := func(ins resource.PropertyMap) string {
		return rgID(ins) + "/providers/Microsoft.ContainerService/managedClusters/" + str(ins, "resourceName")
	}
	aks := &resourceType{
		replaceOn: []string{"resourceName", "resourceGroupName", "location", "dnsPrefix"}, autoName: autoName, autoNamePath: "resourceName",
	}
	add("azure-native:containerservice:ManagedCluster", aks, func(ins resource.PropertyMap) (string, resource.PropertyMap, error) {
		if err := requireParent(rgID(ins), "resource group"); err != nil {
			return "", nil, err
		}
		loc := str(ins, "location")
		if loc == "" {
			loc = location
		}
		fqdn := fmt.Sprintf("%s-%s.hcp.%s.azmk8s.io", str(ins, "dnsPrefix"), hex.EncodeToString([]byte(newGUID()[24:28])), loc)
		out := withLocation(ins)
		out["name"] = resource.NewStringProperty(str(ins, "resourceName"))
		out["fqdn"] = resource.NewStringProperty(fqdn)
		profile := resource.PropertyMap{"enabled": resource.NewBoolProperty(false)}
		if v, ok := valueAt(ins, "oidcIssuerProfile.enabled"); ok && v.IsBool() && v.BoolValue() {
			profile["enabled"] = resource.NewBoolProperty(true)
			profile["issuerURL"] = resource.NewStringProperty(fmt.Sprintf("https://%s.oic.prod-aks.azure.com/%s/%s/", loc, simulatedTenant, newGUID()))
		}
		out["oidcIssuerProfile"] = resource.NewObjectProperty(profile)
		out["provisioningState"] = resource.NewStringProperty("Succeeded")
		server := "https://" + fqdn + ":443"
		if err := registerCluster(clusters, server, "aks:"+managedClusterID(ins)); err != nil {
			return "", nil, err
		}
		return managedClusterID(ins), out, nil
	})
	removeManaged := aks.remove
	aks.remove = func(id string, olds resource.PropertyMap) error {
		if err := forgetCluster(clusters, "https://"+str(olds, "fqdn")+":443"); err != nil {
			return err
		}
		return removeManaged(id, olds)
	}

	bindingPath := func(ins resource.PropertyMap) string {
		return managedClusterID(ins) + "/identityBindings/" + str(ins, "identityBindingName")
	}
	add("azure-native:containerservice:IdentityBinding", &resourceType{
		// The cluster, the name and the identity it binds are what the binding is.
		replaceOn: []string{"resourceName", "resourceGroupName", "identityBindingName", "properties.managedIdentity.resourceId"},
		autoName:  autoName, autoNamePath: "identityBindingName",
	}, func(ins resource.PropertyMap) (string, resource.PropertyMap, error) {
		identity := ""
		if v, ok := valueAt(ins, "properties.managedIdentity.resourceId"); ok && v.IsString() {
			identity = v.StringValue()
		}
		out, err := bindIdentity(s, bindingPath(ins), managedClusterID(ins), identity)
		if err != nil {
			return "", nil, err
		}
		out["name"] = resource.NewStringProperty(str(ins, "identityBindingName"))
		return bindingPath(ins), out, nil
	})

	add("azure-native:keyvault:Vault", &resourceType{
		replaceOn: []string{"vaultName", "resourceGroupName", "location"},
		autoName:  autoName, autoNamePath: "vaultName",
	}, func(ins resource.PropertyMap) (string, resource.PropertyMap, error) {
		if err := requireParent(rgID(ins), "resource group"); err != nil {
			return "", nil, err
		}
		name := str(ins, "vaultName")
		props := resource.PropertyMap{}
		if v, ok := ins["properties"]; ok && v.IsObject() {
			props = v.ObjectValue().Copy()
		}
		props["vaultUri"] = resource.NewStringProperty("https://" + name + ".vault.azure.net/")
		out := withLocation(ins)
		out["name"] = resource.NewStringProperty(name)
		out["properties"] = resource.NewObjectProperty(props)
		return rgID(ins) + "/providers/Microsoft.KeyVault/vaults/" + name, out, nil
	})

	return &standIn{
		pkg: "azure-native", version: "3.28.0", types: types,
		configure: func(cfg resource.PropertyMap) error {
			if l := str(cfg, "location"); l != "" {
				location = l
			}
			return nil
		},
		invokes: map[string]func(resource.PropertyMap) (resource.PropertyMap, error){
			"azure-native:authorization:getClientConfig": func(resource.PropertyMap) (resource.PropertyMap, error) {
				return resource.PropertyMap{
					"clientId": resource.NewStringProperty(simulatedClient), "objectId": resource.NewStringProperty(simulatedClient),
					"subscriptionId": resource.NewStringProperty(simulatedSubscription), "tenantId": resource.NewStringProperty(simulatedTenant),
				}, nil
			},
			// An account as Resource Manager shows it (an issuer publishing in an existing one reads
			// its endpoints); one that is not there is Azure's 404.
			"azure-native:storage:getStorageAccount": func(args resource.PropertyMap) (resource.PropertyMap, error) {
				id := accountID(args)
				state, ok, err := s.get(id)
				if err != nil {
					return nil, err
				}
				if !ok {
					return nil, refuse("GET", id, 404, "ResourceNotFound", fmt.Sprintf("The Resource 'Microsoft.Storage/storageAccounts/%s' under resource group '%s' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix", str(args, "accountName"), str(args, "resourceGroupName")))
				}
				out := state.Copy()
				out["id"] = resource.NewStringProperty(id)
				return out, nil
			},
			"azure-native:containerservice:listManagedClusterUserCredentials": func(args resource.PropertyMap) (resource.PropertyMap, error) {
				id := rgID(args) + "/providers/Microsoft.ContainerService/managedClusters/" + str(args, "resourceName")
				state, ok, err := s.get(id)
				if err != nil || !ok {
					return nil, fmt.Errorf("ResourceNotFound: %s (%v)", id, err)
				}
				config := kubeconfigFor(str(args, "resourceName"), "https://"+str(state, "fqdn")+":443")
				return resource.PropertyMap{"kubeconfigs": resource.NewArrayProperty([]resource.PropertyValue{
					resource.NewObjectProperty(resource.PropertyMap{
						"name":  resource.NewStringProperty("clusterUser"),
						"value": resource.MakeSecret(resource.NewStringProperty(base64.StdEncoding.EncodeToString([]byte(config)))),
					}),
				})}, nil
			},
		},
	}, nil
}
