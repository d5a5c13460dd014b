import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";

import {
  CredentialsRequest,
  OPENSHIFT_AUDIENCE,
  authenticationManifest,
  credentialsIdentityName,
  credentialsSecretManifest,
  parseCredentialsRequests,
} from "./credentialsRequests";
import { requireKnownObject } from "../shared/errors";
import { createdIdentityKey, deploymentClaims } from "../identity/identityClaims";
import { validateIdentityName } from "../identity/workloadIdentityArgs";
import { WorkloadIdentity } from "../identity/workloadIdentity";

export interface OpenShiftCredentialsArgs {
  /** The cluster's issuer, byte for byte (OidcIssuer.issuerUrl). */
  issuerUrl: pulumi.Input<string>;
  /** CredentialsRequest objects (parsed YAML), e.g. those `oc adm release extract --credentials-requests` writes. */
  credentialsRequests: unknown[];
  /** Resource group of the identities. */
  resourceGroupName: pulumi.Input<string>;
  /** Azure region of the identities, and `azure_region` in the Secrets. */
  location: pulumi.Input<string>;
  /** Where the requests' roles are granted: the cluster's resource group id, say. */
  roleScope: pulumi.Input<string>;
  /** The identities are named `<namePrefix>-<secret namespace>-<secret name>` (the cluster's infra name). */
  namePrefix: string;
  /** FIC audience (default `openshift`, which OpenShift's operators request). */
  audience?: string;
  /** `azure_federated_token_file` in the Secrets (default OpenShift's mount). */
  tokenFile?: string;
}

/**
 * What `ccoctl azure create-all` creates for OpenShift's CredentialsRequests, as Pulumi
 * resources: per request a user-assigned identity, a federated credential per ServiceAccount
 * (one after another within an identity, identities in parallel), and its role assignments; and
 * the manifests the installer takes: one Secret per request and the cluster's Authentication.
 */
export class OpenShiftCredentials extends pulumi.ComponentResource {
  /** One Secret manifest (YAML) per request, in the order given. */
  public readonly secretManifests: pulumi.Output<string[]>;
  /** The cluster's `Authentication` manifest with `serviceAccountIssuer`. */
  public readonly authenticationManifest: pulumi.Output<string>;
  /** Each request's (`namespace/name`) identity client id. */
  public readonly clientIds: pulumi.Output<Record<string, string>>;

  constructor(
    name: string,
    args: OpenShiftCredentialsArgs,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    requireKnownObject(
      args,
      "",
      [
        "issuerUrl",
        "credentialsRequests",
        "resourceGroupName",
        "location",
        "roleScope",
        "namePrefix",
        "audience",
        "tokenFile",
      ],
      "OpenShiftCredentialsArgs: { issuerUrl, credentialsRequests, ... }",
    );
    const requests = parseCredentialsRequests(args.credentialsRequests);
    validateIdentityName(args.namePrefix, "namePrefix");
    for (const r of requests) {
      // Each request's identity: no other component of the program may write to it.
      if (typeof args.resourceGroupName === "string") {
        const identity = credentialsIdentityName(args.namePrefix, r);
        deploymentClaims()?.check(
          createdIdentityKey(args.resourceGroupName, identity),
          "namePrefix",
          identity,
        );
      }
    }
    super("azure-wi:index:OpenShiftCredentials", name, {}, opts);

    const client = authorization.getClientConfigOutput({ parent: this });
    const identities = requests.map(
      (r: CredentialsRequest) =>
        [
          r,
          new WorkloadIdentity(
            `${name}-${r.secretRef.namespace}-${r.secretRef.name}`,
            {
              issuerUrl: args.issuerUrl,
              resourceGroupName: args.resourceGroupName,
              location: args.location,
              identityName: credentialsIdentityName(args.namePrefix, r),
              // The operators' ServiceAccounts are OpenShift's: trusted, not created.
              serviceAccounts: r.serviceAccountNames.map((sa) => ({
                namespace: r.secretRef.namespace,
                name: sa,
                create: false,
              })),
              audiences: [args.audience ?? OPENSHIFT_AUDIENCE],
              roleAssignments: r.roles.map((role) => ({ scope: args.roleScope, role })),
            },
            { parent: this },
          ),
        ] as const,
    );

    this.secretManifests = pulumi.all(
      identities.map(([r, id]) =>
        pulumi
          .all([id.clientId, client.tenantId, client.subscriptionId, args.location])
          .apply(([clientId, tenantId, subscriptionId, region]) =>
            credentialsSecretManifest(r, {
              clientId,
              tenantId,
              subscriptionId,
              region,
              tokenFile: args.tokenFile,
            }),
          ),
      ),
    );
    this.authenticationManifest = pulumi.output(args.issuerUrl).apply(authenticationManifest);
    this.clientIds = pulumi
      .all(identities.map(([r, id]) => id.clientId.apply((c) => [r.id, c] as const)))
      .apply((pairs) => Object.fromEntries(pairs));
    this.registerOutputs({
      secretManifests: this.secretManifests,
      authenticationManifest: this.authenticationManifest,
      clientIds: this.clientIds,
    });
  }
}
