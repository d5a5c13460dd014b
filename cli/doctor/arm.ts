/**
 * The Azure Resource Manager reads the doctor makes, with the user's own Azure credentials: an
 * identity, its federated credentials, and a principal's role assignments at a scope.
 */
import { execFileSync } from "node:child_process";

import { httpsRequest } from "./https";

export const ARM_ENDPOINT = "https://management.azure.com";
const IDENTITY_API = "2023-01-31";
const AUTHORIZATION_API = "2022-04-01";

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

export interface ArmRoleAssignment {
  id: string;
  scope: string;
  roleDefinitionId: string;
  principalId: string;
}

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
 * A Resource Manager token: $AZURE_ACCESS_TOKEN when set, else the Azure CLI's
 * (`az account get-access-token`), as a user who ran `az login` has one.
 */
export function armToken(endpoint: string): string {
  const fromEnv = process.env.AZURE_ACCESS_TOKEN;
  if (fromEnv) return fromEnv;
  try {
    return execFileSync(
      "az",
      [
        "account",
        "get-access-token",
        "--resource",
        `${endpoint}/`,
        "--query",
        "accessToken",
        "-o",
        "tsv",
      ],
      { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
    ).trim();
  } catch (err) {
    throw new ArmError(
      0,
      "NoCredentials",
      `no Azure credentials: set AZURE_ACCESS_TOKEN or run az login (${(err as Error).message.split("\n")[0]})`,
    );
  }
}

export class ArmClient {
  constructor(
    readonly endpoint: string,
    private readonly token: string,
  ) {}

  private async get<T>(path: string, apiVersion: string, query = ""): Promise<T> {
    const url = `${this.endpoint.replace(/\/$/, "")}${path}?api-version=${apiVersion}${query}`;
    const res = await httpsRequest(url, {
      headers: { Authorization: `Bearer ${this.token}`, Accept: "application/json" },
    });
    if (res.status !== 200) {
      let code = `HTTP${res.status}`;
      let message = `HTTP ${res.status}`;
      try {
        const e = (JSON.parse(res.body) as { error?: { code?: string; message?: string } }).error;
        code = e?.code ?? code;
        message = e?.message ?? message;
      } catch {
        // not an ARM error body
      }
      throw new ArmError(res.status, code, `${code}: ${message}`);
    }
    return JSON.parse(res.body) as T;
  }

  async identity(id: string): Promise<ArmIdentity> {
    const r = await this.get<{ id: string; properties: Omit<ArmIdentity, "id"> }>(id, IDENTITY_API);
    return { id: r.id, ...r.properties };
  }

  async federatedCredentials(identityId: string): Promise<ArmFederatedCredential[]> {
    const r = await this.get<{
      value: {
        id: string;
        name: string;
        properties: { issuer: string; subject: string; audiences: string[] };
      }[];
    }>(`${identityId}/federatedIdentityCredentials`, IDENTITY_API);
    return r.value.map((f) => ({ id: f.id, name: f.name, ...f.properties }));
  }

  /** The principal's role assignments at, above and below a scope. */
  async roleAssignments(scope: string, principalId: string): Promise<ArmRoleAssignment[]> {
    const filter = encodeURIComponent(`principalId eq '${principalId}'`);
    const r = await this.get<{
      value: { id: string; properties: Omit<ArmRoleAssignment, "id"> }[];
    }>(
      `${scope}/providers/Microsoft.Authorization/roleAssignments`,
      AUTHORIZATION_API,
      `&$filter=${filter}`,
    );
    return r.value.map((a) => ({ id: a.id, ...a.properties }));
  }
}
