/**
 * The offline plan (`pulumi-azure-workload-identity plan`, cli/commands/plan.ts): runs a Pulumi
 * program that uses the components with no cloud and no Pulumi CLI. The simulated cloud answers
 * every resource (RSA keys are real; ids, endpoints, client ids and kubeconfigs are stand-ins,
 * labelled as such; a provider it does not simulate gets its inputs back, labelled too), then the
 * plan renders the resource tree and writes what a reviewer wants to read: the Kind
 * configuration, the discovery document and JWKS, the ServiceAccount manifests and tables of
 * federated credentials and role assignments.
 */
import * as fs from "node:fs";
import * as path from "node:path";

import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";

import { ISSUER_DOCUMENT_TYPE } from "../components/issuer/issuerDocumentSpec";
import {
  SIMULATED_GUID_PREFIX,
  SIMULATED_SUFFIX_PREFIX,
  SimulatedCloud,
  SimulatedResource,
  installSimulator,
  isSecretValue,
  isSimulatedText,
  mapSecrets,
  text,
} from "../testing/simulator";
import { AccessMap, AccessMapIdentity, accessMapMermaid } from "./accessMap";
import { checkSameSdk, loadProgram, readProgram } from "./program";
import { StackFileError, readStackFiles } from "./stackFiles";

/** The label of a resource whose provider the plan does not simulate. */
export const NOT_SIMULATED = "(not simulated: no stand-in for this provider; outputs not shown)";

export const SIMULATED_NOTE =
  "Simulated: nothing was created. Values Azure or kind would assign (account suffixes, endpoints, " +
  "ids, client and principal ids, kubeconfigs) are stand-ins, marked (simulated): invented GUIDs " +
  `start with ${SIMULATED_GUID_PREFIX} and invented name suffixes with "${SIMULATED_SUFFIX_PREFIX}". ` +
  "The RSA keys are real but throwaway.";

/** Marks a text that holds an invented value, for formats without comments. */
export function markSimulated(value: string): string {
  return isSimulatedText(value) ? `${value} (simulated)` : value;
}

/** A value for display: secrets hidden, long text cut to its first line. */
export function display(value: unknown, secret = false): string {
  if (secret || isSecretValue(value)) return "[secret]";
  if (isAsset(value)) return `StringAsset(${display(value.text)})`;
  if (typeof value === "string") {
    const firstLine = value.split("\n")[0];
    return value.length > 200 || value.includes("\n")
      ? `${JSON.stringify(firstLine.slice(0, 80))}… (${value.length} chars)`
      : JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v) => display(v)).join(", ")}]`;
  if (typeof value === "object" && value !== null) {
    return `{ ${Object.entries(value)
      .map(([k, v]) => `${k}: ${display(v)}`)
      .join(", ")} }`;
  }
  return String(value);
}

/** Pulumi's wire form of an asset (a blob's content). */
function isAsset(v: unknown): v is { text: string } {
  return (
    typeof v === "object" && v !== null && (v as Record<string, unknown>).__pulumiAsset === true
  );
}

function shortType(type: string): string {
  return type.replace(/^azure-native:/, "azure:").replace(/^kubernetes:/, "k8s:");
}

/** The resource tree: children under parents, inputs, then simulated outputs. */
export function renderTree(
  resources: SimulatedResource[],
  notSimulated: ReadonlySet<string> = new Set(),
): string {
  const byParent = new Map<string, SimulatedResource[]>();
  for (const r of resources) byParent.set(r.parent, [...(byParent.get(r.parent) ?? []), r]);
  const urns = new Set(resources.map((r) => r.urn));
  const lines: string[] = [];
  const walk = (r: SimulatedResource, depth: number) => {
    const pad = "  ".repeat(depth);
    const label = notSimulated.has(r.type) ? `  ${NOT_SIMULATED}` : "";
    lines.push(`${pad}${r.custom ? "+" : "•"} ${shortType(r.type)}  ${r.name}${label}`);
    for (const [k, v] of Object.entries(r.raw)) {
      const shown = display(v);
      lines.push(`${pad}    ${k}: ${shown}${isSimulatedText(shown) ? "  (simulated)" : ""}`);
    }
    if (r.custom && !notSimulated.has(r.type)) {
      for (const [k, v] of Object.entries(r.outputs)) {
        if (k in r.raw || k === "id" || k.startsWith("__")) continue;
        lines.push(
          `${pad}    ${k}: ${display(v, r.options.additionalSecretOutputs.includes(k))}  (simulated)`,
        );
      }
    }
    for (const child of byParent.get(r.urn) ?? []) walk(child, depth + 1);
  };
  for (const root of resources.filter((r) => !urns.has(r.parent))) walk(root, 0);
  return lines.join("\n");
}

interface Artifacts {
  [file: string]: string;
}

/** YAML with a `# simulated` comment on every scalar that holds an invented value. */
export function yamlMarked(value: unknown): string {
  const doc = new YAML.Document(value);
  YAML.visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === "string" && isSimulatedText(node.value))
        node.comment = " simulated";
    },
  });
  return doc.toString({ lineWidth: 0 });
}

/** The kind configuration and the issuer's documents (kind), or where AKS serves them. */
function issuerArtifacts(sim: SimulatedCloud, stackOutputs: Record<string, unknown>): Artifacts {
  const files: Artifacts = {};
  const kindConfig = stackOutputs.kindConfig;
  if (typeof kindConfig === "string") {
    files["kind-config.yaml"] = yamlMarked(YAML.parse(kindConfig));
  }
  // The documents as either writer uploads them: Entra's (the default) or the account key's.
  const written = [
    ...sim.byType(ISSUER_DOCUMENT_TYPE).map((d) => [d.inputs.blobName, d.inputs.content]),
    ...sim
      .byType("azure-native:storage:Blob")
      .map((b) => [b.inputs.blobName, (b.inputs.source as { text?: string } | undefined)?.text]),
  ];
  for (const [blobName, text] of written) {
    const name = String(blobName);
    if (typeof text !== "string") continue;
    const pretty = `${JSON.stringify(JSON.parse(text), null, 2)}\n`;
    if (name === ".well-known/openid-configuration") files["openid-configuration.json"] = pretty;
    if (name === "openid/v1/jwks") files["jwks.json"] = pretty;
  }
  if (
    files["openid-configuration.json"] === undefined &&
    typeof stackOutputs.issuerUrl === "string"
  ) {
    files["issuer.md"] = [
      `Issuer: ${markSimulated(stackOutputs.issuerUrl)}`,
      "",
      "AKS hosts this issuer and its documents itself (and rotates its keys):",
      markSimulated(
        `${stackOutputs.issuerUrl.replace(/\/$/, "")}/.well-known/openid-configuration`,
      ),
      "",
    ].join("\n");
  }
  return files;
}

/** The manifests the stack outputs for OpenShift and Cluster API, secrets left out. */
function manifestArtifacts(stackOutputs: Record<string, unknown>): Artifacts {
  const files: Artifacts = {};
  const secrets = stackOutputs.openshiftSecrets;
  if (Array.isArray(secrets)) {
    files["openshift-secrets.yaml"] = secrets
      .map((m) => yamlMarked(YAML.parse(String(m))))
      .join("---\n");
  }
  if (typeof stackOutputs.openshiftAuthentication === "string") {
    files["openshift-authentication.yaml"] = yamlMarked(
      YAML.parse(stackOutputs.openshiftAuthentication),
    );
  }
  if (typeof stackOutputs.capzAzureClusterIdentity === "string") {
    files["capz-azureclusteridentity.yaml"] = yamlMarked(
      YAML.parse(stackOutputs.capzAzureClusterIdentity),
    );
  }
  if (typeof stackOutputs.capzServiceAccountKeySecret === "string") {
    // A secret: shown with its private key left out.
    const secret = YAML.parse(stackOutputs.capzServiceAccountKeySecret) as {
      data: Record<string, string>;
    };
    secret.data["tls.key"] = "[secret]";
    files["capz-service-account-secret.yaml"] = yamlMarked(secret);
  }
  return files;
}

/** The ServiceAccounts, federated credentials and role assignments the program registered. */
function identityArtifacts(sim: SimulatedCloud): Artifacts {
  const sas = sim.byType("kubernetes:core/v1:ServiceAccount").map((sa) => ({
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: sa.inputs.metadata,
  }));
  const owner = new Map(sim.resources.map((r) => [r.urn, r]));
  const fics = sim.byType("azure-native:managedidentity:FederatedIdentityCredential");
  const ras = sim.byType("azure-native:authorization:RoleAssignment");
  return {
    "serviceaccounts.yaml": sas.map((m) => yamlMarked(m)).join("---\n"),
    "federated-credentials.md": [
      "| identity | credential | issuer | subject | audiences |",
      "| --- | --- | --- | --- | --- |",
      ...fics.map(
        (f) =>
          `| ${[
            owner.get(f.parent)?.name ?? "",
            text(f.inputs.federatedIdentityCredentialResourceName),
            markSimulated(text(f.inputs.issuer)),
            text(f.inputs.subject),
            (f.inputs.audiences as string[]).join(", "),
          ].join(" | ")} |`,
      ),
      "",
    ].join("\n"),
    "role-assignments.md": [
      "| identity | scope | role definition | principal |",
      "| --- | --- | --- | --- |",
      ...ras.map(
        (r) =>
          `| ${[r.inputs.scope, r.inputs.roleDefinitionId, r.inputs.principalId].reduce<string>(
            (row, cell) => `${row} | ${markSimulated(text(cell))}`,
            owner.get(r.parent)?.name ?? "",
          )} |`,
      ),
      "",
    ].join("\n"),
  };
}

/** The access map of what the program registered: the identities (their components), the
 * ServiceAccounts their federated credentials trust and their roles at scopes. */
export function accessMapOf(sim: SimulatedCloud, stackOutputs: Record<string, unknown>): AccessMap {
  const owner = new Map(sim.resources.map((r) => [r.urn, r]));
  const identities = new Map<string, AccessMapIdentity>();
  const identityOf = (child: SimulatedResource) => {
    const name = owner.get(child.parent)?.name ?? child.name;
    if (!identities.has(name)) identities.set(name, { name, serviceAccounts: [], roles: [] });
    return identities.get(name) as AccessMapIdentity;
  };
  let issuer = typeof stackOutputs.issuerUrl === "string" ? stackOutputs.issuerUrl : "";
  for (const fic of sim.byType("azure-native:managedidentity:FederatedIdentityCredential")) {
    const m = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(text(fic.inputs.subject));
    if (m) identityOf(fic).serviceAccounts.push(`${m[1]}/${m[2]}`);
    issuer ||= text(fic.inputs.issuer);
  }
  for (const ra of sim.byType("azure-native:authorization:RoleAssignment")) {
    identityOf(ra).roles.push({
      scope: text(ra.inputs.scope),
      roleDefinitionId: text(ra.inputs.roleDefinitionId),
    });
  }
  const cluster =
    typeof stackOutputs.clusterName === "string"
      ? stackOutputs.clusterName
      : sim.byType("azure-wi:index:KindOrAksCluster")[0]?.name;
  return { issuer: markSimulated(issuer), cluster, identities: [...identities.values()] };
}

/** The files a reviewer reads, from what the program registered. */
export function collectArtifacts(
  sim: SimulatedCloud,
  stackOutputs: Record<string, unknown>,
): Artifacts {
  return {
    ...issuerArtifacts(sim, stackOutputs),
    ...manifestArtifacts(stackOutputs),
    ...identityArtifacts(sim),
    "access-map.md": [
      "# Access map",
      "",
      "Which pod can do what, where: the issuer the cluster signs under, the ServiceAccounts",
      "each identity's federated credentials trust, and the identity's roles at their scopes.",
      "",
      "```mermaid",
      accessMapMermaid(accessMapOf(sim, stackOutputs)).trimEnd(),
      "```",
      "",
    ].join("\n"),
  };
}

/** Stack outputs for display and for outputs.json: secrets replaced by "[secret]", invented
 * values marked "(simulated)" (JSON has no comments). */
export function redactOutputs(raw: Record<string, unknown>): unknown {
  const mark = (v: unknown): unknown =>
    typeof v === "string"
      ? markSimulated(v)
      : Array.isArray(v)
        ? v.map(mark)
        : typeof v === "object" && v !== null
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mark(x)]))
          : v;
  return mark(mapSecrets(raw, () => "[secret]"));
}

/** A plan's output directory holds this file, so that a later run knows it may replace it. */
const PLAN_MARKER = ".offline-plan";

/**
 * Removes an earlier plan from `outDir`, so that a failed run leaves nothing that looks current,
 * and refuses a directory that holds anything else.
 */
export function clearOutDir(outDir: string): void {
  if (!fs.existsSync(outDir)) return;
  const entries = fs.readdirSync(outDir);
  if (entries.length === 0) return;
  if (!entries.includes(PLAN_MARKER)) {
    throw new StackFileError(
      `${outDir} is not empty and holds no earlier plan; give --out an empty or new directory`,
    );
  }
  for (const entry of entries)
    fs.rmSync(path.join(outDir, entry), { recursive: true, force: true });
}

export interface PlanOptions {
  outDir: string;
  /** The brought signing key's private half, when the stack file holds it encrypted. */
  signingPrivateKeyPem?: string;
  /** The program's folder: its Pulumi.yaml, stack files and entry (default: this one). */
  programDir?: string;
}

export interface PlanResult {
  tree: string;
  files: string[];
  outputs: unknown;
  /** Resource types the simulated cloud has no stand-in for: answered with their inputs. */
  notSimulated: string[];
}

export async function plan(stack: string, options: PlanOptions): Promise<PlanResult> {
  // Before anything is read: a run that fails on the stack file leaves no plan that looks current.
  clearOutDir(options.outDir);
  const program = readProgram(options.programDir ?? process.cwd());
  checkSameSdk(program);
  const files = readStackFiles(stack, program.dir);
  const privateKeyKey = `${files.project}:signingPrivateKeyPem`;
  const config = { ...files.config };
  const secretKeys: string[] = [];
  for (const key of files.encrypted) {
    if (key === privateKeyKey && options.signingPrivateKeyPem !== undefined) {
      config[key] = options.signingPrivateKeyPem;
      secretKeys.push(key);
      continue;
    }
    throw new StackFileError(
      key === privateKeyKey
        ? `Pulumi.${stack}.yaml holds ${key} encrypted, and the offline plan decrypts nothing; ` +
            "plan with the key pair's private half from a file: pulumi-azure-workload-identity plan " +
            `${stack} --signing-key <private key PEM> (read into memory as a secret, never written)`
        : `Pulumi.${stack}.yaml holds ${key} encrypted, and the offline plan decrypts nothing; ` +
            "plan a copy of the stack file that sets it in clear text",
    );
  }
  if (options.signingPrivateKeyPem !== undefined && !secretKeys.includes(privateKeyKey)) {
    // Only for the key's encrypted private half: anything else would be silently ignored.
    throw new StackFileError(
      `--signing-key is for a stack that holds signingPrivateKeyPem encrypted; Pulumi.${stack}.yaml does not`,
    );
  }

  const sim = installSimulator({
    project: files.project,
    stack,
    config,
    secretKeys,
    otherTypes: "echo",
  });
  // The program's exports become the stack's outputs, as under `pulumi up`.
  const outputs = ((await pulumi.runtime.runInPulumiStack(() =>
    Promise.resolve(loadProgram(program)),
  )) ?? {}) as Record<string, unknown>;
  await sim.settled();
  const stackResource = sim.one("pulumi:pulumi:Stack");
  const rawOutputs = sim.registeredOutputs.get(stackResource.urn) ?? {};
  const redacted = redactOutputs(rawOutputs);

  const artifacts = collectArtifacts(sim, outputs);
  const notSimulated = [...sim.notSimulated].sort();
  const tree = renderTree(sim.resources, sim.notSimulated);
  artifacts["resources.txt"] = `${SIMULATED_NOTE}\n\n${tree}\n`;
  artifacts["outputs.json"] = `${JSON.stringify(redacted, null, 2)}\n`;
  artifacts["README.md"] = [
    `# Offline plan of stack \`${stack}\``,
    "",
    SIMULATED_NOTE,
    "",
    "The YAML files mark invented values with a `# simulated` comment, the tables and",
    "outputs.json with `(simulated)`. openid-configuration.json and jwks.json are the documents",
    "byte for byte as they would be uploaded, so they carry no marks: their issuer and jwks_uri",
    "hold the simulated storage account name.",
    "",
    ...(notSimulated.length > 0
      ? [`Not simulated (listed with their inputs only): ${notSimulated.join(", ")}.`, ""]
      : []),
    ...Object.keys(artifacts)
      .sort()
      .map((f) => `- \`${f}\``),
    "",
  ].join("\n");

  fs.mkdirSync(options.outDir, { recursive: true, mode: 0o700 });
  for (const [name, content] of Object.entries(artifacts)) {
    fs.writeFileSync(path.join(options.outDir, name), content, { mode: 0o600 });
  }
  fs.writeFileSync(path.join(options.outDir, PLAN_MARKER), `${stack}\n`, { mode: 0o600 });
  return { tree, files: Object.keys(artifacts).sort(), outputs: redacted, notSimulated };
}
