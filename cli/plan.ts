/**
 * `npm run plan -- <stack> [--out <dir>] [--signing-key <file>]`: runs the stack's program (index.ts) with no cloud and
 * no Pulumi CLI. The simulated cloud answers every resource (RSA keys are real; ids, endpoints,
 * client ids and kubeconfigs are stand-ins, labelled as such), then the plan prints the resource
 * tree and writes what a reviewer wants to read: the Kind configuration, the discovery document
 * and JWKS, the ServiceAccount manifests and a table of federated credentials.
 */
import * as fs from "node:fs";
import * as path from "node:path";

import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";

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
import { StackFileError, readStackFiles, stacksIn } from "./stackFiles";
import { InputError, parseCommandArgs, readInput } from "./args";

const SIMULATED_NOTE =
  "Simulated: nothing was created. Values Azure or kind would assign (account suffixes, endpoints, " +
  "ids, client and principal ids, kubeconfigs) are stand-ins, marked (simulated): invented GUIDs " +
  `start with ${SIMULATED_GUID_PREFIX} and invented name suffixes with "${SIMULATED_SUFFIX_PREFIX}". ` +
  "The RSA keys are real but throwaway.";

const USAGE = "usage: npm run plan -- <stack> [--out <dir>] [--signing-key <private key PEM file>]";

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
export function renderTree(resources: SimulatedResource[]): string {
  const byParent = new Map<string, SimulatedResource[]>();
  for (const r of resources) byParent.set(r.parent, [...(byParent.get(r.parent) ?? []), r]);
  const urns = new Set(resources.map((r) => r.urn));
  const lines: string[] = [];
  const walk = (r: SimulatedResource, depth: number) => {
    const pad = "  ".repeat(depth);
    lines.push(`${pad}${r.custom ? "+" : "•"} ${shortType(r.type)}  ${r.name}`);
    for (const [k, v] of Object.entries(r.raw)) {
      const shown = display(v);
      lines.push(`${pad}    ${k}: ${shown}${isSimulatedText(shown) ? "  (simulated)" : ""}`);
    }
    if (r.custom) {
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
  for (const blob of sim.byType("azure-native:storage:Blob")) {
    const source = blob.inputs.source as { text?: string } | undefined;
    const name = String(blob.inputs.blobName);
    if (source?.text === undefined) continue;
    const pretty = `${JSON.stringify(JSON.parse(source.text), null, 2)}\n`;
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

/** The files a reviewer reads, from what the program registered. */
export function collectArtifacts(
  sim: SimulatedCloud,
  stackOutputs: Record<string, unknown>,
): Artifacts {
  return {
    ...issuerArtifacts(sim, stackOutputs),
    ...manifestArtifacts(stackOutputs),
    ...identityArtifacts(sim),
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
}

export async function plan(
  stack: string,
  options: PlanOptions,
): Promise<{ tree: string; files: string[]; outputs: unknown }> {
  // Before anything is read: a run that fails on the stack file leaves no plan that looks current.
  clearOutDir(options.outDir);
  const files = readStackFiles(stack);
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
            "plan with the key pair's private half from a file: npm run plan -- " +
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

  const sim = installSimulator({ project: files.project, stack, config, secretKeys });
  // The program's exports become the stack's outputs, as under `pulumi up`.
  const outputs = ((await pulumi.runtime.runInPulumiStack(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return Promise.resolve(require("../index") as Record<string, unknown>);
  })) ?? {}) as Record<string, unknown>;
  await sim.settled();
  const stackResource = sim.one("pulumi:pulumi:Stack");
  const rawOutputs = sim.registeredOutputs.get(stackResource.urn) ?? {};
  const redacted = redactOutputs(rawOutputs);

  const artifacts = collectArtifacts(sim, outputs);
  const tree = renderTree(sim.resources);
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
  return { tree, files: Object.keys(artifacts).sort(), outputs: redacted };
}

export interface PlanArgs {
  stack: string;
  outDir: string;
  signingKeyFile?: string;
}

const HELP = `${USAGE}

Runs the stack's program (index.ts) with no cloud and no Pulumi CLI against a simulated cloud,
prints the resource tree and writes what a reviewer reads to <dir> (default plan/<stack>).

  --out <dir>            where to write (it must be empty or hold an earlier plan)
  --signing-key <file>   the brought signing key's private half, when the stack file holds it
                         encrypted (read into memory as a secret, never written)
  -h, --help             this text`;

/** Parses `<stack> [--out <dir>] [--signing-key <file>]`, flags anywhere; undefined: --help. */
export function parsePlanArgs(argv: string[]): PlanArgs | undefined {
  let parsed;
  try {
    parsed = parseCommandArgs(argv, {
      out: { type: "string" },
      "signing-key": { type: "string" },
      help: { type: "boolean", short: "h" },
    });
  } catch (err) {
    throw new StackFileError(`${(err as Error).message}; ${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) return undefined;
  if (positionals.length !== 1) {
    throw new StackFileError(
      `${positionals.length === 0 ? "no stack given" : `one stack at a time, not ${positionals.join(" ")}`}; ${USAGE} (stacks here: ${stacksIn(path.resolve(__dirname, "..")).join(", ")})`,
    );
  }
  const stack = positionals[0];
  return {
    stack,
    outDir: path.resolve(typeof values.out === "string" ? values.out : path.join("plan", stack)),
    signingKeyFile: typeof values["signing-key"] === "string" ? values["signing-key"] : undefined,
  };
}

async function main(args: PlanArgs): Promise<void> {
  const signingPrivateKeyPem =
    args.signingKeyFile === undefined ? undefined : readInput(args.signingKeyFile, "--signing-key");
  const result = await plan(args.stack, { outDir: args.outDir, signingPrivateKeyPem });
  console.log(`Offline plan of stack "${args.stack}". ${SIMULATED_NOTE}\n`);
  console.log(result.tree);
  const shown = { ...(result.outputs as Record<string, unknown>) };
  if (typeof shown.kindConfig === "string") shown.kindConfig = "(see kind-config.yaml)";
  console.log(`\nStack outputs:\n${JSON.stringify(shown, null, 2)}`);
  console.log(
    `\nWrote ${result.files.length} files to ${path.relative(process.cwd(), args.outDir) || "."}: ${result.files.join(", ")}`,
  );
}

/** Errors the user can fix (arguments, config, files), printed as one line; anything else is a
 * bug and keeps its stack. */
function userMessage(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined;
  if (err.name === "InvalidArgumentError" || err instanceof StackFileError) return err.message;
  if (err instanceof InputError) return err.message;
  // A file the user named that cannot be read (--signing-key).
  if ("code" in err && "path" in err) return err.message;
  return undefined;
}

if (require.main === module) {
  let args: PlanArgs | undefined;
  try {
    args = parsePlanArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`error: ${userMessage(err) ?? String(err)}`);
    process.exit(2);
  }
  if (args === undefined) {
    console.log(HELP);
    process.exit(0);
  }
  main(args).catch((err: unknown) => {
    const message = userMessage(err);
    console.error(message === undefined ? err : `error: ${message}`);
    process.exit(1);
  });
}
