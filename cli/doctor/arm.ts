/**
 * The Azure Resource Manager reads the doctor makes, with the user's own Azure credentials: an
 * identity, its federated credentials, a principal's role assignments at a scope, and the policy
 * assignments at a resource group. Through the Azure SDK's management clients, which follow every
 * page (nextLink) and retry what Resource Manager says to retry (429 with Retry-After, 5xx).
 */
import { AuthorizationManagementClient } from "@azure/arm-authorization";
import { ManagedServiceIdentityClient } from "@azure/arm-msi";
import { PolicyClient } from "@azure/arm-policy";
import type { TokenCredential } from "@azure/core-auth";

import { parseIdentityResourceId } from "../../components/identity/workloadIdentityNames";
import { armCredential, staticCredential } from "../../components/shared/azureCredential";

export { armCredential };

export const ARM_ENDPOINT = "https://management.azure.com";

export interface ArmIdentity {
  id: string;
  clientId: string;
  principalId: string;
  tenantId: string;
}

export interface ArmFederatedCredential {
  id: string;
  name: string;
  issuer: string;
  subject: string;
  audiences: string[];
}

/** A policy assignment that applies at a scope: which definition, its parameters, whether enforced. */
export interface ArmPolicyAssignment {
  id: string;
  displayName: string;
  policyDefinitionId: string;
  /** Parameter values by name (absent ones take the definition's defaults). */
  parameters: Record<string, unknown>;
  /** `Default` enforces a Deny; `DoNotEnforce` only reports. */
  enforcementMode: string;
}

export interface ArmRoleAssignment {
  id: string;
  scope: string;
  roleDefinitionId: string;
  principalId: string;
}

/** A read Resource Manager refused: its HTTP status (0 when none came), its code, one line. */
export class ArmError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A credential that found no token, in one line: DefaultAzureCredential's answer lists every
 * source it tried on its own line, which the report folds into one, source by source.
 */
function credentialError(err: Error): ArmError {
  const tried = (err as { errors?: Error[] }).errors ?? [err];
  const why = tried.map((e) => e.message.split("\n").find((l) => l.trim() !== "") ?? e.name);
  return new ArmError(0, "NoCredentials", `no Azure credential: ${why.join("; ")}`);
}

/** What an SDK client threw, as one line: a 403 says what could not be read, not that it is missing. */
function armError(err: unknown, what: string): ArmError {
  if (
    err instanceof Error &&
    ["AggregateAuthenticationError", "CredentialUnavailableError", "AuthenticationError"].includes(
      err.name,
    )
  ) {
    return credentialError(err);
  }
  const e = err as { statusCode?: number; code?: string; message?: string };
  const status = e.statusCode ?? 0;
  const code = e.code ?? (status ? `HTTP${status}` : "RequestFailed");
  const message = (e.message ?? String(err)).split("\n")[0];
  if (status === 403) {
    return new ArmError(status, code, `no permission to read ${what} (${code}): ${message}`);
  }
  return new ArmError(status, code, `${code}: ${message}`);
}

/** The subscription id of a resource id or scope (`/subscriptions/<id>/...`). */
function subscriptionOf(id: string): string {
  return /^\/subscriptions\/([^/]+)/i.exec(id)?.[1] ?? "";
}

export class ArmClient {
  private readonly credential: TokenCredential;
  private readonly options;

  /** `credential`: a token, or any TokenCredential of `@azure/identity`. */
  constructor(
    readonly endpoint: string,
    credential: string | TokenCredential,
  ) {
    this.credential = typeof credential === "string" ? staticCredential(credential) : credential;
    const base = endpoint.replace(/\/$/, "");
    this.options = {
      endpoint: base,
      credentialScopes: [`${base}/.default`],
      retryOptions: { maxRetries: 4, retryDelayInMs: 500, maxRetryDelayInMs: 8000 },
    };
  }

  private msi(subscriptionId: string): ManagedServiceIdentityClient {
    return new ManagedServiceIdentityClient(this.credential, subscriptionId, this.options);
  }

  async identity(id: string): Promise<ArmIdentity> {
    const ref = parseIdentityResourceId(id);
    try {
      const r = await this.msi(ref.subscriptionId).userAssignedIdentities.get(
        ref.resourceGroupName,
        ref.name,
      );
      return {
        id: r.id ?? id,
        clientId: r.clientId ?? "",
        principalId: r.principalId ?? "",
        tenantId: r.tenantId ?? "",
      };
    } catch (err) {
      throw armError(err, `identity ${id}`);
    }
  }

  /** Every federated credential of the identity, every page of them. */
  async federatedCredentials(identityId: string): Promise<ArmFederatedCredential[]> {
    const ref = parseIdentityResourceId(identityId);
    const out: ArmFederatedCredential[] = [];
    try {
      for await (const f of this.msi(ref.subscriptionId).federatedIdentityCredentials.list(
        ref.resourceGroupName,
        ref.name,
      )) {
        out.push({
          id: f.id ?? "",
          name: f.name ?? "",
          issuer: f.issuer ?? "",
          subject: f.subject ?? "",
          audiences: f.audiences ?? [],
        });
      }
    } catch (err) {
      throw armError(err, `the federated credentials of ${identityId}`);
    }
    return out;
  }

  /** What policyAssignments read, by resource group: identities often share one. */
  private readonly policyReads = new Map<string, Promise<ArmPolicyAssignment[]>>();

  /** The policy assignments that apply to a resource group (its own, its subscription's, its
   * management groups'), every page of them; read once per resource group. */
  policyAssignments(subscriptionId: string, resourceGroup: string): Promise<ArmPolicyAssignment[]> {
    const key = `${subscriptionId}/${resourceGroup}`.toLowerCase();
    let read = this.policyReads.get(key);
    if (read === undefined) {
      read = this.readPolicyAssignments(subscriptionId, resourceGroup);
      this.policyReads.set(key, read);
    }
    return read;
  }

  private async readPolicyAssignments(
    subscriptionId: string,
    resourceGroup: string,
  ): Promise<ArmPolicyAssignment[]> {
    const client = new PolicyClient(this.credential, subscriptionId, this.options);
    const out: ArmPolicyAssignment[] = [];
    try {
      for await (const a of client.policyAssignments.listForResourceGroup(resourceGroup, {
        filter: "atScope()",
      })) {
        out.push({
          id: a.id ?? "",
          displayName: a.displayName ?? a.name ?? "",
          policyDefinitionId: a.policyDefinitionId ?? "",
          parameters: Object.fromEntries(
            Object.entries(a.parameters ?? {}).map(([k, v]) => [k, v.value]),
          ),
          enforcementMode: a.enforcementMode ?? "Default",
        });
      }
    } catch (err) {
      throw armError(err, `the policy assignments of resource group ${resourceGroup}`);
    }
    return out;
  }

  /** The principal's role assignments at, above and below a scope, every page of them. */
  async roleAssignments(scope: string, principalId: string): Promise<ArmRoleAssignment[]> {
    const client = new AuthorizationManagementClient(
      this.credential,
      subscriptionOf(scope),
      this.options,
    );
    const out: ArmRoleAssignment[] = [];
    try {
      for await (const a of client.roleAssignments.listForScope(scope, {
        filter: `principalId eq '${principalId}'`,
      })) {
        out.push({
          id: a.id ?? "",
          scope: a.scope ?? "",
          roleDefinitionId: a.roleDefinitionId ?? "",
          principalId: a.principalId ?? "",
        });
      }
    } catch (err) {
      throw armError(err, `the role assignments at ${scope}`);
    }
    return out;
  }
}
