/**
 * A control for the benchmark: the same cloud resources as the stack program for the same
 * identities (identity, federated credentials chained per identity, namespaces, ServiceAccounts,
 * role assignment), with plain inputs and no components. What it costs is the SDK's and the
 * engine's price per resource, which no program can go below.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";
import * as managedidentity from "@pulumi/azure-native/managedidentity";

interface Identity {
  name: string;
  serviceAccounts: { namespace: string; name: string }[];
  roleAssignments: { scope: string; role: string }[];
}

const identities = new pulumi.Config().requireObject<Identity[]>("identities");
const provider = new k8s.Provider("k8s", { kubeconfig: "{}" });
const rg = "wi-control";
for (const ns of new Set(identities.flatMap((i) => i.serviceAccounts.map((s) => s.namespace)))) {
  new k8s.core.v1.Namespace(`ns-${ns}`, { metadata: { name: ns } }, { provider });
}
for (const id of identities) {
  new managedidentity.UserAssignedIdentity(id.name, {
    resourceName: id.name,
    resourceGroupName: rg,
  });
  let previous: pulumi.Resource[] = [];
  for (const sa of id.serviceAccounts) {
    previous = [
      new managedidentity.FederatedIdentityCredential(
        `${id.name}-${sa.name}`,
        {
          resourceName: id.name,
          resourceGroupName: rg,
          federatedIdentityCredentialResourceName: sa.name,
          issuer: "https://example.invalid/issuer",
          subject: `system:serviceaccount:${sa.namespace}:${sa.name}`,
          audiences: ["api://AzureADTokenExchange"],
        },
        { dependsOn: previous },
      ),
    ];
    new k8s.core.v1.ServiceAccount(
      `${id.name}-${sa.name}`,
      { metadata: { name: sa.name, namespace: sa.namespace } },
      { provider },
    );
  }
  for (const [i, ra] of id.roleAssignments.entries()) {
    new authorization.RoleAssignment(`${id.name}-role-${i}`, {
      principalId: "00000000-0000-0000-0000-000000000001",
      principalType: "ServicePrincipal",
      scope: ra.scope,
      roleDefinitionId: `${ra.scope}/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6`,
    });
  }
}
