/**
 * The resources WorkloadIdentity and FleetIdentity both wire: the user-assigned identity (made
 * or given), its role assignments, the annotated ServiceAccounts, and the claim that makes one
 * component the only writer of the identity's credentials in a deployment.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";
import * as managedidentity from "@pulumi/azure-native/managedidentity";

import { createdIdentityKey, deploymentClaims, existingIdentityKey } from "./identityClaims";
import { RoleAssignmentOutput, roleDefinitionId } from "./roles";
import {
  IdentityChoice,
  ResolvedServiceAccount,
  ResolvedWorkloadIdentityArgs,
  WorkloadIdentityArgs,
} from "./workloadIdentityArgs";
import { serviceAccountAnnotations } from "./workloadIdentityNames";

/** An identity's names and ids, made or given. */
export interface IdentityRefs {
  resourceGroupName: pulumi.Input<string>;
  name: pulumi.Input<string>;
  clientId: pulumi.Output<string>;
  principalId: pulumi.Output<string>;
  identityId: pulumi.Output<string>;
  tenantId: pulumi.Output<string>;
}

type IdentityPlacement = Pick<
  WorkloadIdentityArgs,
  "resourceGroupName" | "location" | "tags" | "tenantId"
>;

/** The user-assigned identity: the existing one's ids, or a new one (`<name>-identity`). */
export function userAssignedIdentity(
  parent: pulumi.Resource,
  name: string,
  cfg: Pick<ResolvedWorkloadIdentityArgs, "existing" | "identityName">,
  args: IdentityPlacement,
): IdentityRefs {
  if (cfg.existing) {
    const tenant = args.tenantId ?? cfg.existing.tenantId;
    return {
      // Plain where they are known: no Output, no promise per credential (npm run bench).
      resourceGroupName: cfg.existing.resourceGroupName,
      name: cfg.existing.name,
      clientId: pulumi.output(cfg.existing.clientId),
      // Empty when not given: the existing identity's roles are managed elsewhere.
      principalId: pulumi.output(cfg.existing.principalId ?? ""),
      identityId: pulumi.output(cfg.existing.resourceId),
      tenantId:
        tenant !== undefined
          ? pulumi.output(tenant)
          : authorization.getClientConfigOutput({ parent }).tenantId,
    };
  }
  const identity = new managedidentity.UserAssignedIdentity(
    `${name}-identity`,
    {
      resourceName: cfg.identityName,
      resourceGroupName: args.resourceGroupName!,
      location: args.location,
      tags: args.tags,
    },
    { parent },
  );
  return {
    resourceGroupName: args.resourceGroupName!,
    name: identity.name,
    clientId: identity.clientId,
    principalId: identity.principalId,
    identityId: identity.id,
    tenantId: args.tenantId !== undefined ? pulumi.output(args.tenantId) : identity.tenantId,
  };
}

/** The principal's role assignments (`<name>-role-<key>`), and where and what each is (what
 * `doctor` checks). */
export function assignRoles(
  parent: pulumi.Resource,
  name: string,
  principalId: pulumi.Output<string>,
  roleAssignments: ResolvedWorkloadIdentityArgs["roleAssignments"],
): pulumi.Output<RoleAssignmentOutput[]> {
  // A scope given as a plain string (the usual case) makes its role definition id plain too:
  // no Output, no promise, nothing to wait for (npm run bench counts them per identity).
  const assigned: pulumi.Input<RoleAssignmentOutput>[] = [];
  for (const ra of roleAssignments) {
    const definition =
      typeof ra.scope === "string"
        ? roleDefinitionId(ra.role, ra.scope)
        : pulumi.output(ra.scope).apply((scope) => roleDefinitionId(ra.role, scope));
    new authorization.RoleAssignment(
      `${name}-role-${ra.key}`,
      {
        principalId,
        // ServicePrincipal skips Entra's replication check on a just-created identity.
        principalType: "ServicePrincipal",
        scope: ra.scope,
        roleDefinitionId: definition,
      },
      { parent },
    );
    assigned.push(
      typeof ra.scope === "string" && typeof definition === "string"
        ? { scope: ra.scope, roleDefinitionId: definition }
        : pulumi
            .all([ra.scope, definition])
            .apply(([scope, roleDefinitionId]) => ({ scope, roleDefinitionId })),
    );
  }
  return pulumi.output(assigned);
}

/** The ServiceAccounts to create (`<prefix>-sa-<key>`), annotated with the identity's ids. */
export function annotatedServiceAccounts(
  parent: pulumi.Resource,
  prefix: string,
  identity: Pick<IdentityRefs, "clientId" | "tenantId">,
  serviceAccounts: ResolvedServiceAccount[],
  opts: {
    tokenExpirationSeconds: number | undefined;
    provider: pulumi.ProviderResource | undefined;
    dependsOn: (sa: ResolvedServiceAccount) => pulumi.Resource[];
  },
): k8s.core.v1.ServiceAccount[] {
  const annotations = pulumi
    .all([identity.clientId, identity.tenantId])
    .apply(([clientId, tenantId]) =>
      serviceAccountAnnotations(clientId, tenantId, opts.tokenExpirationSeconds),
    );
  return serviceAccounts
    .filter((sa) => sa.create)
    .map(
      (sa) =>
        new k8s.core.v1.ServiceAccount(
          `${prefix}-sa-${sa.key}`,
          { metadata: { name: sa.name, namespace: sa.namespace, annotations } },
          { parent, provider: opts.provider, dependsOn: opts.dependsOn(sa) },
        ),
    );
}

/**
 * Claims the identity's credentials for this component within the deployment: a second
 * component reaching the same identity is refused before it registers anything.
 */
export function claimIdentity(owner: string, args: IdentityChoice, identityName: string): void {
  const claims = deploymentClaims();
  if (claims === undefined) return;
  if (args.existingIdentity !== undefined) {
    const id = args.existingIdentity.resourceId;
    claims.claim(existingIdentityKey(id), owner, "existingIdentity.resourceId", id);
  } else if (typeof args.resourceGroupName === "string") {
    const key = createdIdentityKey(args.resourceGroupName, identityName);
    claims.claim(key, owner, args.identityName ? "identityName" : "name", identityName);
  }
}
