/** Azure built-in roles by name, and how a role becomes a role definition id. Pure. */
import { InvalidArgumentError, describeValue } from "../shared/errors";
import { BUILTIN_ROLES } from "./builtinRoles";

export { BUILTIN_ROLES } from "./builtinRoles";

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ROLE_DEFINITION_ID =
  /^(\/subscriptions\/[0-9a-f-]{36})?\/providers\/Microsoft\.Authorization\/roleDefinitions\/([0-9a-f-]{36})$/i;

/** A role assignment as made: its scope and role definition id. */
export interface RoleAssignmentOutput {
  /** The ARM id the role is granted at. */
  scope: string;
  /** The full role definition id. */
  roleDefinitionId: string;
}

/** A role as given: a built-in role name, a role definition GUID, or a full role definition id. */
export type RoleRef = { guid: string } | { id: string };

export function resolveRole(role: unknown, field: string): RoleRef {
  if (typeof role === "string") {
    if (Object.prototype.hasOwnProperty.call(BUILTIN_ROLES, role))
      return { guid: BUILTIN_ROLES[role] };
    if (GUID.test(role)) return { guid: role.toLowerCase() };
    const m = ROLE_DEFINITION_ID.exec(role);
    if (m && GUID.test(m[2])) return { id: role };
  }
  throw new InvalidArgumentError(
    field,
    describeValue(role),
    `expected a role definition GUID or id, or one of ${Object.keys(BUILTIN_ROLES)
      .map((r) => JSON.stringify(r))
      .join(", ")}`,
  );
}

const SCOPE_EXAMPLE =
  "/subscriptions/<subscription GUID>[/resourceGroups/<group>[/providers/<Namespace>/<type>/<name>]], or /providers/Microsoft.Management/managementGroups/<name>";

/** Why a scope is not one Resource Manager takes, or undefined when it is. */
function scopeProblem(scope: string): string | undefined {
  if (!scope.startsWith("/")) return "it does not start with /";
  if (scope.endsWith("/")) return "it ends with /";
  const parts = scope.slice(1).split("/");
  if (parts.some((p) => p === "")) return "it has an empty part (//)";
  if (/^providers$/i.test(parts[0])) {
    return /^Microsoft\.Management$/i.test(parts[1] ?? "") &&
      /^managementGroups$/i.test(parts[2] ?? "") &&
      parts.length === 4
      ? undefined
      : "a scope under /providers must be a management group";
  }
  if (!/^subscriptions$/i.test(parts[0]))
    return "it starts with neither /subscriptions nor /providers";
  if (!GUID.test(parts[1] ?? "")) return "the subscription is not a GUID";
  let rest = parts.slice(2);
  if (rest.length > 0 && /^resourceGroups$/i.test(rest[0])) {
    if (rest.length === 1) return "resourceGroups has no name after it";
    if (!/^[-\w.()]{1,90}$/.test(rest[1])) return "the resource group name is not one Azure allows";
    rest = rest.slice(2);
  }
  if (rest.length === 0) return undefined;
  if (!/^providers$/i.test(rest[0]) || rest.length < 4) {
    return "expected /providers/<Namespace>/<type>/<name> after the resource group";
  }
  // The namespace, then type and name pairs: a resource, or a child of one.
  return (rest.length - 2) % 2 === 0 ? undefined : "a resource type has no name after it";
}

/** Checks a role assignment scope: a Resource Manager id of a subscription, resource group,
 * resource or management group, as Azure takes it (no trailing slash, GUID subscription). */
export function validateScope(scope: unknown, field: string): string {
  const problem = typeof scope === "string" ? scopeProblem(scope) : "it is not a string";
  if (problem !== undefined) {
    // Whole: a resource id cut short would hide the part at fault.
    throw new InvalidArgumentError(
      field,
      typeof scope === "string" ? JSON.stringify(scope) : describeValue(scope),
      `${problem}; expected an Azure resource id: ${SCOPE_EXAMPLE}`,
    );
  }
  return scope as string;
}

/**
 * The role definition id to assign at `scope`. A built-in role is addressed in the scope's own
 * subscription (so cross-subscription assignments work), or at tenant level for a management
 * group scope.
 */
export function roleDefinitionId(role: RoleRef, scope: string): string {
  if ("id" in role) return role.id;
  const sub = /^\/subscriptions\/([0-9a-f-]{36})(\/|$)/i.exec(scope);
  const prefix = sub ? `/subscriptions/${sub[1]}` : "";
  return `${prefix}/providers/Microsoft.Authorization/roleDefinitions/${role.guid}`;
}
