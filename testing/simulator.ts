/**
 * A simulated Azure and Kubernetes for Pulumi's mock monitor: every resource and invoke the
 * project uses gets the outputs the real provider would compute, formed the way Azure forms them
 * (endpoint URLs, resource ids, GUIDs), and every registration is recorded with its raw inputs
 * (secret markers kept), parent, dependencies and options.
 *
 * Shared by the tests, `npm run plan` and `npm run bench`. Values the cloud would assign are
 * deterministic (hashes of the resource's name), so plans are stable and diffable; the RSA keys a
 * `tls.PrivateKey` would generate are real keys.
 */
import * as crypto from "node:crypto";

import * as pulumi from "@pulumi/pulumi";

import { DocumentWriter, standInForSignIn } from "../components/issuer/documentWriter";
import {
  ISSUER_DOCUMENT_TYPE,
  IssuerDocumentInputs,
  issuerDocumentUrl,
} from "../components/issuer/issuerDocumentSpec";
import { MadeObject, SIMULATED_TYPES, at, azureRefusal, madeBeside } from "./simulatedAzure";
import { identityBindingIssuer } from "../components/identity/workloadIdentityNames";

/** The marker Pulumi's wire format puts on a secret value. */
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const SIG_KEY = "4dabf18193072939515e22adb298388d";

export interface SimulatedResource {
  type: string;
  name: string;
  custom: boolean;
  urn: string;
  parent: string;
  /** Every resource this one waits for: explicit dependsOn and input dependencies. */
  dependencies: string[];
  /** Inputs as the engine receives them; secrets are `{ [SIG_KEY]: SECRET_SIG, value }`. */
  raw: Record<string, unknown>;
  /** Inputs with the secret markers removed. */
  inputs: Record<string, unknown>;
  /** The outputs the simulated provider returned (custom resources only). */
  outputs: Record<string, unknown>;
  options: {
    deleteBeforeReplace: boolean;
    /** Deleting it only drops it from state (the cloud object stays). */
    retainOnDelete: boolean;
    additionalSecretOutputs: string[];
    replaceOnChanges: string[];
    protect: boolean;
    provider: string;
  };
  /** Milliseconds since the simulator started: when registration began and ended. */
  startedMs: number;
  endedMs: number;
}

/**
 * Every GUID the simulator invents starts with this: eight zeros cannot be mistaken for an id
 * Azure assigned (real tenant, subscription, client and principal ids are random).
 */
export const SIMULATED_GUID_PREFIX = "00000000-0000-4000-8000-";
/** Every name suffix the simulator invents (storage account, auto-names) starts with this. */
export const SIMULATED_SUFFIX_PREFIX = "sim";

function hash(...parts: string[]): Buffer {
  return crypto.createHash("sha256").update(parts.join("\u0000")).digest();
}

/** A GUID derived from its inputs, so that simulated ids are stable between runs, and marked as
 * simulated by {@link SIMULATED_GUID_PREFIX}. */
export function stableGuid(...parts: string[]): string {
  return `${SIMULATED_GUID_PREFIX}${hash(...parts)
    .toString("hex")
    .slice(0, 12)}`;
}

/** A suffix of `length` lowercase letters and digits, starting with "sim". */
function stableAlnum(length: number, ...parts: string[]): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  const tail = [...hash(...parts)]
    .slice(0, Math.max(0, length - SIMULATED_SUFFIX_PREFIX.length))
    .map((b) => alphabet[b % alphabet.length])
    .join("");
  return `${SIMULATED_SUFFIX_PREFIX}${tail}`.slice(0, length);
}

export const SIMULATED = {
  subscriptionId: stableGuid("subscription"),
  tenantId: stableGuid("tenant"),
  clientObjectId: stableGuid("client"),
  location: "westeurope",
  webZone: "z6",
} as const;

/** The principal the simulated Azure sign-in is: the client getClientConfig answers with. */
const SIMULATED_DEPLOYER: DocumentWriter = {
  principalId: SIMULATED.clientObjectId,
  principalType: "ServicePrincipal",
};

/** True when a text holds a value the simulator invented (a GUID or a name suffix). */
export function isSimulatedText(text: string): boolean {
  return (
    text.includes(SIMULATED_GUID_PREFIX) ||
    new RegExp(`${SIMULATED_SUFFIX_PREFIX}[a-z0-9]{5}`).test(text)
  );
}

/** True for a value in Pulumi's wire form of a secret. */
export function isSecretValue(v: unknown): v is { value: unknown } {
  return (
    typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG
  );
}

/** Removes secret markers, leaving plain values. */
export function unwrapSecrets(v: unknown): unknown {
  return mapSecrets(v, (secret) => unwrapSecrets(secret.value));
}

/** Copies a value, replacing each secret (in Pulumi's wire form) with what `replace` returns. */
export function mapSecrets(v: unknown, replace: (secret: { value: unknown }) => unknown): unknown {
  if (isSecretValue(v)) return replace(v);
  if (Array.isArray(v)) return v.map((x) => mapSecrets(x, replace));
  if (typeof v === "object" && v !== null) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mapSecrets(x, replace)]));
  }
  return v;
}

/** Yields every string that sits outside any secret, with its path. */
export function* plainStrings(v: unknown, path = ""): Generator<[string, string]> {
  if (isSecretValue(v)) return;
  if (typeof v === "string") yield [path, v];
  else if (Array.isArray(v))
    for (const [i, x] of v.entries()) yield* plainStrings(x, `${path}[${i}]`);
  else if (typeof v === "object" && v !== null)
    for (const [k, x] of Object.entries(v)) yield* plainStrings(x, path ? `${path}.${k}` : k);
}

/** A kubeconfig as kind or AKS would hand it out: its client key is obviously fake, but it is
 * shaped like a private key so that a leak of it is caught by the secret checks. */
export function simulatedKubeconfig(clusterName: string, server: string): string {
  const fakeKey = Buffer.from(
    `-----BEGIN RSA PRIVATE KEY-----\nsimulated-client-key-for-${clusterName}\n-----END RSA PRIVATE KEY-----\n`,
  ).toString("base64");
  const fakeCert = Buffer.from(`simulated-client-certificate-for-${clusterName}`).toString(
    "base64",
  );
  const fakeCa = Buffer.from(`simulated-cluster-ca-for-${clusterName}`).toString("base64");
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- cluster:",
    `    certificate-authority-data: ${fakeCa}`,
    `    server: ${server}`,
    `  name: ${clusterName}`,
    "contexts:",
    "- context:",
    `    cluster: ${clusterName}`,
    `    user: ${clusterName}-user`,
    `  name: ${clusterName}`,
    `current-context: ${clusterName}`,
    "users:",
    `- name: ${clusterName}-user`,
    "  user:",
    `    client-certificate-data: ${fakeCert}`,
    `    client-key-data: ${fakeKey}`,
    "",
  ].join("\n");
}

/**
 * An RSA public key's fingerprint as the tls provider writes it: OpenSSH's, the SHA-256 of the
 * key's SSH wire form (its type, e and n, each length-prefixed), unpadded base64.
 */
export function sshFingerprint(key: crypto.KeyObject): string {
  const jwk = key.export({ format: "jwk" });
  const field = (b: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(b.length);
    return Buffer.concat([length, b]);
  };
  // An mpint is two's complement: a leading bit set needs a zero byte before it.
  const mpint = (b64url: string | undefined) => {
    const b = Buffer.from(b64url ?? "", "base64url");
    return field(b[0] & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);
  };
  const wire = Buffer.concat([field(Buffer.from("ssh-rsa")), mpint(jwk.e), mpint(jwk.n)]);
  return `SHA256:${crypto.createHash("sha256").update(wire).digest("base64").replace(/=+$/, "")}`;
}

/** A value as text for an id, URL or table cell: strings as they are, anything else as JSON. */
export function text(v: unknown): string {
  if (typeof v === "string") return v;
  return v === undefined || v === null ? "" : JSON.stringify(v);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Where a resource's simulated outputs are computed from: its type, name and inputs, and the
 * ids Azure would build from them. */
interface OutputContext {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  sub: string;
  rg: string;
  rgId: string;
  /** azure-native's auto-name: the logical name and a random 8-character suffix. */
  autoName: (explicit: unknown) => string;
  /** An object made earlier, by resource id (Azure compares ids case-insensitively). */
  find: (id: string) => MadeObject | undefined;
}

/** A Namespace's or ServiceAccount's outputs: its name (auto-named if need be) and a uid. */
function kubernetesObjectOutputs({
  type,
  inputs,
  autoName,
}: OutputContext): Record<string, unknown> {
  const metadata = (inputs.metadata ?? {}) as Record<string, unknown>;
  const n = autoName(metadata.name);
  return {
    id: metadata.namespace ? `${text(metadata.namespace)}/${n}` : n,
    metadata: { ...metadata, name: n, uid: stableGuid("uid", type, n) },
  };
}

/** What the real provider computes for each type, beyond the inputs (behaviours.json). */
const OUTPUTS: Record<string, (c: OutputContext) => Record<string, unknown>> = {
  "azure-native:resources:ResourceGroup": ({ inputs, sub, autoName }) => {
    const n = autoName(inputs.resourceGroupName);
    return {
      id: `${sub}/resourceGroups/${n}`,
      name: n,
      location: inputs.location ?? SIMULATED.location,
    };
  },
  "random:index/randomString:RandomString": ({ type, name, inputs }) => {
    const length = Number(inputs.length ?? 8);
    return { id: name, result: stableAlnum(length, type, name) };
  },
  "azure-native:storage:StorageAccount": ({ inputs, rgId }) => {
    const n = text(inputs.accountName);
    return {
      id: `${rgId}/providers/Microsoft.Storage/storageAccounts/${n}`,
      name: n,
      location: inputs.location ?? SIMULATED.location,
      primaryEndpoints: {
        blob: `https://${n}.blob.core.windows.net/`,
        dfs: `https://${n}.dfs.core.windows.net/`,
        file: `https://${n}.file.core.windows.net/`,
        queue: `https://${n}.queue.core.windows.net/`,
        table: `https://${n}.table.core.windows.net/`,
        web: `https://${n}.${SIMULATED.webZone}.web.core.windows.net/`,
      },
      provisioningState: "Succeeded",
    };
  },
  "azure-native:storage:StorageAccountStaticWebsite": ({ inputs, rgId }) => {
    return {
      id: `${rgId}/providers/Microsoft.Storage/storageAccounts/${text(inputs.accountName)}/staticWebsite`,
      containerName: "$web",
    };
  },
  "azure-native:storage:BlobContainer": ({ inputs, rgId, autoName }) => {
    const n = autoName(inputs.containerName);
    return {
      id: `${rgId}/providers/Microsoft.Storage/storageAccounts/${text(inputs.accountName)}/blobServices/default/containers/${n}`,
      name: n,
    };
  },
  "azure-native:storage:Blob": ({ inputs, autoName }) => {
    const n = autoName(inputs.blobName);
    const url = `https://${text(inputs.accountName)}.blob.core.windows.net/${text(inputs.containerName)}/${n}`;
    return { id: url, name: n, url };
  },
  [ISSUER_DOCUMENT_TYPE]: ({ inputs }) => ({
    id: issuerDocumentUrl(inputs as unknown as IssuerDocumentInputs),
  }),
  "azure-native:managedidentity:UserAssignedIdentity": ({ inputs, rg, rgId, autoName }) => {
    const n = autoName(inputs.resourceName);
    return {
      id: `${rgId}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${n}`,
      name: n,
      clientId: stableGuid("clientId", rg, n),
      principalId: stableGuid("principalId", rg, n),
      tenantId: SIMULATED.tenantId,
      location: inputs.location ?? SIMULATED.location,
    };
  },
  "azure-native:managedidentity:FederatedIdentityCredential": ({ inputs, rgId, autoName }) => {
    const n = autoName(inputs.federatedIdentityCredentialResourceName);
    return {
      id: `${rgId}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${text(inputs.resourceName)}/federatedIdentityCredentials/${n}`,
      name: n,
    };
  },
  "azure-native:authorization:RoleAssignment": ({ name, inputs }) => {
    const n =
      typeof inputs.roleAssignmentName === "string"
        ? inputs.roleAssignmentName
        : stableGuid("ra", name);
    return {
      id: `${text(inputs.scope)}/providers/Microsoft.Authorization/roleAssignments/${n}`,
      name: n,
    };
  },
  "azure-native:containerservice:ManagedCluster": ({ inputs, sub, rg, rgId, autoName }) => {
    const n = autoName(inputs.resourceName);
    const profile = (inputs.oidcIssuerProfile ?? {}) as Record<string, unknown>;
    return {
      id: `${rgId}/providers/Microsoft.ContainerService/managedClusters/${n}`,
      name: n,
      fqdn: `${n}-dns-${stableAlnum(8, n)}.hcp.${SIMULATED.location}.azmk8s.io`,
      oidcIssuerProfile: {
        ...profile,
        issuerURL: profile.enabled
          ? `https://${SIMULATED.location}.oic.prod-aks.azure.com/${SIMULATED.tenantId}/${stableGuid("aks-issuer", n)}/`
          : undefined,
      },
      identityProfile: {
        kubeletidentity: {
          clientId: stableGuid("kubelet-client", n),
          objectId: stableGuid("kubelet-object", n),
          resourceId: `${sub}/resourceGroups/MC_${rg}_${n}_${SIMULATED.location}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${n}-agentpool`,
        },
      },
      provisioningState: "Succeeded",
    };
  },
  "azure-native:containerservice:IdentityBinding": ({ inputs, rgId, autoName, find }) => {
    const n = autoName(inputs.identityBindingName);
    const resourceId = text(at(inputs, "properties.managedIdentity.resourceId"));
    // An identity made elsewhere: ids as stable as a made one's.
    const identity = find(resourceId)?.outputs ?? {
      clientId: stableGuid("clientId", resourceId),
      principalId: stableGuid("principalId", resourceId),
      tenantId: SIMULATED.tenantId,
    };
    return {
      id: `${rgId}/providers/Microsoft.ContainerService/managedClusters/${text(inputs.resourceName)}/identityBindings/${n}`,
      name: n,
      properties: {
        managedIdentity: {
          resourceId,
          clientId: identity.clientId,
          objectId: identity.principalId,
          tenantId: identity.tenantId,
        },
        oidcIssuer: {
          oidcIssuerUrl: identityBindingIssuer(text(identity.tenantId), text(identity.clientId)),
        },
        provisioningState: "Succeeded",
      },
    };
  },
  "azure-native:keyvault:Vault": ({ inputs, rgId, autoName }) => {
    const n = autoName(inputs.vaultName);
    return {
      id: `${rgId}/providers/Microsoft.KeyVault/vaults/${n}`,
      name: n,
      properties: {
        ...((inputs.properties ?? {}) as Record<string, unknown>),
        vaultUri: `https://${n}.vault.azure.net/`,
      },
    };
  },
  "command:local:Command": ({ name, inputs }) => {
    const env = (inputs.environment ?? {}) as Record<string, string>;
    const cluster = env.WI_KIND_CLUSTER_NAME;
    // The cluster's create script prints the kubeconfig; the key script prints nothing.
    if (cluster && String(inputs.create).includes("get kubeconfig")) {
      return {
        id: `kind-${cluster}`,
        stdout: simulatedKubeconfig(`kind-${cluster}`, "https://127.0.0.1:40123"),
        stderr: "",
      };
    }
    return { id: name, stdout: "", stderr: "" };
  },
  "kubernetes:core/v1:Namespace": (c) => kubernetesObjectOutputs(c),
  "kubernetes:core/v1:ServiceAccount": (c) => kubernetesObjectOutputs(c),
  "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole": (c) => kubernetesObjectOutputs(c),
  "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding": (c) => kubernetesObjectOutputs(c),
  "kubernetes:helm.sh/v3:Release": ({ inputs, autoName }) => {
    const n = autoName(inputs.name);
    return {
      id: `${text(inputs.namespace)}/${n}`,
      name: n,
      status: {
        chart: inputs.chart,
        version: inputs.version,
        namespace: inputs.namespace,
        name: n,
        status: "deployed",
        revision: 1,
      },
    };
  },
};

export class SimulatedCloud implements pulumi.runtime.Mocks {
  readonly resources: SimulatedResource[] = [];
  /**
   * Who the Azure SDK's default credential chain signs in as (the principal an issuer whose
   * account refuses shared keys grants its documents' writer role to): the client
   * getClientConfig answers with. Undefined: no one, as on a machine without a sign-in.
   */
  signedIn: DocumentWriter | undefined = SIMULATED_DEPLOYER;
  readonly invokes: { token: string; inputs: Record<string, unknown> }[] = [];
  private readonly started = Date.now();
  private readonly keys = new Map<string, crypto.KeyPairKeyObjectResult>();

  /** What to do with a resource type it has no stand-in for (InstallOptions.otherTypes). */
  otherTypes: "refuse" | "echo" = "refuse";
  /** The types answered with their own inputs (otherTypes "echo"). */
  readonly notSimulated = new Set<string>();

  /** Outputs registered by components and the stack, by URN, secret markers kept. */
  readonly registeredOutputs = new Map<string, Record<string, unknown>>();

  /** Waits until every registration under way has been answered and nothing new arrives. */
  async settled(): Promise<void> {
    let stable = 0;
    let last = -1;
    while (stable < 5) {
      await sleep(2);
      const pending = this.resources.some((r) => r.endedMs === 0);
      if (!pending && this.resources.length === last) stable++;
      else stable = 0;
      last = this.resources.length;
    }
  }

  constructor() {
    standInForSignIn(() => this.signedIn);
  }

  /** Forgets what was recorded (between tests). */
  reset(): void {
    this.resources.length = 0;
    this.invokes.length = 0;
    this.registeredOutputs.clear();
    this.previousResources = {};
    this.previousReadError = undefined;
    this.previousReadFailures = undefined;
    this.made.clear();
    this.notSimulated.clear();
    this.signedIn = SIMULATED_DEPLOYER;
  }

  byType(type: string): SimulatedResource[] {
    return this.resources.filter((r) => r.type === type);
  }

  one(type: string, name?: string): SimulatedResource {
    const found = this.byType(type).filter((r) => name === undefined || r.name === name);
    if (found.length !== 1) {
      throw new Error(
        `expected one ${type}${name ? ` named ${name}` : ""}, found ${found.length}: ${this.resources
          .map((r) => `${r.type}/${r.name}`)
          .join(", ")}`,
      );
    }
    return found[0];
  }

  async newResource(
    args: pulumi.runtime.MockResourceArgs,
  ): Promise<{ id: string; state: Record<string, unknown> }> {
    // A real engine answers over gRPC, which yields to the event loop. Answering within the
    // same microtask chain starves timers and I/O callbacks (measured: 100 identities took
    // 8 s instead of 1.5 s to evaluate).
    await new Promise((resolve) => setImmediate(resolve));
    const inputs = args.inputs as Record<string, unknown>;
    const custom = args.custom !== false && !args.type.startsWith("pulumi:providers:");
    if (custom && !SIMULATED_TYPES.has(args.type)) {
      // A made-up answer would let a plan pass that no deployment could (behaviours.json).
      if (this.otherTypes !== "echo") {
        throw new Error(`the simulated cloud has no stand-in for ${args.type}`);
      }
      this.notSimulated.add(args.type);
      return { id: `${args.name}-id`, state: inputs };
    }
    // The mock monitor hands inputs over with secret markers (hoisted to the enclosing object).
    const plain = unwrapSecrets(inputs) as Record<string, unknown>;
    const outputs =
      args.type === "tls:index/privateKey:PrivateKey"
        ? await this.privateKeyOutputs(args.name, plain)
        : this.outputsFor(args.type, args.name, plain);
    const id = typeof outputs.id === "string" ? outputs.id : `${args.name}-id`;
    if (custom) {
      const refusal = azureRefusal(args.type, id, plain, this.made);
      if (refusal !== undefined) throw new Error(refusal);
      this.made.set(id, { type: args.type, inputs: plain, outputs });
      // What Azure makes beside it: an identity binding's credential on the identity.
      for (const [key, made] of madeBeside(args.type, outputs, this.made)) this.made.set(key, made);
    }
    return { id, state: { ...inputs, ...outputs } };
  }

  /** What the simulated cloud made, by resource id: what its refusals look at. */
  private readonly made = new Map<string, MadeObject>();

  /** What the stack's previous deployment left: each resource's type and outputs by URN (none:
   * the stack was never deployed). A test of a later up sets it; previousReadError makes the read fail. */
  previousResources: Record<string, { type: string; outputs: Record<string, unknown> }> = {};
  previousReadError: string | undefined;
  /** With previousReadError: how many reads fail before one succeeds (default: all of them). */
  previousReadFailures: number | undefined;

  call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
    const inputs = args.inputs as Record<string, unknown>;
    this.invokes.push({ token: args.token, inputs });
    switch (args.token) {
      case "azure-native:authorization:getClientConfig":
        return {
          clientId: SIMULATED.clientObjectId,
          objectId: SIMULATED.clientObjectId,
          subscriptionId: SIMULATED.subscriptionId,
          tenantId: SIMULATED.tenantId,
        };
      case "azure-native:storage:getStorageAccount": {
        // An account made elsewhere, as Resource Manager describes one (its endpoints formed the
        // way Azure forms them); the simulator cannot know it is there, so it answers as if.
        const name = text(inputs.accountName);
        const account = this.outputsFor("azure-native:storage:StorageAccount", name, inputs);
        return { ...account, kind: "StorageV2" };
      }
      case "azure-native:containerservice:listManagedClusterUserCredentials": {
        const name = text(inputs.resourceName);
        const server = `https://${name}-dns-${stableAlnum(8, name)}.hcp.${SIMULATED.location}.azmk8s.io:443`;
        return {
          kubeconfigs: [
            {
              name: "clusterUser",
              value: Buffer.from(simulatedKubeconfig(name, server)).toString("base64"),
            },
          ],
        };
      }
      case "pulumi:pulumi:readStackResourceOutputs":
        // The engine's builtin read of a stack's last deployment: a simulated stack has never
        // been deployed, so it has none (previousResources sets them for a test of a later up).
        // The engine's errors reach the SDK as gRPC errors, whose `details` it passes on.
        if (this.previousReadError !== undefined && (this.previousReadFailures ?? 1) > 0) {
          if (this.previousReadFailures !== undefined) this.previousReadFailures--;
          throw Object.assign(new Error(this.previousReadError), {
            details: this.previousReadError,
          });
        }
        return { name: inputs.stackName, outputs: this.previousResources };
      default:
        // A new invoke must be given a realistic answer here, not pass silently.
        throw new Error(`the simulator has no answer for invoke ${args.token}`);
    }
  }

  /** Records every registration the in-process mock monitor receives, with its raw request. */
  attach(): void {
    const monitor = pulumi.runtime.getMonitor() as unknown as RecordableMonitor | undefined;
    if (monitor) this.record(monitor);
  }

  /**
   * Wraps a monitor's registerResource and registerResourceOutputs so that every registration is
   * recorded with its raw request and timing: Pulumi's in-process mock monitor (tests, plan) or
   * the benchmark's engine serving a real program over gRPC.
   */
  record(monitor: RecordableMonitor): void {
    if (monitor.__simulated) return;
    const original = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, cb) => {
      const raw = (req.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>;
      const record: SimulatedResource = {
        type: req.getType(),
        name: req.getName(),
        custom: req.getCustom(),
        urn: "",
        parent: req.getParent(),
        dependencies: req.getDependenciesList(),
        raw,
        inputs: unwrapSecrets(raw) as Record<string, unknown>,
        outputs: {},
        options: {
          deleteBeforeReplace: req.getDeletebeforereplace(),
          retainOnDelete: req.getRetainondelete() ?? false,
          additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
          replaceOnChanges: req.getReplaceonchangesList(),
          protect: req.getProtect() ?? false,
          provider: req.getProvider(),
        },
        startedMs: Date.now() - this.started,
        endedMs: 0,
      };
      this.resources.push(record);
      original(req, (err, resp) => {
        record.endedMs = Date.now() - this.started;
        if (resp) {
          record.urn = resp.getUrn();
          record.outputs = (resp.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>;
        }
        cb(err, resp);
      });
    };
    const originalOutputs = monitor.registerResourceOutputs.bind(monitor);
    monitor.registerResourceOutputs = (req, cb) => {
      this.registeredOutputs.set(
        req.getUrn(),
        (req.getOutputs()?.toJavaScript() ?? {}) as Record<string, unknown>,
      );
      originalOutputs(req, cb);
    };
    monitor.__simulated = true;
  }

  /** Generates the key a `tls.PrivateKey` of this name will get, ahead of time: benchmarks use it
   * so that key generation (local work in a real provider) does not count as cloud latency. */
  async preloadKey(name: string, bits: number): Promise<void> {
    await this.rsaKey(name, bits);
  }

  /** A real RSA key pair, generated off the event loop (as the provider plugin would, in its own
   * process) so that other registrations are not held up meanwhile. */
  private async rsaKey(name: string, bits: number): Promise<crypto.KeyPairKeyObjectResult> {
    const cacheKey = `${name}/${bits}`;
    let pair = this.keys.get(cacheKey);
    if (!pair) {
      pair = await new Promise<crypto.KeyPairKeyObjectResult>((resolve, reject) =>
        crypto.generateKeyPair("rsa", { modulusLength: bits }, (err, publicKey, privateKey) =>
          err ? reject(err) : resolve({ publicKey, privateKey }),
        ),
      );
      this.keys.set(cacheKey, pair);
    }
    return pair;
  }

  /** What the TLS provider computes: a real key pair of the requested size. */
  private async privateKeyOutputs(
    name: string,
    inputs: Record<string, unknown>,
  ): Promise<Record<string, unknown>> {
    const pair = await this.rsaKey(name, Number(inputs.rsaBits ?? 2048));
    const publicKeyPem = pair.publicKey.export({ type: "spki", format: "pem" }).toString();
    return {
      id: crypto.createHash("sha1").update(publicKeyPem).digest("hex"),
      publicKeyPem,
      privateKeyPem: pair.privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
      privateKeyPemPkcs8: pair.privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
      publicKeyFingerprintSha256: sshFingerprint(pair.publicKey),
    };
  }

  /** What the real provider would compute for a resource, beyond its inputs. */
  outputsFor(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
    const sub = `/subscriptions/${SIMULATED.subscriptionId}`;
    const rg = text(inputs.resourceGroupName);
    const autoName = (explicit: unknown) =>
      typeof explicit === "string" && explicit !== ""
        ? explicit
        : `${name}${stableAlnum(8, type, name)}`;
    const compute = OUTPUTS[type];
    if (compute !== undefined) {
      return compute({
        type,
        name,
        inputs,
        sub,
        rg,
        rgId: `${sub}/resourceGroups/${rg}`,
        autoName,
        find: (id) =>
          [...this.made.entries()].find(([k]) => k.toLowerCase() === id.toLowerCase())?.[1],
      });
    }
    if (type.startsWith("pulumi:providers:")) return { id: `${name}-provider` };
    return { id: `${name}-id` };
  }
}

/** The parts of the protobuf request and response the recorder reads. */
interface ProtoStruct {
  toJavaScript(): unknown;
}
export interface RegisterRequest {
  getType(): string;
  getName(): string;
  getCustom(): boolean;
  getParent(): string;
  getObject(): ProtoStruct | undefined;
  getDependenciesList(): string[];
  getDeletebeforereplace(): boolean;
  getRetainondelete(): boolean | undefined;
  getAdditionalsecretoutputsList(): string[];
  getReplaceonchangesList(): string[];
  getProtect(): boolean | undefined;
  getProvider(): string;
}
export interface OutputsRequest {
  getUrn(): string;
  getOutputs(): ProtoStruct | undefined;
}
export interface RegisterResponse {
  getUrn(): string;
  getObject(): ProtoStruct | undefined;
}

/** A resource monitor as the recorder sees it: Pulumi's mock monitor or a gRPC service's. */
export interface RecordableMonitor {
  registerResource(req: RegisterRequest, cb: (err: unknown, resp?: RegisterResponse) => void): void;
  registerResourceOutputs(req: OutputsRequest, cb: (err: unknown, resp?: unknown) => void): void;
  __simulated?: boolean;
}

export interface InstallOptions {
  project?: string;
  stack?: string;
  /** Stack config as `project:key` => value (strings, or JSON for objects). */
  config?: Record<string, string>;
  /** Config keys whose values are secrets, as the CLI marks `--secret` ones. */
  secretKeys?: string[];
  /**
   * A custom resource of a type the simulated cloud has no stand-in for: refused (the default,
   * so that no test passes on a made-up answer), or, `"echo"`, answered with its own inputs and
   * listed in `notSimulated` (the offline plan of a program that also uses other providers).
   */
  otherTypes?: "refuse" | "echo";
}

/**
 * Installs a simulator as Pulumi's mock monitor. Call before constructing resources, and before
 * importing a stack program (config is read at import time).
 */
export function installSimulator(options: InstallOptions = {}): SimulatedCloud {
  const sim = new SimulatedCloud();
  sim.otherTypes = options.otherTypes ?? "refuse";
  pulumi.runtime.setAllConfig(options.config ?? {}, options.secretKeys ?? []);
  void pulumi.runtime.setMocks(
    sim,
    options.project ?? "azure-workload-identity",
    options.stack ?? "test",
    false,
    // What the file backend calls every stack's organization.
    "organization",
  );
  sim.attach();
  return sim;
}
