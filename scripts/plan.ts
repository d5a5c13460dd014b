/**
 * `npm run plan -- <stack> [--out <dir>]`: runs the stack's program (index.ts) with no cloud and
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
  SimulatedCloud,
  SimulatedResource,
  installSimulator,
  isSecretValue,
  mapSecrets,
  text,
} from "./simulator";
import { readStackFiles } from "./stackFiles";

const SIMULATED_NOTE =
  "Simulated: nothing was created. Values Azure or kind would assign (account suffixes, endpoints, " +
  "ids, client and principal ids, kubeconfigs) are stand-ins; the RSA keys are real but throwaway.";

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
    for (const [k, v] of Object.entries(r.raw)) lines.push(`${pad}    ${k}: ${display(v)}`);
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

/** The files a reviewer reads, from what the program registered. */
export function collectArtifacts(
  sim: SimulatedCloud,
  stackOutputs: Record<string, unknown>,
): Artifacts {
  const files: Artifacts = {};
  const kindConfig = stackOutputs.kindConfig;
  if (typeof kindConfig === "string") files["kind-config.yaml"] = kindConfig;

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
      `Issuer: ${stackOutputs.issuerUrl}`,
      "",
      "AKS hosts this issuer and its documents itself (and rotates its keys):",
      `${stackOutputs.issuerUrl.replace(/\/$/, "")}/.well-known/openid-configuration`,
      "",
    ].join("\n");
  }

  const sas = sim.byType("kubernetes:core/v1:ServiceAccount").map((sa) => ({
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: sa.inputs.metadata,
  }));
  files["serviceaccounts.yaml"] = sas.map((m) => YAML.stringify(m, { lineWidth: 0 })).join("---\n");

  const owner = new Map(sim.resources.map((r) => [r.urn, r]));
  const fics = sim.byType("azure-native:managedidentity:FederatedIdentityCredential");
  files["federated-credentials.md"] = [
    "| identity | credential | issuer | subject | audiences |",
    "| --- | --- | --- | --- | --- |",
    ...fics
      .map((f) =>
        [
          owner.get(f.parent)?.name ?? "",
          text(f.inputs.federatedIdentityCredentialResourceName),
          text(f.inputs.issuer),
          text(f.inputs.subject),
          (f.inputs.audiences as string[]).join(", "),
        ].join(" | "),
      )
      .map((row) => `| ${row} |`),
    "",
  ].join("\n");

  const ras = sim.byType("azure-native:authorization:RoleAssignment");
  files["role-assignments.md"] = [
    "| identity | scope | role definition | principal (simulated) |",
    "| --- | --- | --- | --- |",
    ...ras.map(
      (r) =>
        `| ${owner.get(r.parent)?.name ?? ""} | ${text(r.inputs.scope)} | ${text(r.inputs.roleDefinitionId)} | ${text(r.inputs.principalId)} |`,
    ),
    "",
  ].join("\n");
  return files;
}

/** Stack outputs for display and for outputs.json, secrets replaced by "[secret]". */
export function redactOutputs(raw: Record<string, unknown>): unknown {
  return mapSecrets(raw, () => "[secret]");
}

export async function plan(
  stack: string,
  outDir: string,
): Promise<{ tree: string; files: string[]; outputs: unknown }> {
  const files = readStackFiles(stack);
  const sim = installSimulator({ project: files.project, stack, config: files.config });
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
    ...Object.keys(artifacts)
      .sort()
      .map((f) => `- \`${f}\``),
    "",
  ].join("\n");

  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(outDir, { recursive: true, mode: 0o700 });
  for (const [name, content] of Object.entries(artifacts)) {
    fs.writeFileSync(path.join(outDir, name), content, { mode: 0o600 });
  }
  return { tree, files: Object.keys(artifacts).sort(), outputs: redacted };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const stack = args.find((a) => !a.startsWith("--"));
  const outIndex = args.indexOf("--out");
  if (!stack) {
    console.error("usage: npm run plan -- <stack> [--out <dir>]   (stacks: dev, aks)");
    process.exit(2);
  }
  const outDir = path.resolve(outIndex >= 0 ? args[outIndex + 1] : path.join("plan", stack));
  const result = await plan(stack, outDir);
  console.log(`Offline plan of stack "${stack}". ${SIMULATED_NOTE}\n`);
  console.log(result.tree);
  const shown = { ...(result.outputs as Record<string, unknown>) };
  if (typeof shown.kindConfig === "string") shown.kindConfig = "(see kind-config.yaml)";
  console.log(`\nStack outputs:\n${JSON.stringify(shown, null, 2)}`);
  console.log(
    `\nWrote ${result.files.length} files to ${path.relative(process.cwd(), outDir) || "."}: ${result.files.join(", ")}`,
  );
}

if (require.main === module) {
  main().catch((err: unknown) => {
    // A validation error is the user's to fix: print it plainly, not as a stack trace.
    console.error(
      err instanceof Error && err.name === "InvalidArgumentError" ? `error: ${err.message}` : err,
    );
    process.exit(1);
  });
}
