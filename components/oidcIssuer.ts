import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import * as resources from "@pulumi/azure-native/resources";
import * as storage from "@pulumi/azure-native/storage";

import {
  DISCOVERY_PATH,
  JWKS_PATH,
  discoveryDocument,
  jsonWebKeySet,
  serializeDocument,
} from "./documents";
import { jwksUri } from "./issuer";
import { keyId } from "./keys";
import { INITIAL_KEY } from "./signingKeys";
import { OidcIssuerArgs, checkProvidedPrivateKey, resolveOidcIssuerArgs } from "./oidcIssuerArgs";
import {
  ACCOUNT_SUFFIX_LENGTH,
  publicContainerIssuer,
  staticWebsiteIssuer,
  storageAccountName,
} from "./storage";

/**
 * Makes a self-managed cluster an OIDC identity provider Entra can trust: an RSA signing key, a
 * storage account, and the discovery document and JWKS published under one canonical issuer URL.
 */
export class OidcIssuer extends pulumi.ComponentResource {
  /** The canonical issuer. Resolves once both documents are published, so FICs and clusters that
   * use it are created only when Entra can already fetch the keys. */
  public readonly issuerUrl: pulumi.Output<string>;
  /**
   * The same issuer string for the cluster's `--service-account-issuer`: known once the storage
   * account exists, without waiting for the documents (the API server never fetches them). Give
   * this one to KindOrAksCluster. A cluster that waited for the documents would sit downstream of
   * their delete-before-replace uploads, and while planning such a replacement the Pulumi engine
   * (v3.255, Registry.Diff in pkg/resource/deploy/providers/registry.go) diffs the cluster's
   * Kubernetes provider and unloads it, then fails to delete what ran in the old cluster ("grpc:
   * the client connection is closing"): a key rotation could never complete.
   */
  public readonly apiServerIssuerUrl: pulumi.Output<string>;
  public readonly jwksUri: pulumi.Output<string>;
  /** The signing key's public half (SPKI PEM) and its Kubernetes key id. */
  public readonly publicKeyPem: pulumi.Output<string>;
  public readonly keyId: pulumi.Output<string>;
  /** The signing key's private half; always a secret. */
  public readonly privateKeyPem: pulumi.Output<string>;
  /** Every public key the JWKS publishes after the signing key's, in the declared order: give
   * them to KindOrAksCluster, which accepts them. */
  public readonly additionalPublicKeysPem: pulumi.Output<string[]>;
  /** Each declared key's name and kid (a single key is named "initial"). */
  public readonly keyIds: pulumi.Output<Record<string, string>>;
  /** The two documents, exactly as uploaded. */
  public readonly discoveryDocument: pulumi.Output<string>;
  public readonly jwks: pulumi.Output<string>;
  public readonly storageAccountName: pulumi.Output<string>;
  public readonly resourceGroupName: pulumi.Output<string>;

  constructor(name: string, args: OidcIssuerArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    // Everything checkable is checked before super(): bad input registers nothing at all.
    const cfg = resolveOidcIssuerArgs(args);
    super("azure-wi:index:OidcIssuer", name, {}, opts);
    const parent = { parent: this };

    // One tls.PrivateKey per generated key, kept in state; "initial" keeps the resource name a
    // single generated key always had, so declaring keys later does not make a new one.
    const publicPems = new Map<string, pulumi.Output<string>>();
    const generated = new Map<string, tls.PrivateKey>();
    for (const k of cfg.keys) {
      if (k.kind === "generated") {
        const key = new tls.PrivateKey(
          k.name === INITIAL_KEY ? `${name}-signing-key` : `${name}-signing-key-${k.name}`,
          { algorithm: "RSA", rsaBits: k.rsaBits },
          parent,
        );
        generated.set(k.name, key);
        publicPems.set(k.name, key.publicKeyPem);
      } else {
        publicPems.set(k.name, pulumi.output(k.publicKeyPem));
      }
    }
    const signing = cfg.keys.find((k) => k.name === cfg.signingKeyName)!;
    const publicKeyPem = publicPems.get(signing.name)!;
    let privateKeyPem: pulumi.Output<string>;
    if (signing.kind === "generated") {
      privateKeyPem = generated.get(signing.name)!.privateKeyPem;
    } else {
      privateKeyPem = pulumi
        .output(cfg.signingPrivateKeyPem!)
        .apply((pem) => checkProvidedPrivateKey(pem, signing.publicKeyPem));
    }
    const others = cfg.keys.filter((k) => k.name !== signing.name);
    const extras = pulumi.all(others.map((k) => publicPems.get(k.name)!));

    const resourceGroupName =
      args.resourceGroupName !== undefined
        ? pulumi.output(args.resourceGroupName)
        : new resources.ResourceGroup(
            `${name}-rg`,
            { location: args.location, tags: args.tags },
            parent,
          ).name;

    const suffix = new random.RandomString(
      `${name}-account-suffix`,
      { length: ACCOUNT_SUFFIX_LENGTH, lower: true, upper: false, numeric: true, special: false },
      parent,
    );
    const account = new storage.StorageAccount(
      `${name}-sa`,
      {
        accountName: suffix.result.apply((s) => storageAccountName(cfg.accountNamePrefix, s)),
        resourceGroupName,
        location: args.location,
        kind: "StorageV2",
        sku: { name: "Standard_LRS" },
        enableHttpsTrafficOnly: true,
        minimumTlsVersion: "TLS1_2",
        // Only the public-container mode needs anonymous blob reads; a static website does not.
        allowBlobPublicAccess: cfg.hosting === "publicContainer",
        // storage.Blob uploads with the account key (pulumi-azure-native #2015, #2948):
        // disabling shared keys would break every document upload.
        allowSharedKeyAccess: true,
        allowCrossTenantReplication: false,
        tags: args.tags,
      },
      parent,
    );

    let containerName: pulumi.Output<string>;
    let issuer: pulumi.Output<string>;
    if (cfg.hosting === "staticWebsite") {
      const website = new storage.StorageAccountStaticWebsite(
        `${name}-website`,
        { accountName: account.name, resourceGroupName },
        parent,
      );
      containerName = website.containerName;
      issuer = account.primaryEndpoints.apply((e) => staticWebsiteIssuer(e.web ?? ""));
    } else {
      const publicContainer = cfg.containerName ?? "";
      const container = new storage.BlobContainer(
        `${name}-container`,
        {
          accountName: account.name,
          resourceGroupName,
          containerName: publicContainer,
          publicAccess: "Blob",
        },
        parent,
      );
      containerName = container.name;
      issuer = account.primaryEndpoints.apply((e) =>
        publicContainerIssuer(e.blob, publicContainer),
      );
    }

    this.discoveryDocument = issuer.apply((i) => serializeDocument(discoveryDocument(i)));
    this.jwks = pulumi
      .all([publicKeyPem, extras])
      .apply(([p, e]) => serializeDocument(jsonWebKeySet([p, ...e])));

    const upload = (suffixName: string, blobName: string, content: pulumi.Output<string>) =>
      new storage.Blob(
        `${name}-${suffixName}`,
        {
          accountName: account.name,
          resourceGroupName,
          containerName,
          blobName,
          type: "Block",
          contentType: "application/json",
          source: content.apply((c) => new pulumi.asset.StringAsset(c)),
        },
        // A changed document replaces the blob under the same name; create-before-delete would
        // upload the new one and then delete it. Delete first (a brief 404, not a lost JWKS).
        { parent: this, deleteBeforeReplace: true },
      );
    const discoveryBlob = upload("discovery", DISCOVERY_PATH, this.discoveryDocument);
    const jwksBlob = upload("jwks", JWKS_PATH, this.jwks);

    this.issuerUrl = pulumi.all([issuer, discoveryBlob.id, jwksBlob.id]).apply(([i]) => i);
    this.apiServerIssuerUrl = issuer;
    this.jwksUri = this.issuerUrl.apply(jwksUri);
    this.publicKeyPem = publicKeyPem;
    this.keyId = publicKeyPem.apply(keyId);
    this.privateKeyPem = pulumi.secret(privateKeyPem);
    this.additionalPublicKeysPem = extras;
    this.keyIds = pulumi
      .all(cfg.keys.map((k) => publicPems.get(k.name)!))
      .apply((pems) => Object.fromEntries(cfg.keys.map((k, i) => [k.name, keyId(pems[i])])));
    this.storageAccountName = account.name;
    this.resourceGroupName = resourceGroupName;

    this.registerOutputs({
      issuerUrl: this.issuerUrl,
      apiServerIssuerUrl: this.apiServerIssuerUrl,
      jwksUri: this.jwksUri,
      publicKeyPem: this.publicKeyPem,
      keyId: this.keyId,
      privateKeyPem: this.privateKeyPem,
      additionalPublicKeysPem: this.additionalPublicKeysPem,
      discoveryDocument: this.discoveryDocument,
      jwks: this.jwks,
      storageAccountName: this.storageAccountName,
      resourceGroupName: this.resourceGroupName,
    });
  }
}
