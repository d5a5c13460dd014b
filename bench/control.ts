/**
 * The benchmark's control: the stack program's fixed part (resource group, OidcIssuer, kind
 * cluster, webhook: deployStack with no identities) and then, for the same identities, the same
 * cloud resources with the same dependencies (identity, federated credentials chained per
 * identity, annotated ServiceAccounts, role assignments on the identity's principal), registered
 * flat with plain inputs: no component per identity, no outputs beyond what the resources need.
 * What the stack program costs above it is the price of its per-identity machinery.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";
import * as managedidentity from "@pulumi/azure-native/managedidentity";

import { resolveRole, roleDefinitionId } from "../components/roles";
import { parseStackConfig, projectConfig } from "../stacks/config";
import { deployStack } from "../stacks/deploy";

interface Identity {
  name: string;
  serviceAccounts: { namespace: string; name: string }[];
  roleAssignments: { scope: string; role: string }[];
}

export async function controlProgram(): Promise<Record<string, unknown>> {
  const raw = projectConfig(pulumi.runtime.allConfig(), pulumi.getProject());
  const identities = JSON.parse(raw.identities ?? "[]") as Identity[];
  const fixed = await deployStack(
    parseStackConfig({ ...raw, identities: "[]" }, pulumi.getStack()),
  );
  const provider = new k8s.Provider("control-k8s", { kubeconfig: fixed.kubeconfig });
  const rg = fixed.resourceGroupName;

  const namespaces = new Map<string, k8s.core.v1.Namespace>();
  for (const ns of new Set(identities.flatMap((i) => i.serviceAccounts.map((s) => s.namespace)))) {
    namespaces.set(
      ns,
      new k8s.core.v1.Namespace(`ns-${ns}`, { metadata: { name: ns } }, { provider }),
    );
  }
  for (const id of identities) {
    const identity = new managedidentity.UserAssignedIdentity(id.name, {
      resourceName: id.name,
      resourceGroupName: rg,
    });
    let previous: pulumi.Resource[] = [];
    for (const sa of id.serviceAccounts) {
      previous = [
        new managedidentity.FederatedIdentityCredential(
          `${id.name}-${sa.name}`,
          {
            resourceName: identity.name,
            resourceGroupName: rg,
            federatedIdentityCredentialResourceName: sa.name,
            issuer: fixed.issuerUrl,
            subject: `system:serviceaccount:${sa.namespace}:${sa.name}`,
            audiences: ["api://AzureADTokenExchange"],
          },
          { dependsOn: previous },
        ),
      ];
      new k8s.core.v1.ServiceAccount(
        `${id.name}-${sa.name}`,
        {
          metadata: {
            name: sa.name,
            namespace: sa.namespace,
            annotations: { "azure.workload.identity/client-id": identity.clientId },
          },
        },
        { provider, dependsOn: [namespaces.get(sa.namespace)!] },
      );
    }
    for (const [i, ra] of id.roleAssignments.entries()) {
      new authorization.RoleAssignment(`${id.name}-role-${i}`, {
        principalId: identity.principalId,
        principalType: "ServicePrincipal",
        scope: ra.scope,
        roleDefinitionId: roleDefinitionId(resolveRole(ra.role, "role"), ra.scope),
      });
    }
  }
  return { issuerUrl: fixed.issuerUrl };
}
