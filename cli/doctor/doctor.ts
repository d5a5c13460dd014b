/**
 * `doctor`: reads a live setup (the issuer's documents, the cluster, Azure Resource Manager) and
 * runs the checks of ./checks.ts on what it read. Every read is made once; a read that fails is
 * reported by the checks that needed it, and the others still run. A cluster or Resource
 * Manager that cannot be reached at all is one line naming it, not one failure per check.
 */
import { AZURE_AD_TOKEN_EXCHANGE_AUDIENCE } from "../../components/issuer/issuerUrl";
import { ArmClient, ArmError, ArmIdentity } from "./arm";
import {
  CheckResult,
  Fetched,
  Jwk,
  PodObject,
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
import {
  IDENTITY_BINDING_RBAC,
  identityBindingIssuer,
  parseIdentityResourceId,
} from "../../components/identity/workloadIdentityNames";
import { checkBindingAccess, checkBindingCredential } from "./bindingChecks";
import { describeError, httpsRequest } from "./https";
import { checkIssuerPolicy } from "./policyChecks";
import { KubeClient } from "./kubeClient";

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
  /** Its ServiceAccounts use it through an AKS identity binding, not a credential each. */
  identityBinding?: boolean;
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

/** The issuer's two documents, read as Entra reads them; the keys when the set is good. */
async function issuerChecks(issuer: string) {
  const discovery = await attempt(() => anonymousGet(discoveryUrl(issuer)));
  const results = checkDiscovery(issuer, discovery);
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
  return { results, keys: jwks.result.status === "pass" ? jwks.keys : undefined };
}

/**
 * The cluster, reached once: when it cannot be, that is one line naming the API server, and
 * the checks that need it are left out rather than each failing with the same reason.
 */
async function clusterProbe(kube: KubeClient | Error): Promise<CheckResult | undefined> {
  const version = kube instanceof Error ? kube : await attempt(() => kube.version());
  if (!(version instanceof Error) && version.ok) return undefined;
  const why = version instanceof Error ? version.message : version.error;
  return {
    check: "cluster",
    status: "fail",
    detail: `${why}; the token, ServiceAccount, webhook and pod checks did not run`,
    fix: "check the kubeconfig and --context (kubectl version should answer), the network or proxy, and run the doctor again",
  };
}

/**
 * Resource Manager, reached once (the first identity): no answer, or no credential it accepts,
 * is one line naming the endpoint, and the Azure checks are left out. A 403 or 404 is an answer
 * about that identity, which its own checks report.
 */
async function armProbe(
  arm: ArmClient | Error,
  first: DoctorIdentity | undefined,
): Promise<{ down?: CheckResult; identity?: Fetched<ArmIdentity> }> {
  if (!(arm instanceof Error) && first === undefined) return {};
  let identity: Fetched<ArmIdentity> | undefined;
  let failure: Error | undefined = arm instanceof Error ? arm : undefined;
  if (!(arm instanceof Error) && first) {
    try {
      identity = { ok: true, value: await arm.identity(first.identityId) };
    } catch (err) {
      const status = err instanceof ArmError ? err.status : 0;
      if (status === 0 || status === 401) failure = err as Error;
      else identity = { ok: false, error: describeError(err) };
    }
  }
  if (!failure) return { identity };
  const endpoint = arm instanceof Error ? "Azure Resource Manager" : arm.endpoint;
  return {
    down: {
      check: "azure",
      status: "fail",
      detail: `${endpoint}: ${failure.message}; the identity, federated credential and role checks did not run`,
      fix: "sign in (az login, or the AZURE_* variables of DefaultAzureCredential) and check the network or proxy, then run the doctor again",
    },
  };
}

/** A ServiceAccount in the cluster: a fresh token, its annotation, the webhook, its pods. */
async function serviceAccountChecks(
  kube: KubeClient,
  sa: string,
  expect: {
    issuer: string;
    audience: string;
    keys?: Map<string, Jwk>;
    clientId?: string;
    identityBinding?: boolean;
  },
): Promise<CheckResult[]> {
  const [ns, name] = sa.split("/");
  const token = await attempt(() => kube.createToken(ns, name, expect.audience));
  const results = [checkToken(sa, expect.issuer, expect.keys, token, expect.audience)];
  const object = await attempt(() => kube.serviceAccount(ns, name));
  results.push(checkServiceAccount(sa, expect.clientId, object));
  if (object.ok && object.value) {
    const dryRun = await attempt(() => kube.dryRunPod(probePod(sa)));
    results.push(checkWebhook(sa, expect.clientId, dryRun));
  }
  results.push(checkPods(sa, await attempt(() => kube.pods(ns))));
  if (expect.identityBinding) {
    const { clientId } = expect;
    const allowed =
      clientId === undefined
        ? undefined
        : await attempt(() =>
            kube.allows(ns, name, {
              group: IDENTITY_BINDING_RBAC.apiGroup,
              resource: clientId,
              verb: IDENTITY_BINDING_RBAC.verb,
            }),
          );
    results.push(checkBindingAccess(sa, clientId, allowed));
  }
  return results;
}

/** The identity's federated credentials and role assignments, read from Resource Manager. */
async function azureChecks(
  arm: ArmClient,
  id: DoctorIdentity,
  read: { clientId?: string; principalId?: string; tenantId?: string },
  expect: { issuer: string; audience: string },
): Promise<CheckResult[]> {
  const { principalId } = read;
  const fics = await attempt(() => arm.federatedCredentials(id.identityId));
  const results = id.identityBinding
    ? checkBindingCredential(id.name, read, fics)
    : checkFederatedCredentials(id.name, id.serviceAccounts, expect.issuer, fics, expect.audience);
  // The issuer its credentials are under: the cluster's, or a binding's own.
  const issuer = id.identityBinding
    ? read.clientId && read.tenantId && identityBindingIssuer(read.tenantId, read.clientId)
    : expect.issuer;
  if (issuer) {
    const ref = parseIdentityResourceId(id.identityId);
    const assignments = await attempt(() =>
      arm.policyAssignments(ref.subscriptionId, ref.resourceGroupName),
    );
    results.push(checkIssuerPolicy(id.name, issuer, assignments));
  } else {
    results.push({
      check: `issuer policy ${id.name}`,
      status: "skip",
      detail: "the identity's ids are unknown: its binding's issuer cannot be checked",
    });
  }
  const expected = id.roleAssignments ?? [];
  const scopes = [...new Set(expected.map((r) => r.scope))];
  const found = await attempt(async () => {
    if (principalId === undefined) throw new Error("the identity's principal id is unknown");
    return (await Promise.all(scopes.map((s) => arm.roleAssignments(s, principalId)))).flat();
  });
  results.push(checkRoleAssignments(id.name, expected, found));
  return results;
}

/**
 * Every check of the target. `kube` and `arm` are the clients, or why one could not be made
 * (no kubeconfig, no Azure credential): that is reported once, and the rest still runs.
 */
export async function doctor(
  target: DoctorTarget,
  clients: { kube: KubeClient | Error; arm: ArmClient | Error },
): Promise<DoctorReport> {
  const { kube, arm } = clients;
  const audience = target.audience ?? AZURE_AD_TOKEN_EXCHANGE_AUDIENCE;
  const issuer = target.issuerUrl;
  const published = await issuerChecks(issuer);
  const results = [...published.results];
  const clusterDown = await clusterProbe(kube);
  const probe = await armProbe(arm, target.identities[0]);
  results.push(...[clusterDown, probe.down].filter((r): r is CheckResult => r !== undefined));

  const cluster = clusterDown || kube instanceof Error ? undefined : kube;
  const azure = probe.down || arm instanceof Error ? undefined : arm;
  for (const [i, id] of target.identities.entries()) {
    // The first identity was read by the probe; a failed read leaves the ids unknown, and the
    // credential checks below report what Resource Manager said.
    const identity = azure
      ? i === 0 && probe.identity
        ? probe.identity
        : await attempt(() => azure.identity(id.identityId))
      : undefined;
    const read = identity?.ok ? identity.value : undefined;
    const clientId = id.clientId ?? read?.clientId;
    const expect = {
      issuer,
      audience,
      keys: published.keys,
      clientId,
      identityBinding: id.identityBinding,
    };
    for (const sa of id.serviceAccounts) {
      if (cluster) results.push(...(await serviceAccountChecks(cluster, sa, expect)));
    }
    if (azure) {
      const ids = {
        clientId,
        principalId: id.principalId ?? read?.principalId,
        tenantId: read?.tenantId,
      };
      results.push(...(await azureChecks(azure, id, ids, { issuer, audience })));
    }
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
