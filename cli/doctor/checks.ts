/**
 * The doctor's checks as pure functions: what was read (documents, tokens, objects, Azure
 * resources, or the error reading them) in, one result per check out, each failure with its
 * cause, the fix, and the Entra error a user would see. No I/O here.
 */
import * as crypto from "node:crypto";

import {
  AZURE_AD_TOKEN_EXCHANGE_AUDIENCE,
  serviceAccountSubject,
} from "../../components/issuer/issuerUrl";
import { nearest } from "../../components/shared/suggest";
import { ArmFederatedCredential, ArmRoleAssignment } from "./arm";

export type Status = "pass" | "warn" | "fail" | "skip";

export interface CheckResult {
  /** What was checked, e.g. `issuer discovery`, `token apps/api`. */
  check: string;
  status: Status;
  /** One line: what was found. */
  detail: string;
  /** What to do about a failure. */
  fix?: string;
  /** The Entra error code a workload would get because of it. */
  aadsts?: string;
}

/** A read that worked, or why it did not. */
export type Fetched<T> = { ok: true; value: T } | { ok: false; error: string };

export const CLIENT_ID_ANNOTATION = "azure.workload.identity/client-id";
export const USE_LABEL = "azure.workload.identity/use";
export const INJECT_PROXY_ANNOTATION = "azure.workload.identity/inject-proxy-sidecar";
export const FIC_LIMIT = 20;
const WEBHOOK_ENV = [
  "AZURE_CLIENT_ID",
  "AZURE_TENANT_ID",
  "AZURE_FEDERATED_TOKEN_FILE",
  "AZURE_AUTHORITY_HOST",
] as const;

const pass = (check: string, detail: string): CheckResult => ({ check, status: "pass", detail });
const fail = (check: string, detail: string, fix: string, aadsts?: string): CheckResult => ({
  check,
  status: "fail",
  detail,
  fix,
  ...(aadsts ? { aadsts } : {}),
});

/** How two issuer strings differ, in the words a user can act on. */
export function issuerDifference(actual: string, expected: string): string {
  if (actual === expected) return "equal";
  if (actual.replace(/\/$/, "") === expected.replace(/\/$/, "")) {
    return actual.endsWith("/")
      ? "has a trailing slash the other lacks"
      : "lacks the trailing slash";
  }
  if (actual.toLowerCase() === expected.toLowerCase()) return "differs in letter case";
  return "is another URL";
}

/** `{issuer}/.well-known/openid-configuration`, as Entra builds it. */
export function discoveryUrl(issuer: string): string {
  return `${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`;
}

export function expectedJwksUri(issuer: string): string {
  return `${issuer.replace(/\/$/, "")}/openid/v1/jwks`;
}

export interface Discovery {
  issuer?: unknown;
  jwks_uri?: unknown;
}

export function checkDiscovery(issuer: string, fetched: Fetched<string>): CheckResult[] {
  const url = discoveryUrl(issuer);
  if (!fetched.ok) {
    return [
      fail(
        "issuer discovery",
        `${url} cannot be read anonymously over HTTPS: ${fetched.error}`,
        "publish the documents (pulumi up) and allow anonymous reads: the storage account's static website, or a container with blob public access",
        "AADSTS90061/AADSTS50166",
      ),
    ];
  }
  let doc: Discovery;
  try {
    doc = JSON.parse(fetched.value) as Discovery;
  } catch {
    return [
      fail(
        "issuer discovery",
        `${url} is not JSON`,
        "upload the discovery document the stack renders",
        "AADSTS90061",
      ),
    ];
  }
  const results: CheckResult[] = [];
  if (doc.issuer === issuer) {
    results.push(pass("issuer discovery", `${url}: issuer is ${JSON.stringify(issuer)}`));
  } else {
    results.push(
      fail(
        "issuer discovery",
        `the discovery document's issuer ${JSON.stringify(doc.issuer)} ${typeof doc.issuer === "string" ? issuerDifference(doc.issuer, issuer) : "is missing"} against ${JSON.stringify(issuer)}`,
        "publish the document rendered from the one issuer string the API server and the federated credentials use",
        "AADSTS700211",
      ),
    );
  }
  const jwks = expectedJwksUri(issuer);
  results.push(
    doc.jwks_uri === jwks
      ? pass("issuer jwks_uri", `jwks_uri is ${jwks}`)
      : fail(
          "issuer jwks_uri",
          `jwks_uri is ${JSON.stringify(doc.jwks_uri)}, expected ${JSON.stringify(jwks)}`,
          "publish the discovery document the stack renders (its jwks_uri is the issuer's /openid/v1/jwks)",
          "AADSTS7000272",
        ),
  );
  return results;
}

export interface Jwk {
  kid?: string;
  kty?: string;
  alg?: string;
  use?: string;
  n?: string;
  e?: string;
}

/** The published key set, checked; the keys by kid for the token checks. */
export function checkJwks(
  url: string,
  fetched: Fetched<string>,
): { result: CheckResult; keys: Map<string, Jwk> } {
  const keys = new Map<string, Jwk>();
  if (!fetched.ok) {
    return {
      result: fail(
        "issuer jwks",
        `${url} cannot be read anonymously over HTTPS: ${fetched.error}`,
        "upload the JWKS beside the discovery document, readable anonymously",
        "AADSTS7000272",
      ),
      keys,
    };
  }
  let parsed: { keys?: Jwk[] };
  try {
    parsed = JSON.parse(fetched.value) as { keys?: Jwk[] };
  } catch {
    return {
      result: fail(
        "issuer jwks",
        `${url} is not JSON`,
        "upload the JWKS the stack renders",
        "AADSTS7000272",
      ),
      keys,
    };
  }
  for (const k of parsed.keys ?? []) if (typeof k.kid === "string") keys.set(k.kid, k);
  const bad = [...keys.values()].filter((k) => k.kty !== "RSA" || (k.alg ?? "RS256") !== "RS256");
  if (keys.size === 0 || bad.length > 0) {
    return {
      result: fail(
        "issuer jwks",
        keys.size === 0
          ? `${url} publishes no key`
          : `${url} publishes keys Entra cannot use (kid ${bad.map((k) => k.kid).join(", ")}: not RSA/RS256)`,
        "publish the RSA public keys the API server signs with",
        keys.size === 0 ? "AADSTS7000272" : "AADSTS5002738",
      ),
      keys,
    };
  }
  return {
    result: pass("issuer jwks", `${url}: ${keys.size} key(s), kid ${[...keys.keys()].join(", ")}`),
    keys,
  };
}

export interface TokenClaims {
  header: { kid?: string; alg?: string };
  payload: { iss?: string; sub?: string; aud?: string | string[]; exp?: number };
}

export function decodeJwt(token: string): TokenClaims | undefined {
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  try {
    return {
      header: JSON.parse(
        Buffer.from(parts[0], "base64url").toString("utf8"),
      ) as TokenClaims["header"],
      payload: JSON.parse(
        Buffer.from(parts[1], "base64url").toString("utf8"),
      ) as TokenClaims["payload"],
    };
  } catch {
    return undefined;
  }
}

/** Whether a JWT's RS256 signature verifies with a JWK. */
export function verifiesWith(token: string, jwk: Jwk): boolean {
  const [h, p, s] = token.split(".");
  try {
    const key = crypto.createPublicKey({ key: { kty: "RSA", n: jwk.n, e: jwk.e }, format: "jwk" });
    return crypto.verify("RSA-SHA256", Buffer.from(`${h}.${p}`), key, Buffer.from(s, "base64url"));
  } catch {
    return false;
  }
}

/** A fresh token of a ServiceAccount: its issuer, its key, its signature, its subject. */
export function checkToken(
  sa: string,
  issuer: string,
  /** The published keys; undefined when the JWKS could not be read. */
  keys: Map<string, Jwk> | undefined,
  fetched: Fetched<string>,
  audience = AZURE_AD_TOKEN_EXCHANGE_AUDIENCE,
): CheckResult {
  const check = `token ${sa}`;
  if (!fetched.ok) {
    return fail(
      check,
      `no token from the TokenRequest API: ${fetched.error}`,
      "create the ServiceAccount (pulumi up) and check the kubeconfig's access",
    );
  }
  const claims = decodeJwt(fetched.value);
  if (!claims)
    return fail(
      check,
      "the API server returned something that is not a JWT",
      "check the API server",
    );
  const { iss, sub, aud } = claims.payload;
  const [ns, name] = sa.split("/");
  if (iss !== issuer) {
    return fail(
      check,
      `the token's iss ${JSON.stringify(iss)} ${typeof iss === "string" ? issuerDifference(iss, issuer) : "is missing"} against the published ${JSON.stringify(issuer)}`,
      "give the API server --service-account-issuer exactly the issuer string the documents publish (recreate the cluster with the stack's kind config)",
      "AADSTS700211",
    );
  }
  const kid = claims.header.kid ?? "";
  if (!keys) {
    return fail(
      check,
      `the token's kid ${kid} cannot be looked up: the published JWKS is not readable`,
      "make the JWKS readable (see the issuer jwks check)",
      "AADSTS7000272",
    );
  }
  const jwk = keys.get(kid);
  if (!jwk) {
    return fail(
      check,
      `the token's kid ${kid} is not in the published JWKS`,
      "publish the public key the API server signs with (during a rotation, publish the new key before signing with it)",
      "AADSTS7000272",
    );
  }
  if (!verifiesWith(fetched.value, jwk)) {
    return fail(
      check,
      `the token's signature does not verify with the published key ${kid}`,
      "publish the public half of the API server's signing key",
      "AADSTS7000272",
    );
  }
  const audiences = Array.isArray(aud) ? aud : [aud];
  if (sub !== serviceAccountSubject(ns, name) || !audiences.includes(audience)) {
    return fail(
      check,
      `unexpected claims sub=${String(sub)} aud=${JSON.stringify(aud)}`,
      "check the API server's --api-audiences",
    );
  }
  return pass(check, `iss, kid ${kid} and signature verify against the published documents`);
}

/**
 * The federated credential that nearly trusts a ServiceAccount, and where it differs: the
 * subject in letter case only, or the same name in another namespace, or another name (a near
 * spelling) in the same namespace.
 */
export function nearMiss(
  fics: ArmFederatedCredential[],
  namespace: string,
  name: string,
): { fic: ArmFederatedCredential; differs: "letter case" | "namespace" | "name" } | undefined {
  const subject = serviceAccountSubject(namespace, name);
  const cased = fics.find((f) => f.subject.toLowerCase() === subject.toLowerCase());
  if (cased) return { fic: cased, differs: "letter case" };
  const parsed = fics.flatMap((fic) => {
    const m = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(fic.subject);
    return m ? [{ fic, namespace: m[1], name: m[2] }] : [];
  });
  const otherNamespace = parsed.filter((p) => p.name === name).map((p) => p.namespace);
  const ns = nearest(namespace, otherNamespace) ?? otherNamespace[0];
  const inNamespace = parsed.find((p) => p.name === name && p.namespace === ns);
  if (inNamespace) return { fic: inNamespace.fic, differs: "namespace" };
  const sameNamespace = parsed.filter((p) => p.namespace === namespace);
  const close = nearest(
    name,
    sameNamespace.map((p) => p.name),
  );
  const named = sameNamespace.find((p) => p.name === close);
  return named ? { fic: named.fic, differs: "name" } : undefined;
}

/**
 * An identity's federated credentials against the ServiceAccounts that should use it: one FIC
 * per subject, with the cluster's issuer and the audience byte for byte; at most 20.
 */
export function checkFederatedCredentials(
  identity: string,
  serviceAccounts: string[],
  issuer: string,
  fetched: Fetched<ArmFederatedCredential[]>,
  audience = AZURE_AD_TOKEN_EXCHANGE_AUDIENCE,
): CheckResult[] {
  if (!fetched.ok) {
    return [
      fail(
        `federated credentials ${identity}`,
        `cannot read them from Azure Resource Manager: ${fetched.error}`,
        "check the identity's resource id and your Azure access (az login, Reader on the identity)",
      ),
    ];
  }
  const fics = fetched.value;
  const results: CheckResult[] = [];
  for (const sa of serviceAccounts) {
    const [ns, name] = sa.split("/");
    const subject = serviceAccountSubject(ns, name);
    const check = `federated credential ${identity} ${sa}`;
    const exact = fics.filter((f) => f.subject === subject);
    if (exact.length === 0) {
      const near = nearMiss(fics, ns, name);
      results.push(
        fail(
          check,
          near
            ? `no federated credential has subject ${JSON.stringify(subject)}; ${near.fic.name} has ${JSON.stringify(near.fic.subject)}, which differs in ${near.differs}`
            : `no federated credential has subject ${JSON.stringify(subject)}`,
          near
            ? `trust ${sa} byte for byte: correct the ${near.differs} of the ServiceAccount in the stack config (or of ${near.fic.name}'s subject) and pulumi up`
            : "add the ServiceAccount to the identity's serviceAccounts in the stack config and pulumi up",
          // Entra matches the issuer first: with no credential of this issuer, that is the miss.
          fics.some((f) => f.issuer === issuer) ? "AADSTS700213" : "AADSTS700211",
        ),
      );
      continue;
    }
    const good = exact.find(
      (f) => f.issuer === issuer && f.audiences.length === 1 && f.audiences[0] === audience,
    );
    if (good) {
      results.push(pass(check, `${good.name}: issuer, subject and audience match`));
      continue;
    }
    const f = exact[0];
    if (f.issuer !== issuer) {
      results.push(
        fail(
          check,
          `${f.name}'s issuer ${JSON.stringify(f.issuer)} ${issuerDifference(f.issuer, issuer)} against the cluster's ${JSON.stringify(issuer)}`,
          "make the credential's issuer the cluster's issuer string byte for byte (pulumi up puts the one issuer everywhere)",
          "AADSTS700211",
        ),
      );
    } else {
      results.push(
        fail(
          check,
          `${f.name}'s audiences ${JSON.stringify(f.audiences)}, expected ${JSON.stringify([audience])}`,
          `set the credential's audiences to exactly ${JSON.stringify([audience])}`,
          "AADSTS700212",
        ),
      );
    }
  }
  results.push(credentialBudget(identity, fics.length));
  return results;
}

/** From this many credentials on, the doctor warns: two more clusters or ServiceAccounts fill
 * the identity. */
export const FIC_WARN_AT = 18;

/** The identity's credentials against Entra's 20, counted in Azure (every writer's). */
export function credentialBudget(identity: string, count: number): CheckResult {
  const check = `federated credentials ${identity}`;
  const used = `${count} of ${FIC_LIMIT} federated credentials used`;
  if (count < FIC_WARN_AT) return pass(check, used);
  return {
    check,
    status: "warn",
    detail:
      count >= FIC_LIMIT
        ? `${used}: no room for another ServiceAccount or cluster`
        : `${used}: room for ${FIC_LIMIT - count} more`,
    fix: "serve further AKS clusters through an identity binding (one credential for all of them: FleetIdentity identityBinding), or trust further ServiceAccounts from another identity",
  };
}

interface Meta {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface ServiceAccountObject {
  metadata?: Meta;
}

/** The ServiceAccount exists and names the identity that trusts it. */
export function checkServiceAccount(
  sa: string,
  clientId: string | undefined,
  fetched: Fetched<ServiceAccountObject | undefined>,
): CheckResult {
  const check = `serviceaccount ${sa}`;
  if (!fetched.ok)
    return fail(check, `cannot read it: ${fetched.error}`, "check the kubeconfig's access");
  if (!fetched.value) {
    return fail(
      check,
      "does not exist",
      "create it: pulumi up (or the tool that owns it, with the client-id annotation)",
    );
  }
  const annotated = fetched.value.metadata?.annotations?.[CLIENT_ID_ANNOTATION];
  if (annotated === undefined) {
    return fail(
      check,
      `has no ${CLIENT_ID_ANNOTATION} annotation: the webhook leaves AZURE_CLIENT_ID out (azure-workload-identity #1357)`,
      `annotate it: kubectl annotate serviceaccount -n ${sa.split("/")[0]} ${sa.split("/")[1]} ${CLIENT_ID_ANNOTATION}=${clientId ?? "<client id>"}`,
    );
  }
  if (clientId !== undefined && annotated !== clientId) {
    return fail(
      check,
      `is annotated with client id ${annotated}, but the identity that trusts it is ${clientId}`,
      `set ${CLIENT_ID_ANNOTATION}=${clientId}`,
      "AADSTS700213",
    );
  }
  return pass(check, `annotated with client id ${annotated}`);
}

interface Container {
  name?: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string }[];
  volumeMounts?: { name: string; mountPath: string }[];
}

export interface PodObject {
  metadata?: Meta;
  spec?: {
    serviceAccountName?: string;
    containers?: Container[];
    volumes?: {
      name: string;
      projected?: {
        sources?: {
          serviceAccountToken?: { audience?: string; expirationSeconds?: number; path?: string };
        }[];
      };
    }[];
  };
}

/** What the webhook put into a pod: the env per container, and the projected token. */
export function mutationOf(pod: PodObject): {
  env: Record<string, string>;
  audience?: string;
  expirationSeconds?: number;
} {
  const env: Record<string, string> = {};
  for (const e of pod.spec?.containers?.[0]?.env ?? []) {
    if ((WEBHOOK_ENV as readonly string[]).includes(e.name)) env[e.name] = e.value ?? "";
  }
  const token = (pod.spec?.volumes ?? [])
    .flatMap((v) => v.projected?.sources ?? [])
    .map((s) => s.serviceAccountToken)
    .find((t) => t?.audience === AZURE_AD_TOKEN_EXCHANGE_AUDIENCE);
  return { env, audience: token?.audience, expirationSeconds: token?.expirationSeconds };
}

/** A labelled pod's server-side dry run shows the webhook's mutation. */
export function checkWebhook(
  sa: string,
  clientId: string | undefined,
  fetched: Fetched<PodObject>,
): CheckResult {
  const check = `webhook ${sa}`;
  if (!fetched.ok) {
    return fail(
      check,
      `a labelled pod cannot be created (dry run): ${fetched.error}`,
      "check the webhook's pods and service in its namespace (kubectl get pods,svc -n azure-workload-identity-system)",
    );
  }
  const m = mutationOf(fetched.value);
  const missing = WEBHOOK_ENV.filter((e) => !(e in m.env));
  if (missing.length === WEBHOOK_ENV.length && !m.audience) {
    return fail(
      check,
      `a pod labelled ${USE_LABEL}: "true" is not mutated: the webhook is not installed or does not select it`,
      "install the webhook (the stack's Webhook component) and create pods after it is ready",
    );
  }
  if (missing.length > 0 || !m.audience) {
    return fail(
      check,
      `the mutation is incomplete: ${missing.length ? `no ${missing.join(", ")}` : "no projected token"}`,
      `annotate the ServiceAccount with ${CLIENT_ID_ANNOTATION}`,
    );
  }
  if (clientId !== undefined && m.env.AZURE_CLIENT_ID !== clientId) {
    return fail(
      check,
      `AZURE_CLIENT_ID is ${m.env.AZURE_CLIENT_ID}, expected ${clientId}`,
      `set ${CLIENT_ID_ANNOTATION}=${clientId} on the ServiceAccount`,
    );
  }
  return pass(
    check,
    `mutated: AZURE_CLIENT_ID ${m.env.AZURE_CLIENT_ID}, token file ${m.env.AZURE_FEDERATED_TOKEN_FILE}, audience ${m.audience}, ${m.expirationSeconds ?? "?"} s`,
  );
}

/** Where azure-workload-identity before v1.6.0 projected the token; v1.6.0 moved it. */
export const OLD_TOKEN_DIR = "/var/run/secrets/azure/tokens";

/**
 * The first Azure Identity releases whose DefaultAzureCredential reads a workload identity
 * token (the AKS workload identity overview's table of minimum versions), by the names the
 * package managers pin them under.
 */
const MINIMUM_SDK: { pattern: RegExp; minimum: number[]; name: string }[] = [
  {
    name: "azure-identity (Python)",
    pattern: /azure-identity\s*={1,2}\s*(\d+\.\d+\.\d+)/g,
    minimum: [1, 13, 0],
  },
  {
    name: "@azure/identity",
    pattern: /@azure\/identity@\^?~?(\d+\.\d+\.\d+)/g,
    minimum: [3, 2, 0],
  },
  { name: "azidentity (Go)", pattern: /azidentity@v(\d+\.\d+\.\d+)/g, minimum: [1, 3, 0] },
  {
    name: "Azure.Identity (.NET)",
    pattern: /Azure\.Identity\s+(?:--version|-v|:)\s*(\d+\.\d+\.\d+)/g,
    minimum: [1, 9, 0],
  },
  {
    name: "azure-identity (Java)",
    pattern: /com\.azure:azure-identity:(\d+\.\d+\.\d+)/g,
    minimum: [1, 9, 0],
  },
];

const older = (version: number[], minimum: number[]) => {
  for (let i = 0; i < minimum.length; i++) {
    if ((version[i] ?? 0) !== minimum[i]) return (version[i] ?? 0) < minimum[i];
  }
  return false;
};

/**
 * What a container shows of reading the token the old way: the pre-v1.6.0 token path in its
 * command, arguments, environment or mounts, or an Azure Identity SDK pinned below the first
 * release that reads AZURE_FEDERATED_TOKEN_FILE.
 */
export function oldTokenReaders(container: Container): string[] {
  const texts = [
    ...(container.command ?? []),
    ...(container.args ?? []),
    ...(container.env ?? []).map((e) => `${e.name}=${e.value ?? ""}`),
    ...(container.volumeMounts ?? []).map((m) => m.mountPath),
  ];
  const found: string[] = [];
  if (texts.some((t) => t.includes(OLD_TOKEN_DIR))) {
    found.push(`reads the token at ${OLD_TOKEN_DIR}/, where webhook v1.6.0 no longer puts it`);
  }
  for (const sdk of MINIMUM_SDK) {
    for (const text of texts) {
      for (const m of text.matchAll(sdk.pattern)) {
        if (older(m[1].split(".").map(Number), sdk.minimum)) {
          found.push(
            `pins ${sdk.name} ${m[1]}, older than ${sdk.minimum.join(".")}, the first to read AZURE_FEDERATED_TOKEN_FILE`,
          );
        }
      }
    }
  }
  return found;
}

/** Pods already running as the ServiceAccount: labelled, mutated, no proxy opt-out. */
export function checkPods(sa: string, pods: Fetched<PodObject[]>): CheckResult {
  const check = `pods ${sa}`;
  if (!pods.ok)
    return fail(check, `cannot list pods: ${pods.error}`, "check the kubeconfig's access");
  const [, name] = sa.split("/");
  const mine = pods.value.filter((p) => (p.spec?.serviceAccountName ?? "default") === name);
  const problems: string[] = [];
  const fixes = new Set<string>();
  for (const p of mine) {
    const pod = p.metadata?.name ?? "?";
    if (p.metadata?.labels?.[USE_LABEL] !== "true") {
      problems.push(`${pod} lacks the label ${USE_LABEL}: "true"`);
      fixes.add(`label the pod template ${USE_LABEL}: "true"`);
    } else if (!("AZURE_FEDERATED_TOKEN_FILE" in mutationOf(p).env)) {
      problems.push(`${pod} was not mutated (created before the webhook was ready)`);
      fixes.add("delete the pod so its controller recreates it");
    }
    for (const c of p.spec?.containers ?? []) {
      for (const problem of oldTokenReaders(c)) {
        problems.push(`${pod} container ${c.name ?? "?"} ${problem}`);
        fixes.add(
          "read the token file that AZURE_FEDERATED_TOKEN_FILE names, through an Azure Identity SDK of at least the listed version",
        );
      }
    }
    if (p.metadata?.annotations?.[INJECT_PROXY_ANNOTATION] === "false") {
      problems.push(
        `${pod} sets ${INJECT_PROXY_ANNOTATION}: "false", which still injects the proxy (azure-workload-identity #1210)`,
      );
      fixes.add(`remove the ${INJECT_PROXY_ANNOTATION} annotation`);
    }
  }
  if (problems.length > 0) return fail(check, problems.join("; "), [...fixes].join("; "));
  return pass(
    check,
    mine.length === 0 ? "no pod runs as it yet" : `${mine.length} pod(s) labelled and mutated`,
  );
}

/** The role assignments the stack made, found in Azure at their scopes. */
export function checkRoleAssignments(
  identity: string,
  expected: { scope: string; roleDefinitionId: string }[],
  found: Fetched<ArmRoleAssignment[]>,
): CheckResult {
  const check = `role assignments ${identity}`;
  if (expected.length === 0)
    return { check, status: "skip", detail: "no role assignment expected" };
  if (!found.ok)
    return fail(
      check,
      `cannot read them: ${found.error}`,
      "check your Azure access (Reader at the scopes)",
    );
  const guid = (id: string) => id.slice(id.lastIndexOf("/") + 1).toLowerCase();
  const missing = expected.filter(
    (e) =>
      !found.value.some(
        (a) =>
          a.scope.toLowerCase() === e.scope.toLowerCase() &&
          guid(a.roleDefinitionId) === guid(e.roleDefinitionId),
      ),
  );
  if (missing.length > 0) {
    return fail(
      check,
      `missing: ${missing.map((m) => `role ${guid(m.roleDefinitionId)} at ${m.scope}`).join("; ")}`,
      "pulumi up (a role assignment deleted outside the stack is recreated after pulumi refresh)",
    );
  }
  return pass(check, `${expected.length} assignment(s) in place`);
}
