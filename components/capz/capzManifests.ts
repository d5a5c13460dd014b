import * as pulumi from "@pulumi/pulumi";

import { azureClusterIdentityManifest, serviceAccountKeySecretManifest } from "./capz";

export interface CapzManifestsArgs {
  /** The identity CAPZ signs in as (WorkloadIdentity.clientId / tenantId). */
  clientId: pulumi.Input<string>;
  tenantId: pulumi.Input<string>;
  /** The AzureClusterIdentity's name and namespace, and who may use it. */
  identityName: string;
  namespace: string;
  allowedNamespaces?: string[] | "all";
  /** For a self-managed workload cluster: its name and the signing key pair its issuer
   * publishes (OidcIssuer.publicKeyPem / privateKeyPem). */
  workloadCluster?: {
    name: string;
    publicKeyPem: pulumi.Input<string>;
    privateKeyPem: pulumi.Input<string>;
  };
}

/** The CAPZ manifests for one identity, as Outputs; the key Secret is a Pulumi secret. */
export function capzManifests(args: CapzManifestsArgs): {
  azureClusterIdentity: pulumi.Output<string>;
  serviceAccountKeySecret: pulumi.Output<string> | undefined;
} {
  // Checked now with stand-in ids, so that a bad name fails before anything is deployed.
  azureClusterIdentityManifest({ ...args, name: args.identityName, clientId: "", tenantId: "" });
  const cluster = args.workloadCluster;
  return {
    azureClusterIdentity: pulumi
      .all([args.clientId, args.tenantId])
      .apply(([clientId, tenantId]) =>
        azureClusterIdentityManifest({ ...args, name: args.identityName, clientId, tenantId }),
      ),
    serviceAccountKeySecret:
      cluster === undefined
        ? undefined
        : pulumi.secret(
            pulumi
              .all([cluster.publicKeyPem, cluster.privateKeyPem])
              .apply(([publicKeyPem, privateKeyPem]) =>
                serviceAccountKeySecretManifest({
                  clusterName: cluster.name,
                  namespace: args.namespace,
                  publicKeyPem,
                  privateKeyPem,
                }),
              ),
          ),
  };
}
