/**
 * The benchmark's control: the stack program's fixed part (resource group, OidcIssuer, kind
 * cluster, webhook: deployStack with no identities) and then, for the same identities, the same
 * cloud resources with the same inputs, logical names and dependencies (identity, federated
 * credentials chained per identity, annotated ServiceAccounts, role assignments on the identity's
 * principal), registered flat with plain inputs: no component per identity, no outputs beyond
 * what the resources need. What the stack program costs above it is the price of its
 * per-identity machinery.
 *
 * The names and inputs come from the functions the component itself uses
 * (resolveWorkloadIdentityArgs, serviceAccountAnnotations, roleDefinitionId), so both programs
 * send the cloud the same bytes; test/integration/bench.test.ts compares their states.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";
import * as managedidentity from "@pulumi/azure-native/managedidentity";

import { roleDefinitionId } from "../components/identity/roles";
import { resolveWorkloadIdentityArgs } from "../components/identity/workloadIdentityArgs";
import { serviceAccountAnnotations } from "../components/identity/workloadIdentityNames";
import { parseStackConfig, projectConfig } from "../stacks/config";
import { deployFixedPart } from "../stacks/deploy";

export async function controlProgram(): Promise<Record<string, unknown>> {
  const cfg = parseStackConfig(
    projectConfig(pulumi.runtime.allConfig(), pulumi.getProject()),
    pulumi.getStack(),
  );
  // The same fixed part, namespaces and Kubernetes provider as the stack program's.
  const fixed = await deployFixedPart(cfg);
  const provider = fixed.cluster.provider;
  const rg = fixed.resourceGroupName;
  for (const id of cfg.identities) {
    const resolved = resolveWorkloadIdentityArgs(id.name, {
      issuerUrl: fixed.identityIssuerUrl,
      resourceGroupName: rg,
      serviceAccounts: id.serviceAccounts,
      roleAssignments: id.roleAssignments,
      tokenExpirationSeconds: cfg.tokenExpirationSeconds,
    });
    const identity = new managedidentity.UserAssignedIdentity(`${id.name}-identity`, {
      resourceName: resolved.identityName,
      resourceGroupName: rg,
      location: cfg.location,
    });
    let previous: pulumi.Resource[] = [];
    for (const sa of resolved.serviceAccounts) {
      previous = [
        new managedidentity.FederatedIdentityCredential(
          `${id.name}-fic-${sa.key}`,
          {
            resourceName: identity.name,
            resourceGroupName: rg,
            federatedIdentityCredentialResourceName: sa.ficName,
            issuer: fixed.identityIssuerUrl,
            subject: sa.subject,
            audiences: resolved.audiences,
          },
          { dependsOn: previous },
        ),
      ];
    }
    const annotations = pulumi
      .all([identity.clientId, identity.tenantId])
      .apply(([clientId, tenantId]) =>
        serviceAccountAnnotations(clientId, tenantId, resolved.tokenExpirationSeconds),
      );
    for (const sa of resolved.serviceAccounts.filter((s) => s.create)) {
      const namespace = fixed.namespaces.get(sa.namespace);
      new k8s.core.v1.ServiceAccount(
        `${id.name}-sa-${sa.key}`,
        { metadata: { name: sa.name, namespace: sa.namespace, annotations } },
        { provider, dependsOn: namespace ? [namespace] : [] },
      );
    }
    for (const ra of resolved.roleAssignments) {
      const scope = ra.scope as string; // the stack config's scopes are plain strings
      new authorization.RoleAssignment(`${id.name}-role-${ra.key}`, {
        principalId: identity.principalId,
        principalType: "ServicePrincipal",
        scope,
        roleDefinitionId: roleDefinitionId(ra.role, scope),
      });
    }
  }
  return { issuerUrl: fixed.cluster.issuerUrl };
}
