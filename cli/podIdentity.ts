/**
 * From AAD Pod Identity to workload identity: reads the pod-identity objects and the workloads
 * of a cluster (`kubectl get ... -o yaml` output, or manifests), and plans the stack config that
 * reproduces each binding with the same identity (its resource id and client id: no new
 * identity, its roles stay as they are), one ServiceAccount per workload that used the binding's
 * selector, and a report of what to change in each workload. Pure: text in, text out.
 *
 * Field names are read case-insensitively: before v1.6 the objects were written with
 * `ResourceID`/`ClientID`/`AzureIdentity`/`Selector` and stored lowercase (`resourceid`), since
 * v1.6 they are camelCase (`resourceID`, `azureIdentity`).
 */
import * as YAML from "yaml";

import { InvalidArgumentError, describeValue } from "../components/shared/errors";
import { validateDns1123Label } from "../components/shared/kubernetes";
import {
  MAX_FICS_PER_IDENTITY,
  USE_LABEL,
  parseIdentityResourceId,
} from "../components/identity/workloadIdentityNames";
import { describeYamlError } from "./yamlErrors";

/** The pod label AAD Pod Identity matched bindings with. */
export const POD_IDENTITY_LABEL = "aadpodidbinding";

/** AzureIdentity.spec.type: what kind of identity a binding hands out. */
export const IDENTITY_TYPES: Record<number, string> = {
  0: "user-assigned managed identity",
  1: "service principal with a client secret",
  2: "service principal with a certificate",
};

const WORKLOAD_KINDS = [
  "Deployment",
  "StatefulSet",
  "DaemonSet",
  "Job",
  "CronJob",
  "ReplicaSet",
  "Pod",
];

interface KubeObject {
  apiVersion?: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    ownerReferences?: unknown[];
  };
  spec?: Record<string, unknown>;
}

/** A workload that pods with a pod-identity label come from. */
export interface Workload {
  kind: string;
  namespace: string;
  name: string;
  selector: string;
  /** Its pods' ServiceAccount, when not `default`. */
  serviceAccountName: string | undefined;
}

export interface MigratedServiceAccount {
  namespace: string;
  name: string;
  /** false: the workload's own ServiceAccount, which the stack trusts but does not create. */
  create: boolean;
}

export interface MigratedIdentity {
  /** The identity's Azure name (the key of its stack outputs). */
  name: string;
  existingIdentity: { resourceId: string; clientId: string };
  serviceAccounts: MigratedServiceAccount[];
}

export interface Migration {
  identities: MigratedIdentity[];
  /** How many objects could not be migrated (the report says which and why). */
  notMigrated: number;
  /** Markdown: per workload what to change, and what could not be migrated and why. */
  report: string;
}

const where = (o: KubeObject) =>
  `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata.name}`;

/** A field of an object, whatever the casing it was written in (pre-1.6 and 1.6+). */
function field(spec: Record<string, unknown> | undefined, name: string): unknown {
  if (spec === undefined) return undefined;
  const key = Object.keys(spec).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : spec[key];
}

function requireString(o: KubeObject, name: string): string {
  const value = field(o.spec, name);
  if (typeof value !== "string" || value === "") {
    throw new InvalidArgumentError(
      `spec.${name}`,
      describeValue(value),
      "expected a non-empty string",
      where(o),
    );
  }
  return value;
}

/** Every Kubernetes object in a YAML text: documents, and the items of `kind: List`. */
export function readObjects(text: string, source: string): KubeObject[] {
  const objects: KubeObject[] = [];
  const docs = YAML.parseAllDocuments(text);
  for (const doc of docs) {
    const error = doc.errors[0];
    if (error !== undefined) {
      const { where, message } = describeYamlError(error, source);
      throw new InvalidArgumentError(where, "a YAML document that does not parse", message);
    }
    const value = doc.toJS() as unknown;
    if (value === null || value === undefined) continue;
    const items = (value as { kind?: string; items?: unknown[] }).kind?.endsWith("List")
      ? ((value as { items?: unknown[] }).items ?? [])
      : [value];
    for (const item of items) {
      const o = item as KubeObject;
      if (
        typeof o !== "object" ||
        o === null ||
        typeof o.kind !== "string" ||
        typeof o.metadata?.name !== "string"
      ) {
        throw new InvalidArgumentError(
          source,
          describeValue(item),
          "expected Kubernetes objects with kind and metadata.name",
        );
      }
      objects.push(o);
    }
  }
  return objects;
}

/** The pod template's labels and ServiceAccount of a workload object. */
function podTemplate(
  o: KubeObject,
): { labels: Record<string, string>; serviceAccountName?: string } | undefined {
  const spec = o.spec ?? {};
  const pod =
    o.kind === "Pod"
      ? { metadata: o.metadata, spec }
      : o.kind === "CronJob"
        ? ((spec.jobTemplate as { spec?: { template?: unknown } } | undefined)?.spec?.template as
            | { metadata?: { labels?: Record<string, string> }; spec?: Record<string, unknown> }
            | undefined)
        : (spec.template as
            | { metadata?: { labels?: Record<string, string> }; spec?: Record<string, unknown> }
            | undefined);
  if (pod === undefined) return undefined;
  const sa = (pod.spec?.serviceAccountName ?? pod.spec?.serviceAccount) as string | undefined;
  return {
    labels: pod.metadata?.labels ?? {},
    serviceAccountName: sa && sa !== "default" ? sa : undefined,
  };
}

/** The workloads whose pods carry a pod-identity label; pods and ReplicaSets that a controller
 * owns are left to their controller. */
export function workloadsOf(objects: KubeObject[]): Workload[] {
  const out: Workload[] = [];
  for (const o of objects) {
    if (!WORKLOAD_KINDS.includes(o.kind)) continue;
    if (
      (o.kind === "Pod" || o.kind === "ReplicaSet" || o.kind === "Job") &&
      (o.metadata.ownerReferences ?? []).length > 0
    )
      continue;
    const template = podTemplate(o);
    const selector = template?.labels[POD_IDENTITY_LABEL];
    if (selector === undefined) continue;
    out.push({
      kind: o.kind,
      namespace: o.metadata.namespace ?? "default",
      name: o.metadata.name,
      selector,
      serviceAccountName: template?.serviceAccountName,
    });
  }
  return out;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The entry's name: the identity's Azure name, or, when another identity of that name (in
 * another resource group) is migrated already, the name with its resource group: the stack
 * keys its entries and outputs by name.
 */
function uniqueName(
  ref: { name: string; resourceGroupName: string },
  migrated: Map<string, MigratedIdentity>,
): string {
  const taken = new Set([...migrated.values()].map((m) => m.name.toLowerCase()));
  if (!taken.has(ref.name.toLowerCase())) return ref.name;
  const name = `${ref.name}-${ref.resourceGroupName}`.replace(/[^a-zA-Z0-9_-]/g, "-").slice(0, 128);
  return taken.has(name.toLowerCase()) ? `${name.slice(0, 119)}-${taken.size}` : name;
}

type Found = { object: KubeObject; type: number };
interface Binding {
  object: KubeObject;
  identity: string;
  selector: string;
}

/** What a migration gathers as it goes: the entries, the report's rows, what it left out. */
interface Progress {
  migrated: Map<string, MigratedIdentity>;
  rows: string[];
  notMigrated: string[];
  used: Set<string>;
}

/** The AzureIdentities by `namespace/name`, each with its type checked. */
function identitiesOf(objects: KubeObject[]): Map<string, Found> {
  const identities = new Map<string, Found>();
  for (const o of objects.filter((x) => x.kind === "AzureIdentity")) {
    const type = Number(field(o.spec, "type") ?? 0);
    if (!(type in IDENTITY_TYPES)) {
      throw new InvalidArgumentError(
        "spec.type",
        describeValue(field(o.spec, "type")),
        "expected 0, 1 or 2",
        where(o),
      );
    }
    identities.set(`${o.metadata.namespace ?? "default"}/${o.metadata.name}`, { object: o, type });
  }
  return identities;
}

/** A user-assigned identity's resource id and client id, or the reason it cannot be migrated. */
function usableIdentity(
  found: Found,
):
  | { resourceId: string; clientId: string; ref: { name: string; resourceGroupName: string } }
  | string {
  const resourceId = requireString(found.object, "resourceID");
  const clientId = requireString(found.object, "clientID");
  let ref: ReturnType<typeof parseIdentityResourceId>;
  try {
    ref = parseIdentityResourceId(resourceId, "spec.resourceID");
  } catch (err) {
    if (err instanceof InvalidArgumentError) {
      throw new InvalidArgumentError(err.field, err.value, err.allowed, where(found.object));
    }
    throw err;
  }
  if (!GUID.test(clientId)) {
    return `- ${where(found.object)}: its clientID \`${clientId}\` is not a GUID, so no ServiceAccount can name it; fix the AzureIdentity, then migrate again.`;
  }
  return { resourceId, clientId, ref };
}

/** The workloads of one binding become ServiceAccounts of its identity's entry, and rows. */
function migrateWorkloads(
  b: Binding,
  users: Workload[],
  entry: MigratedIdentity,
  p: Progress,
): void {
  const clientId = entry.existingIdentity.clientId;
  for (const w of users) {
    const saName =
      w.serviceAccountName ??
      validateDns1123Label(w.name, `${w.kind} ${w.namespace}/${w.name}: metadata.name`, 253);
    if (!entry.serviceAccounts.some((s) => s.namespace === w.namespace && s.name === saName)) {
      entry.serviceAccounts.push({
        namespace: w.namespace,
        name: saName,
        create: w.serviceAccountName === undefined,
      });
    }
    p.rows.push(
      `| ${w.kind} ${w.namespace}/${w.name} | ${entry.name} (${clientId}) | ` +
        (w.serviceAccountName === undefined
          ? `set \`serviceAccountName: ${saName}\` (the stack creates it, annotated)`
          : `keeps \`${saName}\`; annotate it: \`kubectl -n ${w.namespace} annotate sa ${saName} azure.workload.identity/client-id=${clientId}\``) +
        ` | remove label \`${POD_IDENTITY_LABEL}: ${b.selector}\`, add label \`${USE_LABEL}: "true"\` on the pod template |`,
    );
  }
}

/** One binding: its identity's entry grows by its workloads, or the report says why not. */
function migrateBinding(
  b: Binding,
  identities: Map<string, Found>,
  workloads: Workload[],
  p: Progress,
): void {
  const ns = b.object.metadata.namespace ?? "default";
  const found = identities.get(`${ns}/${b.identity}`);
  if (found === undefined) {
    p.notMigrated.push(
      `- ${where(b.object)}: its AzureIdentity ${ns}/${b.identity} is not in the input; nothing to migrate.`,
    );
    return;
  }
  const users = workloads.filter((w) => w.selector === b.selector);
  users.forEach((w) => p.used.add(`${w.kind}/${w.namespace}/${w.name}`));
  if (found.type !== 0) {
    p.notMigrated.push(
      `- ${where(found.object)} (${IDENTITY_TYPES[found.type]}), bound by ${where(b.object)} for ` +
        `${users.map((w) => `${w.kind} ${w.namespace}/${w.name}`).join(", ") || "no workload"}: not migrated. ` +
        "This tool federates user-assigned managed identities only, and a service principal's secret or certificate " +
        "has no place in workload identity: create a user-assigned identity (an entry under \`identities\`), grant it the " +
        "service principal's roles, and retire the secret.",
    );
    return;
  }
  const usable = usableIdentity(found);
  if (typeof usable === "string") {
    p.notMigrated.push(usable);
    return;
  }
  if (users.length === 0) {
    p.notMigrated.push(
      `- ${where(b.object)} (selector \`${b.selector}\`): no workload in the input uses it; delete the binding.`,
    );
    return;
  }
  const key = usable.resourceId.toLowerCase();
  const entry = p.migrated.get(key) ?? {
    name: uniqueName(usable.ref, p.migrated),
    existingIdentity: { resourceId: usable.resourceId, clientId: usable.clientId },
    serviceAccounts: [],
  };
  p.migrated.set(key, entry);
  migrateWorkloads(b, users, entry, p);
}

/** Plans the migration of every binding found in `objects`. */
export function planMigration(objects: KubeObject[]): Migration {
  const identities = identitiesOf(objects);
  const bindings = objects
    .filter((o) => o.kind === "AzureIdentityBinding")
    .map((o) => ({
      object: o,
      identity: requireString(o, "azureIdentity"),
      selector: requireString(o, "selector"),
    }));
  const workloads = workloadsOf(objects);
  const p: Progress = { migrated: new Map(), rows: [], notMigrated: [], used: new Set() };
  for (const b of bindings) migrateBinding(b, identities, workloads, p);
  for (const w of workloads) {
    if (!p.used.has(`${w.kind}/${w.namespace}/${w.name}`)) {
      p.notMigrated.push(
        `- ${w.kind} ${w.namespace}/${w.name}: its label \`${POD_IDENTITY_LABEL}: ${w.selector}\` matches no binding; remove it.`,
      );
    }
  }
  for (const [key, id] of p.migrated) {
    if (id.serviceAccounts.length > MAX_FICS_PER_IDENTITY) {
      p.migrated.delete(key);
      p.notMigrated.push(
        `- identity ${id.name}: ${id.serviceAccounts.length} ServiceAccounts use it, more than the ${MAX_FICS_PER_IDENTITY} federated credentials Entra allows one identity; split its workloads over more identities (entries of your own), or trust some through an AKS identity binding.`,
      );
    }
  }
  const exceptions = objects.filter((o) => o.kind === "AzurePodIdentityException");
  return {
    identities: [...p.migrated.values()],
    notMigrated: p.notMigrated.length,
    report: migrationReport(p, exceptions),
  };
}

/** MIGRATION.md: the workloads to change, what replaces exceptions, what was not migrated. */
function migrationReport(p: Progress, exceptions: KubeObject[]): string {
  const n = p.migrated.size;
  return [
    "# Migrating from AAD Pod Identity",
    "",
    `${n} identit${n === 1 ? "y" : "ies"} reused as they are (same resource and client id, same roles), ` +
      `${p.rows.length} workload${p.rows.length === 1 ? "" : "s"} to change. Add \`identities.yaml\` to the stack file, run \`pulumi up\` ` +
      "(it creates one federated credential per ServiceAccount and the ServiceAccounts the table says it creates), then change each workload:",
    "",
    "| workload | identity | ServiceAccount | labels |",
    "| --- | --- | --- | --- |",
    ...p.rows,
    "",
    "Workloads must read \`AZURE_FEDERATED_TOKEN_FILE\` and use an Azure SDK credential that supports workload identity; " +
      "they no longer reach the instance metadata endpoint for tokens.",
    "",
    "## AzurePodIdentityException",
    "",
    exceptions.length === 0
      ? "None in the input."
      : `${exceptions.map((e) => `- ${where(e)}`).join("\n")}\n\nNothing replaces them: an exception let pods matching its labels reach the instance metadata endpoint past NMI's interception. Workload identity intercepts nothing, so delete the exceptions once NMI is gone; those pods keep whatever access they had.`,
    "",
    "## Not migrated",
    "",
    p.notMigrated.length === 0 ? "Nothing." : p.notMigrated.join("\n"),
    "",
  ].join("\n");
}

/** The stack config entries, as YAML to put under `azure-workload-identity:identities`. */
export function identitiesYaml(identities: MigratedIdentity[]): string {
  const doc = new YAML.Document({ "azure-workload-identity:identities": identities });
  doc.commentBefore =
    " From AAD Pod Identity: the same identities (no new ones, roles unchanged), one federated\n" +
    " credential per ServiceAccount. Merge under `config:` in Pulumi.<stack>.yaml.";
  return doc.toString({ lineWidth: 0 });
}
