/**
 * `doctor`: reads a live setup (the issuer's documents, the cluster, Azure Resource Manager) and
 * runs the checks of ./checks.ts on what it read. Every read is made once; a read that fails is
 * reported by the checks that needed it, and the others still run.
 */
import { AZURE_AD_TOKEN_EXCHANGE_AUDIENCE } from "../../components/issuer/issuerUrl";
import { ArmClient } from "./arm";
import {
  CheckResult,
  Fetched,
  PodObject,
  ServiceAccountObject,
  USE_LABEL,
  checkDiscovery,
  checkFederatedCredentials,
  checkJwks,
  checkPods,
  checkRoleAssignments,
  checkServiceAccount,
  checkToken,
  checkWebhook,
  discoveryUrl,
} from "./checks";
import { describeError, httpsRequest } from "./https";
import { KubeApiError, KubeClient } from "./kubeClient";

/** One identity to check: where it is in Azure, and which ServiceAccounts should use it. */
export interface DoctorIdentity {
  name: string;
  /** The identity's Azure resource id. */
  identityId: string;
  /** `namespace/name` of each ServiceAccount it trusts. */
  serviceAccounts: string[];
  /** Expected; read from Azure when not given. */
  clientId?: string;
  principalId?: string;
  roleAssignments?: { scope: string; roleDefinitionId: string }[];
}

export interface DoctorTarget {
  issuerUrl: string;
  identities: DoctorIdentity[];
  audience?: string;
}

export interface DoctorReport {
  ok: boolean;
  results: CheckResult[];
}

async function attempt<T>(read: () => Promise<T>): Promise<Fetched<T>> {
  try {
    return { ok: true, value: await read() };
  } catch (err) {
    return { ok: false, error: describeError(err) };
  }
}

/** An anonymous GET, as Entra makes it: no credentials, HTTPS, 200 or it failed. */
async function anonymousGet(url: string): Promise<string> {
  const res = await httpsRequest(url);
  if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
  return res.body;
}

function podPath(sa: string): string {
  return `/api/v1/namespaces/${encodeURIComponent(sa.split("/")[0])}/pods`;
}

/** A pod as a user would label it to use the ServiceAccount: what the dry run creates. */
export function probePod(sa: string): PodObject & { apiVersion: string; kind: string } {
  const [namespace, name] = sa.split("/");
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "wi-doctor-probe", namespace, labels: { [USE_LABEL]: "true" } },
    spec: {
      serviceAccountName: name,
      containers: [{ name: "probe", image: "registry.k8s.io/pause:3.10" }],
    },
  };
}

export async function doctor(
  target: DoctorTarget,
  clients: { kube: KubeClient; arm: ArmClient | Error },
): Promise<DoctorReport> {
  const { kube, arm } = clients;
  const audience = target.audience ?? AZURE_AD_TOKEN_EXCHANGE_AUDIENCE;
  const issuer = target.issuerUrl;
  const results: CheckResult[] = [];

  const discovery = await attempt(() => anonymousGet(discoveryUrl(issuer)));
  results.push(...checkDiscovery(issuer, discovery));
  // The key set Entra would read: where the discovery document points (or should point).
  let jwksUrl = `${issuer.replace(/\/$/, "")}/openid/v1/jwks`;
  if (discovery.ok) {
    try {
      const uri = (JSON.parse(discovery.value) as { jwks_uri?: unknown }).jwks_uri;
      if (typeof uri === "string") jwksUrl = uri;
    } catch {
      // reported by checkDiscovery
    }
  }
  const jwks = checkJwks(jwksUrl, await attempt(() => anonymousGet(jwksUrl)));
  results.push(jwks.result);

  const armRead = async <T>(read: (c: ArmClient) => Promise<T>): Promise<Fetched<T>> =>
    arm instanceof Error ? { ok: false, error: arm.message } : attempt(() => read(arm));

  for (const id of target.identities) {
    const identity = await armRead((c) => c.identity(id.identityId));
    const clientId = id.clientId ?? (identity.ok ? identity.value.clientId : undefined);
    const principalId = id.principalId ?? (identity.ok ? identity.value.principalId : undefined);
    for (const sa of id.serviceAccounts) {
      const [ns, name] = sa.split("/");
      const saPath = `/api/v1/namespaces/${encodeURIComponent(ns)}/serviceaccounts/${encodeURIComponent(name)}`;
      const token = await attempt(async () => {
        const r = await kube.json<{ status: { token: string } }>("POST", `${saPath}/token`, {
          apiVersion: "authentication.k8s.io/v1",
          kind: "TokenRequest",
          spec: { audiences: [audience], expirationSeconds: 3600 },
        });
        return r.status.token;
      });
      results.push(
        checkToken(
          sa,
          issuer,
          jwks.result.status === "pass" ? jwks.keys : undefined,
          token,
          audience,
        ),
      );
      const object = await attempt(async () => {
        try {
          return await kube.json<ServiceAccountObject>("GET", saPath);
        } catch (err) {
          if (err instanceof KubeApiError && err.status === 404) return undefined;
          throw err;
        }
      });
      results.push(checkServiceAccount(sa, clientId, object));
      if (object.ok && object.value) {
        const dryRun = await attempt(() =>
          kube.json<PodObject>("POST", `${podPath(sa)}?dryRun=All`, probePod(sa)),
        );
        results.push(checkWebhook(sa, clientId, dryRun));
      }
      const pods = await attempt(
        async () => (await kube.json<{ items: PodObject[] }>("GET", podPath(sa))).items,
      );
      results.push(checkPods(sa, pods));
    }
    results.push(
      ...checkFederatedCredentials(
        id.name,
        id.serviceAccounts,
        issuer,
        await armRead((c) => c.federatedCredentials(id.identityId)),
        audience,
      ),
    );
    const expected = id.roleAssignments ?? [];
    const scopes = [...new Set(expected.map((r) => r.scope))];
    const found = await armRead(async (c) => {
      if (principalId === undefined) throw new Error("the identity's principal id is unknown");
      return (await Promise.all(scopes.map((s) => c.roleAssignments(s, principalId)))).flat();
    });
    results.push(checkRoleAssignments(id.name, expected, found));
  }
  return { ok: results.every((r) => r.status !== "fail"), results };
}

const MARK: Record<CheckResult["status"], string> = {
  pass: "ok  ",
  warn: "warn",
  fail: "FAIL",
  skip: "skip",
};

/** One line per check; failures carry the Entra error and the fix on the same line. */
export function formatReport(report: DoctorReport): string {
  const lines = report.results.map((r) => {
    const extra = [r.aadsts ? `[${r.aadsts}]` : "", r.fix ? `fix: ${r.fix}` : ""]
      .filter(Boolean)
      .join(" ");
    return `${MARK[r.status]}  ${r.check}: ${r.detail}${extra ? ` ${extra}` : ""}`;
  });
  const failed = report.results.filter((r) => r.status === "fail").length;
  lines.push(failed === 0 ? "all checks passed" : `${failed} check(s) failed`);
  return lines.join("\n") + "\n";
}
