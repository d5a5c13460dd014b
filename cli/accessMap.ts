/**
 * The access map: which pod can do what, where. Issuer -> cluster -> ServiceAccounts ->
 * identities (through their federated credentials) -> roles at scopes, as a Mermaid flowchart,
 * which code hosts render in markdown. The plan draws it from what the program registered; the
 * doctor draws it from what it checked, each failing link marked. Pure.
 */
import { BUILTIN_ROLES } from "../components/identity/builtinRoles";

export interface AccessMapIdentity {
  name: string;
  /** `namespace/name` of each ServiceAccount the identity trusts. */
  serviceAccounts: string[];
  roles: { scope: string; roleDefinitionId: string }[];
}

export interface AccessMap {
  issuer: string;
  /** The cluster's name, when known. */
  cluster?: string;
  identities: AccessMapIdentity[];
}

/** Which links failed a check (doctor): by the ends they join. */
export interface BrokenLinks {
  /** The issuer's documents (every token fails). */
  issuer?: boolean;
  /** ServiceAccounts whose tokens, annotation or webhook failed. */
  serviceAccounts?: Set<string>;
  /** `identity serviceAccount`: the federated credential between them. */
  credentials?: Set<string>;
  /** Identities whose role assignments failed. */
  roles?: Set<string>;
}

const BUILTIN_BY_GUID = new Map(Object.entries(BUILTIN_ROLES).map(([name, guid]) => [guid, name]));

/** A role definition id by its built-in name where it has one, else its GUID. */
export function roleName(roleDefinitionId: string): string {
  const guid = roleDefinitionId.slice(roleDefinitionId.lastIndexOf("/") + 1).toLowerCase();
  return BUILTIN_BY_GUID.get(guid) ?? guid;
}

/** A scope, short enough to read in a box: its last two segments after the subscription. */
export function shortScope(scope: string): string {
  const parts = scope.split("/").filter((p) => p !== "");
  if (parts.length <= 2) return scope;
  return `…/${parts.slice(-2).join("/")}`;
}

/** Mermaid label text: quotes and angle brackets would end or break the label. */
const label = (text: string) =>
  text.replace(/"/g, "#quot;").replace(/</g, "#lt;").replace(/>/g, "#gt;");

/** The map as a Mermaid flowchart; a broken link is red and labelled FAIL. */
export function accessMapMermaid(map: AccessMap, broken: BrokenLinks = {}): string {
  const lines = ["flowchart LR"];
  const failed: number[] = [];
  let links = 0;
  const link = (from: string, to: string, text: string | undefined, isBroken: boolean) => {
    const shown = isBroken ? `FAIL${text ? ` ${text}` : ""}` : text;
    lines.push(`  ${from} -->${shown ? `|${label(shown)}|` : ""} ${to}`);
    if (isBroken) failed.push(links);
    links++;
  };
  const ids = new Map<string, string>();
  const linked = new Set<string>();
  const node = (key: string, prefix: string, text: string) => {
    if (!ids.has(key)) {
      const id = `${prefix}${ids.size}`;
      ids.set(key, id);
      lines.push(`  ${id}["${label(text)}"]`);
    }
    return ids.get(key) as string;
  };
  const issuer = node("issuer", "i", `issuer ${map.issuer}`);
  const cluster = node("cluster", "c", `cluster ${map.cluster ?? ""}`.trim());
  link(issuer, cluster, "signs tokens", broken.issuer === true);
  for (const identity of map.identities) {
    const id = node(`identity ${identity.name}`, "id", `identity ${identity.name}`);
    for (const sa of identity.serviceAccounts) {
      const saNode = node(`sa ${sa}`, "sa", `ServiceAccount ${sa}`);
      if (!linked.has(sa)) {
        linked.add(sa); // two identities may trust one ServiceAccount: one link from the cluster
        link(cluster, saNode, undefined, broken.serviceAccounts?.has(sa) === true);
      }
      link(
        saNode,
        id,
        "federated credential",
        broken.credentials?.has(`${identity.name} ${sa}`) === true,
      );
    }
    for (const role of identity.roles) {
      const scope = node(`scope ${role.scope}`, "s", shortScope(role.scope));
      link(id, scope, roleName(role.roleDefinitionId), broken.roles?.has(identity.name) === true);
    }
  }
  for (const n of failed) lines.push(`  linkStyle ${n} stroke:#d00,stroke-width:3px`);
  return lines.join("\n") + "\n";
}

/** Which links of the map the doctor's failed checks break, by the checks' names. */
export function brokenLinks(failed: { check: string }[]): BrokenLinks {
  const broken: Required<BrokenLinks> = {
    issuer: false,
    serviceAccounts: new Set(),
    credentials: new Set(),
    roles: new Set(),
  };
  for (const { check } of failed) {
    const [kind, ...rest] = check.split(" ");
    if (kind === "issuer") broken.issuer = true;
    else if (["token", "serviceaccount", "webhook", "pods"].includes(kind)) {
      broken.serviceAccounts.add(rest.join(" "));
    } else if (check.startsWith("federated credential ")) {
      broken.credentials.add(check.slice("federated credential ".length));
    } else if (check.startsWith("role assignments ")) {
      broken.roles.add(check.slice("role assignments ".length));
    }
  }
  return broken;
}
