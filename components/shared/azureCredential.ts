/**
 * The user's Azure credential, as every tool of the package signs in: the doctor reading Resource
 * Manager, and the azure-wi provider writing the issuer's documents.
 */
import type { AccessToken, TokenCredential } from "@azure/core-auth";

/** The authority hosts MSAL knows; any other (a private cloud, the local cloud) skips its
 * instance discovery, which asks login.microsoftonline.com about the host. */
const KNOWN_AUTHORITIES = [
  "login.microsoftonline.com",
  "login.chinacloudapi.cn",
  "login.microsoftonline.us",
  "login.microsoftonline.de",
];

/**
 * The user's Azure credential for Resource Manager: $AZURE_ACCESS_TOKEN when set (a token got
 * elsewhere), else {@link azureCredential}.
 */
export async function armCredential(
  env: NodeJS.ProcessEnv = process.env,
): Promise<TokenCredential> {
  if (env.AZURE_ACCESS_TOKEN) return staticCredential(env.AZURE_ACCESS_TOKEN);
  return azureCredential(env);
}

/**
 * `DefaultAzureCredential`, which tries in turn the AZURE_* variables of a service principal,
 * workload identity (AZURE_FEDERATED_TOKEN_FILE), a managed identity, and the Azure CLI's
 * login, as every Azure SDK tool does; for any resource (Resource Manager, Storage).
 */
export async function azureCredential(
  env: NodeJS.ProcessEnv = process.env,
): Promise<TokenCredential> {
  const { DefaultAzureCredential } = await import("@azure/identity");
  const host = env.AZURE_AUTHORITY_HOST ? new URL(env.AZURE_AUTHORITY_HOST).hostname : undefined;
  return new DefaultAzureCredential({
    disableInstanceDiscovery: host !== undefined && !KNOWN_AUTHORITIES.includes(host),
  });
}

/** A token the caller already has, as a credential. */
export function staticCredential(token: string): TokenCredential {
  return {
    getToken: (): Promise<AccessToken> =>
      Promise.resolve({ token, expiresOnTimestamp: Date.now() + 3_600_000 }),
  };
}
