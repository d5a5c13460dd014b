import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import * as authorization from "@pulumi/azure-native/authorization";
import * as resources from "@pulumi/azure-native/resources";
import * as storage from "@pulumi/azure-native/storage";

import {
  DISCOVERY_PATH,
  JWKS_PATH,
  discoveryDocument,
  jsonWebKeySet,
  serializeDocument,
} from "./documents";
import { roleDefinitionId } from "../identity/roles";
import { DocumentWriter, STORAGE_BLOB_DATA_CONTRIBUTOR, signedInWriter } from "./documentWriter";
import { IssuerDocument } from "./issuerDocument";
import { jwksUri } from "./issuerUrl";
import { KeyGuardError, KeyGuardOptions, guardIssuerKeys, withFixedMessage } from "./keyGuard";
import { signingKeyResourceName } from "./keyLedger";
import { keyId } from "./keys";
import { KeyLedger, RotationPhase, RotationState } from "./signingKeys";
import {
  ExistingStorageAccount,
  OidcIssuerArgs,
  ResolvedOidcIssuerArgs,
  checkProvidedPrivateKey,
  plannedKeys,
  signingPairFields,
  resolveOidcIssuerArgs,
} from "./oidcIssuerArgs";
import {
  ACCOUNT_SUFFIX_LENGTH,
  STATIC_WEBSITE_CONTAINER,
  publicContainerIssuer,
  staticWebsiteIssuer,
  storageAccountName,
} from "./storage";

const TYPE = "azure-wi:index:OidcIssuer";

/** How long a reader may keep a document written with Entra auth before asking again. */
export const DOCUMENT_CACHE_CONTROL = "public, max-age=300";

/** Writes one document: its resource suffix, blob name and content. */
type Upload = (
  suffixName: string,
  blobName: string,
  content: pulumi.Output<string>,
) => pulumi.CustomResource;

/** The storage account the documents are in, as the issuer uses it: its own or an existing one. */
interface Account {
  name: pulumi.Output<string>;
  id: pulumi.Output<string>;
  primaryEndpoints: pulumi.Output<{ blob: string; web?: string }>;
}

/** What the key guard is told besides the keys: the caller's names for its fields, in messages. */
export type KeyCheckOptions = Pick<KeyGuardOptions, "fields"> & { now?: Date };

/**
 * Makes a self-managed cluster an OIDC identity provider Entra can trust: an RSA signing key, a
 * storage account, and the discovery document and JWKS published under one canonical issuer URL.
 *
 * Its keys are guarded: before anything of the issuer is registered it reads its previous
 * deployment from the stack's state and refuses a step that would sign with a key Entra has not
 * fetched, drop a key tokens in flight carry, or change a published key (see signingKeys.ts).
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
  /** Where the JWKS is served: the discovery document's `jwks_uri`. */
  public readonly jwksUri: pulumi.Output<string>;
  /** The signing key's public half (SPKI PEM) and its Kubernetes key id. */
  public readonly publicKeyPem: pulumi.Output<string>;
  /** The signing key's kid (RFC 7638 thumbprint), as the API server puts it in token headers. */
  public readonly keyId: pulumi.Output<string>;
  /** The signing key's private half; always a secret. */
  public readonly privateKeyPem: pulumi.Output<string>;
  /** Every public key the JWKS publishes after the signing key's, in the declared order: give
   * them to KindOrAksCluster, which accepts them. */
  public readonly additionalPublicKeysPem: pulumi.Output<string[]>;
  /** Each declared key's name and kid (a single key is named "initial"). */
  public readonly keyIds: pulumi.Output<Record<string, string>>;
  /** The key ledger after this up: each key's kid, kind, and when it was published, began and
   * stopped signing. The next up reads it back from the state. */
  public readonly keyLedger: pulumi.Output<KeyLedger>;
  /** Where the rotation stands and what to do next. */
  public readonly keyRotation: pulumi.Output<{
    /** `steady`, `published` (a new key is in the JWKS) or `switched` (it signs). */
    phase: RotationPhase;
    /** The next step of the rotation, in words. */
    next: string;
  }>;
  /** The two documents, exactly as uploaded. */
  public readonly discoveryDocument: pulumi.Output<string>;
  /** The published JWKS, byte for byte. */
  public readonly jwks: pulumi.Output<string>;
  /** The storage account that serves the documents. */
  public readonly storageAccountName: pulumi.Output<string>;
  /** The resource group of the storage account (given or created). */
  public readonly resourceGroupName: pulumi.Output<string>;

  /**
   * Runs the issuer's key guard without registering anything: the rotation step a new
   * OidcIssuer(name, args, opts) would make, or a rejection with the one-line refusal. The
   * constructor runs the same guard and registers nothing before it passes; await this first to
   * refuse before the program registers anything else either (as the stacks do).
   */
  static checkKeys(
    name: string,
    args: OidcIssuerArgs = {},
    opts?: pulumi.ComponentResourceOptions,
    check: KeyCheckOptions = {},
  ): Promise<RotationState> {
    return keyGuard(name, resolveOidcIssuerArgs(args), opts, check);
  }

  constructor(name: string, args: OidcIssuerArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    // Everything checkable is checked before super(): bad input registers nothing at all.
    const cfg = resolveOidcIssuerArgs(args);
    // The guard, and a brought signing key given as a secret Output checked once its value is
    // known: both before anything of the issuer registers.
    // With shared keys off, who writes the documents, found before anything registers too: a
    // deployer the credential chain cannot sign in is refused in one line, with nothing made.
    // An existing account's owners grant the writer themselves: no one to find.
    const writer =
      cfg.sharedKeyAccess || cfg.documentWriter || cfg.existingStorageAccount
        ? Promise.resolve(cfg.documentWriter)
        : signedInWriter();
    const rotation = Promise.all([keyGuard(name, cfg, opts, {}), checkedPrivateKey(cfg), writer])
      .then(([r]) => r)
      .catch((err: unknown) => {
        throw withFixedMessage(err);
      });
    // The guard reads the previous deployment, which takes a round trip to the engine: the
    // issuer's own registration waits for it, and every child waits for the issuer's.
    super(TYPE, name, {}, { ...opts, dependsOn: afterGuard(rotation, opts?.dependsOn) });

    const keys = this.signingKeys(name, cfg, rotation);
    const existing = cfg.existingStorageAccount;
    const { account, resourceGroupName } = existing
      ? existingAccount(existing, this)
      : this.ownAccount(name, cfg, args);
    const { containerName, issuer } = existing
      ? servedFrom(cfg, account)
      : this.hosting(name, cfg, account, resourceGroupName);

    this.discoveryDocument = issuer.apply((i) => serializeDocument(discoveryDocument(i)));
    this.jwks = keys.jwks;
    const upload = cfg.sharedKeyAccess
      ? this.sharedKeyUpload(name, account, resourceGroupName, containerName)
      : this.entraUpload(
          name,
          existing ? undefined : (writer as Promise<DocumentWriter>),
          account,
          containerName,
        );
    const discoveryBlob = upload("discovery", DISCOVERY_PATH, this.discoveryDocument);
    const jwksBlob = upload("jwks", JWKS_PATH, this.jwks);

    this.issuerUrl = pulumi.all([issuer, ...published(discoveryBlob, jwksBlob)]).apply(([i]) => i);
    this.apiServerIssuerUrl = issuer;
    this.jwksUri = this.issuerUrl.apply(jwksUri);
    this.publicKeyPem = keys.publicKeyPem;
    this.keyId = keys.publicKeyPem.apply(keyId);
    this.privateKeyPem = pulumi.secret(keys.privateKeyPem);
    this.additionalPublicKeysPem = keys.extras;
    this.keyIds = keys.keyIds;
    this.keyLedger = keys.ledger;
    this.keyRotation = pulumi.output(rotation).apply((r) => ({ phase: r.phase, next: r.next }));
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
      keyIds: this.keyIds,
      keyLedger: this.keyLedger,
      keyRotation: this.keyRotation,
      discoveryDocument: this.discoveryDocument,
      jwks: this.jwks,
      storageAccountName: this.storageAccountName,
      resourceGroupName: this.resourceGroupName,
    });
  }

  /**
   * One tls.PrivateKey per generated key, kept in state; "initial" keeps the resource name a
   * single generated key always had, so declaring keys later does not make a new one. Then the
   * public halves, their kids checked against the ledger, and the JWKS made of them.
   */
  private signingKeys(name: string, cfg: ResolvedOidcIssuerArgs, rotation: Promise<RotationState>) {
    const publicPems = new Map<string, pulumi.Output<string>>();
    const generated = new Map<string, tls.PrivateKey>();
    for (const k of cfg.keys) {
      if (k.kind === "generated") {
        const key = new tls.PrivateKey(
          signingKeyResourceName(name, k.name),
          { algorithm: "RSA", rsaBits: k.rsaBits },
          // A published key never changes. The guard refuses a size change before anything is
          // registered; should anything get past it, the engine still keeps the key it has.
          { parent: this, ignoreChanges: ["algorithm", "rsaBits", "ecdsaCurve"] },
        );
        generated.set(k.name, key);
        publicPems.set(k.name, key.publicKeyPem);
      } else {
        publicPems.set(k.name, pulumi.output(k.publicKeyPem));
      }
    }
    const signing = cfg.keys.find((k) => k.name === cfg.signingKeyName)!;
    const publicKeyPem = publicPems.get(signing.name)!;
    const privateKeyPem =
      signing.kind === "generated"
        ? generated.get(signing.name)!.privateKeyPem
        : pulumi
            .output(cfg.signingPrivateKeyPem!)
            .apply((pem) =>
              checkProvidedPrivateKey(pem, signing.publicKeyPem, signingPairFields(cfg)),
            );
    const others = cfg.keys.filter((k) => k.name !== signing.name);
    const extras = pulumi.all(others.map((k) => publicPems.get(k.name)!));
    const keyIds = pulumi
      .all(cfg.keys.map((k) => publicPems.get(k.name)!))
      .apply((pems) => Object.fromEntries(cfg.keys.map((k, i) => [k.name, keyId(pems[i])])));
    // Nothing is published with a key whose kid is not the one its name was published with.
    const ledger = pulumi
      .all([pulumi.output(rotation), keyIds])
      .apply(([r, ids]) => ledgerWithKids(`OidcIssuer ${name}`, r.ledger, ids));
    const jwks = pulumi
      .all([ledger, publicKeyPem, extras])
      .apply(([, p, e]) => serializeDocument(jsonWebKeySet([p, ...e])));
    return { publicKeyPem, privateKeyPem, extras, keyIds, ledger, jwks };
  }

  /** The issuer's own account, in the given resource group or one of its own. */
  private ownAccount(name: string, cfg: ResolvedOidcIssuerArgs, args: OidcIssuerArgs) {
    const resourceGroupName =
      args.resourceGroupName !== undefined
        ? pulumi.output(args.resourceGroupName)
        : new resources.ResourceGroup(
            `${name}-rg`,
            { location: args.location, tags: args.tags },
            { parent: this },
          ).name;
    return { account: this.storageAccount(name, cfg, args, resourceGroupName), resourceGroupName };
  }

  private storageAccount(
    name: string,
    cfg: ResolvedOidcIssuerArgs,
    args: OidcIssuerArgs,
    resourceGroupName: pulumi.Output<string>,
  ): storage.StorageAccount {
    const suffix = new random.RandomString(
      `${name}-account-suffix`,
      { length: ACCOUNT_SUFFIX_LENGTH, lower: true, upper: false, numeric: true, special: false },
      { parent: this },
    );
    return new storage.StorageAccount(
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
        // azure-native's storage.Blob uploads with the account key (pulumi-azure-native #2015,
        // #2948); with shared keys off, the azure-wi provider writes the documents with Entra.
        allowSharedKeyAccess: cfg.sharedKeyAccess,
        allowCrossTenantReplication: false,
        tags: args.tags,
      },
      { parent: this },
    );
  }

  /** The documents written by azure-native with the account key. */
  private sharedKeyUpload(
    name: string,
    account: Account,
    resourceGroupName: pulumi.Output<string>,
    containerName: pulumi.Output<string>,
  ): Upload {
    return (suffixName, blobName, content) =>
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
        // A changed document replaces the blob (pulumi-azure-native #3530). Its create is one
        // Put Blob under the same name, which overwrites the old document in place, atomically
        // for readers; deleting the replaced resource would then delete that same name, the new
        // document. So a replaced blob is retained (dropped from state only): no moment without
        // a JWKS during a rotation. The documents go with their container or account on destroy.
        { parent: this, retainOnDelete: true },
      );
  }

  /**
   * The documents written with Entra auth by the azure-wi provider (a new document is an update
   * in place). In its own account the issuer first grants `grantTo` Storage Blob Data
   * Contributor on that account only; in an existing one (`grantTo` undefined) the account's
   * owners have granted it.
   */
  private entraUpload(
    name: string,
    grantTo: Promise<DocumentWriter> | undefined,
    account: Account,
    containerName: pulumi.Output<string>,
  ): Upload {
    const writer = grantTo && pulumi.output(grantTo);
    const grant =
      writer &&
      new authorization.RoleAssignment(
        `${name}-document-writer`,
        {
          principalId: writer.principalId,
          principalType: writer.principalType,
          scope: account.id,
          roleDefinitionId: account.id.apply((id) =>
            roleDefinitionId({ guid: STORAGE_BLOB_DATA_CONTRIBUTOR }, id),
          ),
        },
        { parent: this },
      );
    return (suffixName, blobName, content) =>
      new IssuerDocument(
        `${name}-${suffixName}`,
        {
          blobEndpoint: account.primaryEndpoints.blob,
          containerName,
          blobName,
          content,
          contentType: "application/json",
          // Short, so that a verifier that cached a JWKS refetches soon after a rotation step.
          cacheControl: DOCUMENT_CACHE_CONTROL,
        },
        // In its own account, retained on delete, as the azure-native blobs are: both writers
        // write the same two names, so a stack moving from one to the other must not have the
        // removed resource delete what the new one just wrote; the documents go with the account
        // on destroy. An existing account stays: there the provider deletes a document only if
        // it is still the one it wrote (If-Match on its ETag).
        { parent: this, dependsOn: grant ? [grant] : [], retainOnDelete: grant !== undefined },
      );
  }

  /** The static website or the public container, and the issuer URL it serves under. */
  private hosting(
    name: string,
    cfg: ResolvedOidcIssuerArgs,
    account: Account,
    resourceGroupName: pulumi.Output<string>,
  ): { containerName: pulumi.Output<string>; issuer: pulumi.Output<string> } {
    if (cfg.hosting === "staticWebsite") {
      const website = new storage.StorageAccountStaticWebsite(
        `${name}-website`,
        { accountName: account.name, resourceGroupName },
        { parent: this },
      );
      return {
        containerName: website.containerName,
        issuer: account.primaryEndpoints.apply((e) => staticWebsiteIssuer(e.web ?? "")),
      };
    }
    const publicContainer = cfg.containerName ?? "";
    const container = new storage.BlobContainer(
      `${name}-container`,
      {
        accountName: account.name,
        resourceGroupName,
        containerName: publicContainer,
        publicAccess: "Blob",
      },
      { parent: this },
    );
    return {
      containerName: container.name,
      issuer: account.primaryEndpoints.apply((e) => publicContainerIssuer(e.blob, publicContainer)),
    };
  }
}

/** An existing account, read from Resource Manager (its absence fails the preview, in Azure's
 * words). */
function existingAccount(existing: ExistingStorageAccount, parent: pulumi.Resource) {
  const resourceGroupName = pulumi.output(existing.resourceGroupName);
  const found = storage.getStorageAccountOutput(
    { accountName: existing.name, resourceGroupName },
    { parent },
  );
  const account: Account = {
    name: found.name,
    id: found.id,
    primaryEndpoints: found.primaryEndpoints,
  };
  return { account, resourceGroupName };
}

/** Where an existing account serves the documents: its static website's `$web`, or the given
 * public container. Its owners made them; the issuer makes neither. */
function servedFrom(cfg: ResolvedOidcIssuerArgs, account: Account) {
  if (cfg.hosting === "staticWebsite") {
    return {
      containerName: pulumi.output(STATIC_WEBSITE_CONTAINER),
      issuer: account.primaryEndpoints.apply((e) => staticWebsiteIssuer(e.web ?? "")),
    };
  }
  const container = cfg.containerName ?? "";
  return {
    containerName: pulumi.output(container),
    issuer: account.primaryEndpoints.apply((e) => publicContainerIssuer(e.blob, container)),
  };
}

/**
 * A brought signing key's private half given as an Output (a secret), checked against its
 * public half once known, so that a key that is encrypted, public or another pair's refuses the
 * issuer before it registers. An Output not known yet (a preview of a computed value) is
 * checked when it is used.
 */
async function checkedPrivateKey(cfg: ResolvedOidcIssuerArgs): Promise<void> {
  const signing = cfg.keys.find((k) => k.name === cfg.signingKeyName)!;
  if (signing.kind !== "provided" || typeof cfg.signingPrivateKeyPem === "string") return;
  const output = pulumi.output(cfg.signingPrivateKeyPem!);
  // An apply never runs for an unknown value, and the issuer must not wait for it forever: ask
  // first (every Output carries isKnown, though the SDK's types keep it internal).
  const known = await (output as unknown as { isKnown: Promise<boolean> }).isKnown;
  const pem = known ? await new Promise<string>((resolve) => output.apply(resolve)) : undefined;
  if (pem !== undefined) checkProvidedPrivateKey(pem, signing.publicKeyPem, signingPairFields(cfg));
}

/** The issuer's guard, as the constructor and checkKeys run it. */
function keyGuard(
  name: string,
  cfg: ResolvedOidcIssuerArgs,
  opts: pulumi.ComponentResourceOptions | undefined,
  check: KeyCheckOptions,
): Promise<RotationState> {
  const urn = new Promise<string>((resolve) =>
    pulumi.createUrn(name, TYPE, opts?.parent).apply(resolve),
  );
  return guardIssuerKeys(urn, name, plannedKeys(cfg.keys), cfg.signingKeyName, {
    now: check.now ?? new Date(),
    allowEarlyRetirement: cfg.allowEarlyKeyRetirement,
    resetKeyLedger: cfg.resetKeyLedger,
    fields: check.fields,
    owner: `OidcIssuer ${name}`,
  });
}

/**
 * What the issuer URL waits for. In an up, the documents' ids: known once both uploads succeeded
 * (with `--continue-on-error`, a failed upload leaves its id unknown and nothing downstream moves).
 * In a preview, their URNs: a document change replaces its blob, whose id is unknown until the up,
 * and every FIC would show `~ issuer` for an issuer string that does not change.
 */
function published(...blobs: pulumi.CustomResource[]): pulumi.Output<string>[] {
  return blobs.map((b) => (pulumi.runtime.isDryRun() ? b.urn : b.id));
}

/** The caller's dependsOn, once the guard has passed (a refusal rejects it: nothing registers). */
function afterGuard(
  guard: Promise<unknown>,
  dependsOn: pulumi.ComponentResourceOptions["dependsOn"],
): pulumi.ComponentResourceOptions["dependsOn"] {
  return guard.then(() => dependsOn ?? []) as pulumi.Input<pulumi.Input<pulumi.Resource>[]>;
}

/**
 * The ledger with each key's kid as it is now. A key the ledger already knew must still have its
 * kid: if the state lost a generated key and a new one was made under its name, nothing is
 * published (the JWKS waits for this) and the up fails naming the key.
 */
function ledgerWithKids(owner: string, ledger: KeyLedger, ids: Record<string, string>): KeyLedger {
  const keys = Object.fromEntries(
    Object.entries(ledger.keys).map(([n, r]) => {
      if (r.kid !== "" && ids[n] !== r.kid) {
        throw new KeyGuardError(
          `${owner}: key ${JSON.stringify(n)} is now kid ${ids[n]} where it was published as kid ${r.kid}; a published key never changes, so nothing is published: restore the key, or give the new one a new name`,
        );
      }
      return [n, { ...r, kid: ids[n] }];
    }),
  );
  return { ...ledger, keys };
}
