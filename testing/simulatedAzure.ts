/**
 * What the simulated cloud refuses, as Azure refuses it: the same rules as the local cloud's
 * (localcloud/azurerules.go), held to the same cases (localcloud/behaviours.json), so that a plan
 * or a unit test meets what a deployment would. Pure: the objects made so far in, a refusal out.
 *
 * The mock monitor cannot see the subscription: a resource group or identity the program does
 * not make may exist there, so a missing parent is never refused here (the local cloud does).
 */
import { IDENTITY_BINDING_CREDENTIAL as BINDING_CREDENTIAL } from "../components/identity/workloadIdentityNames";

/** The stand-ins' types (the table's, and those only the Kubernetes and command stand-ins know). */
export const SIMULATED_TYPES = new Set([
  "azure-native:resources:ResourceGroup",
  "azure-native:storage:StorageAccount",
  "azure-native:storage:StorageAccountStaticWebsite",
  "azure-native:storage:BlobContainer",
  "azure-native:storage:Blob",
  // The issuer's documents written with Entra auth by the package's own provider.
  "azure-wi:index:IssuerDocument",
  "azure-native:managedidentity:UserAssignedIdentity",
  "azure-native:managedidentity:FederatedIdentityCredential",
  "azure-native:authorization:RoleAssignment",
  "azure-native:containerservice:ManagedCluster",
  "azure-native:containerservice:IdentityBinding",
  "azure-native:keyvault:Vault",
  "tls:index/privateKey:PrivateKey",
  "random:index/randomString:RandomString",
  "command:local:Command",
  "kubernetes:core/v1:Namespace",
  "kubernetes:core/v1:ServiceAccount",
  "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
  "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
  "kubernetes:core/v1:Pod",
  "kubernetes:apps/v1:Deployment",
  "kubernetes:external-secrets.io/v1:ClusterSecretStore",
  "kubernetes:helm.sh/v3:Release",
]);

/** An object the simulated cloud made: its type, inputs and outputs. */
export interface MadeObject {
  type: string;
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
}

const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  404: "Not Found",
  409: "Conflict",
};

/** A Resource Manager error as pulumi-azure-native reports it (the Azure SDK for Go's form). */
export function armErrorText(
  method: string,
  path: string,
  status: number,
  code: string,
  message: string,
): string {
  const line = "-".repeat(80);
  const body = JSON.stringify({ error: { code, message } });
  return `${method} https://management.azure.com${path}\n${line}\nRESPONSE ${status}: ${status} ${STATUS_TEXT[status] ?? ""}\nERROR CODE: ${code}\n${line}\n${body}\n${line}`;
}

/** A dotted path's value in an object. */
export const at = (value: unknown, dotted: string): unknown =>
  dotted
    .split(".")
    .reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], value);

const FIC = "azure-native:managedidentity:FederatedIdentityCredential";
const BINDING = "azure-native:containerservice:IdentityBinding";

/** The credentials made so far on one identity (by its resource id), case-insensitively. */
function credentialsOf(identity: string, made: Map<string, MadeObject>): [string, MadeObject][] {
  const prefix = `${identity.toLowerCase()}/federatedidentitycredentials/`;
  return [...made.entries()].filter(
    ([key, o]) => o.type === FIC && key.toLowerCase().startsWith(prefix),
  );
}

/**
 * AKS's refusals of a binding: a cluster made here without workload identity, a resource that is
 * no user-assigned identity, and a first binding of an identity that has 20 credentials already
 * (AKS must write one). A cluster or identity not made here may exist in the subscription.
 */
function bindingRefusal(
  id: string,
  inputs: Record<string, unknown>,
  made: Map<string, MadeObject>,
): string | undefined {
  const bad = (status: number, code: string, message: string) =>
    armErrorText("PUT", id, status, code, message);
  const cluster = made.get(id.slice(0, id.lastIndexOf("/identityBindings/")));
  if (
    cluster &&
    (at(cluster.inputs, "oidcIssuerProfile.enabled") !== true ||
      at(cluster.inputs, "securityProfile.workloadIdentity.enabled") !== true)
  ) {
    return bad(
      400,
      "BadRequest",
      "Identity bindings need the cluster's OIDC issuer and workload identity: enable oidcIssuerProfile and securityProfile.workloadIdentity.",
    );
  }
  const identity = text(at(inputs, "properties.managedIdentity.resourceId"));
  if (!identity.includes("/providers/Microsoft.ManagedIdentity/userAssignedIdentities/")) {
    return bad(
      400,
      "InvalidParameter",
      `The managed identity resource ID '${identity}' is not a user-assigned identity's.`,
    );
  }
  const credentials = credentialsOf(identity, made);
  const has = credentials.some(([key]) => key.endsWith(`/${BINDING_CREDENTIAL}`));
  if (!has && credentials.length >= 20) {
    return armErrorText(
      "PUT",
      `${identity}/federatedIdentityCredentials/${BINDING_CREDENTIAL}`,
      400,
      "TooManyFederatedIdentityCredentials",
      `${identity} already has ${credentials.length} federated identity credentials, the most an identity can have.`,
    );
  }
  return undefined;
}

/** What Azure makes beside an object: a first binding's credential on its identity. */
export function madeBeside(
  type: string,
  outputs: Record<string, unknown>,
  made: Map<string, MadeObject>,
): [string, MadeObject][] {
  if (type !== BINDING) return [];
  const identity = text(at(outputs, "properties.managedIdentity.resourceId"));
  const key = `${identity}/federatedIdentityCredentials/${BINDING_CREDENTIAL}`;
  if (credentialsOf(identity, made).some(([k]) => k.toLowerCase() === key.toLowerCase())) return [];
  const issuer = text(at(outputs, "properties.oidcIssuer.oidcIssuerUrl"));
  const inputs = {
    federatedIdentityCredentialResourceName: BINDING_CREDENTIAL,
    issuer,
    subject: `aks:identity-binding:${issuer.slice(issuer.lastIndexOf("/") + 1)}`,
    audiences: ["api://AzureADTokenExchange"],
  };
  return [[key, { type: FIC, inputs, outputs: { name: BINDING_CREDENTIAL } }]];
}
const IDENTITY = "azure-native:managedidentity:UserAssignedIdentity";
const FIC_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_-]{2,119}$/;
const ACCOUNT_NAME = /^[a-z0-9]{3,24}$/;
const text = (v: unknown) => (typeof v === "string" ? v : "");

/** Entra's rules for one federated credential (id: its own resource id). */
function ficRefusal(
  id: string,
  inputs: Record<string, unknown>,
  made: Map<string, MadeObject>,
): string | undefined {
  const bad = (code: string, message: string) => armErrorText("PUT", id, 400, code, message);
  const name = text(inputs.federatedIdentityCredentialResourceName);
  if (!FIC_NAME.test(name))
    return bad("InvalidResourceName", `The resource name '${name}' is invalid.`);
  const issuer = text(inputs.issuer);
  const subject = text(inputs.subject);
  if (issuer === "" || subject === "") {
    return bad(
      "BadRequest",
      "The request format was unexpected. Federated Identity Credential must specify 'issuer', 'subject' and 'audience'.",
    );
  }
  let url: URL | undefined;
  try {
    url = new URL(issuer);
  } catch {
    url = undefined;
  }
  if (!url || url.protocol !== "https:" || url.search !== "" || url.hash !== "") {
    return bad(
      "InvalidFederatedIdentityCredentialValue",
      `The issuer '${issuer}' is not a valid https URL without query or fragment.`,
    );
  }
  if (issuer.length > 600 || subject.length > 600) {
    return bad(
      "InvalidFederatedIdentityCredentialValue",
      "Issuer and subject must be at most 600 characters.",
    );
  }
  const audiences = inputs.audiences;
  if (!Array.isArray(audiences) || audiences.length !== 1 || typeof audiences[0] !== "string") {
    return bad(
      "InvalidFederatedIdentityCredentialsAudienceLength",
      "Federated identity credentials must have exactly 1 audience.",
    );
  }
  const identity = id.slice(0, id.lastIndexOf("/federatedIdentityCredentials/"));
  const siblings = credentialsOf(identity, made);
  if (siblings.some(([, o]) => o.inputs.issuer === issuer && o.inputs.subject === subject)) {
    return bad(
      "BadRequest",
      "Issuer and subject combination already exists for this Managed Identity.",
    );
  }
  if (siblings.length >= 20) {
    return bad(
      "TooManyFederatedIdentityCredentials",
      `${identity} already has ${siblings.length} federated identity credentials, the most an identity can have.`,
    );
  }
  return undefined;
}

/**
 * What pulumi-azure-native does with the account key (a blob's upload; it lists the account's
 * keys for it) on an account whose shared-key access is off: refused by the storage service.
 * Unset means allowed.
 */
function sharedKeyRefusal(
  inputs: Record<string, unknown>,
  made: Map<string, MadeObject>,
): string | undefined {
  const name = text(inputs.accountName);
  const account = [...made.values()].find(
    (o) =>
      o.type === "azure-native:storage:StorageAccount" &&
      o.inputs.accountName === name &&
      o.inputs.resourceGroupName === inputs.resourceGroupName,
  );
  return account?.inputs.allowSharedKeyAccess === false
    ? `storage account ${name}: 403 KeyBasedAuthenticationNotPermitted: Key based authentication is not permitted on this storage account.`
    : undefined;
}

/** The refusal Azure would answer this create with (id: the object's resource id), if any. */
export function azureRefusal(
  type: string,
  id: string,
  inputs: Record<string, unknown>,
  made: Map<string, MadeObject>,
): string | undefined {
  // A blob's upload is one Put Blob, which overwrites one of the same name.
  if (type.startsWith("azure-native:") && type !== "azure-native:storage:Blob" && made.has(id)) {
    return `cannot create already existing resource "${id}"`;
  }
  switch (type) {
    case "azure-native:storage:StorageAccount": {
      const name = text(inputs.accountName);
      return ACCOUNT_NAME.test(name)
        ? undefined
        : armErrorText(
            "PUT",
            id,
            400,
            "AccountNameInvalid",
            `${name} is not a valid storage account name. Storage account name must be between 3 and 24 characters in length and use numbers and lower-case letters only.`,
          );
    }
    case "azure-native:storage:Blob":
      return sharedKeyRefusal(inputs, made);
    case "azure-native:storage:BlobContainer": {
      // Anonymous access on an account that allows no public blob access.
      const access = text(inputs.publicAccess);
      const account = made.get(id.slice(0, id.indexOf("/blobServices/")));
      if (access === "" || access === "None" || !account) return undefined;
      return account.inputs.allowBlobPublicAccess === true
        ? undefined
        : armErrorText(
            "PUT",
            id,
            409,
            "PublicAccessNotPermitted",
            "Public access is not permitted on this storage account.",
          );
    }
    case FIC:
      return ficRefusal(id, inputs, made);
    case BINDING:
      return bindingRefusal(id, inputs, made);
    case "azure-native:authorization:RoleAssignment": {
      const role = text(inputs.roleDefinitionId);
      if (!role.startsWith("/")) {
        return armErrorText(
          "PUT",
          id,
          400,
          "InvalidRoleDefinitionId",
          `The role definition ID '${role}' is not valid.`,
        );
      }
      const principal = text(inputs.principalId);
      const isIdentity = [...made.values()].some(
        (o) => o.type === IDENTITY && o.outputs.principalId === principal,
      );
      const given = text(inputs.principalType);
      if (isIdentity && given !== "" && given !== "ServicePrincipal") {
        return armErrorText(
          "PUT",
          id,
          400,
          "UnmatchedPrincipalType",
          `The PrincipalType attribute in the request '${given}' does not match the actual principal type 'ServicePrincipal' of the principal with id '${principal}'.`,
        );
      }
      return undefined;
    }
    case "tls:index/privateKey:PrivateKey":
      return inputs.algorithm === "RSA"
        ? undefined
        : `the simulated cloud's tls makes RSA keys only, not ${JSON.stringify(inputs.algorithm)}`;
  }
  return undefined;
}
