import * as assert from "node:assert/strict";

import * as pulumi from "@pulumi/pulumi";

import {
  OidcIssuer,
  OidcIssuerArgs,
  discoveryDocument,
  jsonWebKeySet,
  keyId,
  serializeDocument,
} from "../components";
import { STORAGE_BLOB_DATA_CONTRIBUTOR } from "../components/issuer/documentWriter";
import { ISSUER_DOCUMENT_TYPE } from "../components/issuer/issuerDocumentSpec";
import { DOCUMENT_CACHE_CONTROL } from "../components/issuer/oidcIssuer";
import { STORAGE_ACCOUNT_NAME } from "../components/issuer/storage";
import { SIMULATED, plainStrings } from "../testing/simulator";
import { fixture, isSecret, settled, simulator, valueOf } from "./helpers";

const T = {
  rg: "azure-native:resources:ResourceGroup",
  account: "azure-native:storage:StorageAccount",
  website: "azure-native:storage:StorageAccountStaticWebsite",
  container: "azure-native:storage:BlobContainer",
  blob: "azure-native:storage:Blob",
  key: "tls:index/privateKey:PrivateKey",
  suffix: "random:index/randomString:RandomString",
};

describe("OidcIssuer (static website, generated key)", () => {
  const sim = simulator();
  let issuer: OidcIssuer;

  before(async () => {
    sim.reset();
    issuer = new OidcIssuer("dev", { rsaBits: 2048, location: "westeurope", tags: { env: "dev" } });
    await valueOf(issuer.issuerUrl);
    await settled(sim);
  });

  it("registers the component and exactly its children", () => {
    assert.deepEqual(sim.resources.map((r) => `${r.type}/${r.name}`).sort(), [
      "azure-native:authorization:RoleAssignment/dev-document-writer",
      "azure-native:resources:ResourceGroup/dev-rg",
      "azure-native:storage:StorageAccount/dev-sa",
      "azure-native:storage:StorageAccountStaticWebsite/dev-website",
      "azure-wi:index:IssuerDocument/dev-discovery",
      "azure-wi:index:IssuerDocument/dev-jwks",
      "azure-wi:index:OidcIssuer/dev",
      "random:index/randomString:RandomString/dev-account-suffix",
      "tls:index/privateKey:PrivateKey/dev-signing-key",
    ]);
    const component = sim.one("azure-wi:index:OidcIssuer");
    for (const child of sim.resources.filter((r) => r !== component)) {
      assert.equal(child.parent, component.urn, `${child.name} must be parented to the component`);
    }
  });

  it("generates an RSA key of the requested size", () => {
    assert.deepEqual(sim.one(T.key).inputs, { algorithm: "RSA", rsaBits: 2048 });
  });

  it("hardens the storage account", () => {
    const sa = sim.one(T.account).inputs;
    assert.equal(sa.kind, "StorageV2");
    assert.deepEqual(sa.sku, { name: "Standard_LRS" });
    assert.equal(sa.enableHttpsTrafficOnly, true);
    assert.equal(sa.minimumTlsVersion, "TLS1_2");
    assert.equal(sa.allowBlobPublicAccess, false, "a static website needs no public blobs");
    assert.equal(sa.allowSharedKeyAccess, false, "the documents are written with Entra auth");
    assert.equal(sa.allowCrossTenantReplication, false);
    assert.equal(sa.location, "westeurope");
    assert.deepEqual(sa.tags, { env: "dev" });
    assert.match(String(sa.accountName), STORAGE_ACCOUNT_NAME);
    assert.match(String(sa.accountName), /^oidc[a-z0-9]{8}$/);
    assert.equal(sa.resourceGroupName, sim.one(T.rg).outputs.name);
  });

  it("makes the account suffix lowercase alphanumeric", () => {
    assert.deepEqual(sim.one(T.suffix).inputs, {
      length: 8,
      lower: true,
      upper: false,
      numeric: true,
      special: false,
    });
  });

  it("enables the static website on the account", () => {
    const web = sim.one(T.website).inputs;
    assert.equal(web.accountName, sim.one(T.account).inputs.accountName);
    assert.equal(sim.byType(T.container).length, 0, "no public container in this mode");
  });

  it("uses the web endpoint, byte for byte, as the issuer", async () => {
    const account = String(sim.one(T.account).inputs.accountName);
    const expected = `https://${account}.${SIMULATED.webZone}.web.core.windows.net/`;
    assert.equal(await valueOf(issuer.issuerUrl), expected);
    assert.equal(await valueOf(issuer.jwksUri), `${expected}openid/v1/jwks`);
  });

  it("writes both documents into $web as the signed-in deployer, byte for byte", async () => {
    const issuerUrl = await valueOf(issuer.issuerUrl);
    const docs = new Map(sim.byType(ISSUER_DOCUMENT_TYPE).map((d) => [d.inputs.blobName, d]));
    assert.deepEqual([...docs.keys()].sort(), [
      ".well-known/openid-configuration",
      "openid/v1/jwks",
    ]);
    for (const doc of docs.values()) {
      assert.equal(doc.inputs.containerName, "$web");
      assert.equal(doc.inputs.contentType, "application/json");
      assert.equal(doc.options.retainOnDelete, true);
    }
    const discovery = String(docs.get(".well-known/openid-configuration")?.inputs.content);
    assert.equal(discovery, serializeDocument(discoveryDocument(issuerUrl)));
    const jwks = JSON.parse(String(docs.get("openid/v1/jwks")?.inputs.content)) as ReturnType<
      typeof jsonWebKeySet
    >;
    assert.deepEqual(jwks, jsonWebKeySet([String(sim.one(T.key).outputs.publicKeyPem)]));
    assert.equal(jwks.keys[0].kid, await valueOf(issuer.keyId));
    const grant = sim.one("azure-native:authorization:RoleAssignment");
    assert.deepEqual(
      [grant.inputs.principalId, grant.inputs.principalType],
      [sim.signedIn?.principalId, sim.signedIn?.principalType],
    );
  });

  it("exposes the key: public PEM and kid in the clear, private PEM only as a secret", async () => {
    const pub = String(sim.one(T.key).outputs.publicKeyPem);
    assert.equal(await valueOf(issuer.publicKeyPem), pub);
    assert.equal(await valueOf(issuer.keyId), keyId(pub));
    assert.equal(await isSecret(issuer.privateKeyPem), true);
    assert.match(await valueOf(issuer.privateKeyPem), /BEGIN RSA PRIVATE KEY/);
    assert.equal(await isSecret(issuer.issuerUrl), false);
  });

  it("names the account and resource group", async () => {
    assert.equal(await valueOf(issuer.storageAccountName), sim.one(T.account).inputs.accountName);
    assert.equal(await valueOf(issuer.resourceGroupName), sim.one(T.rg).outputs.name);
  });
});

describe("OidcIssuer (sharedKeyAccess: true: azure-native writes with the account key)", () => {
  const sim = simulator();
  let issuer: OidcIssuer;

  before(async () => {
    sim.reset();
    issuer = new OidcIssuer("dev", { rsaBits: 2048, sharedKeyAccess: true });
    await valueOf(issuer.issuerUrl);
    await settled(sim);
  });

  it("keeps the account key on, and grants no one a data role", () => {
    assert.equal(sim.one(T.account).inputs.allowSharedKeyAccess, true);
    assert.deepEqual(sim.byType("azure-native:authorization:RoleAssignment"), []);
    assert.deepEqual(sim.byType(ISSUER_DOCUMENT_TYPE), []);
  });

  it("uploads both documents into $web as application/json, a new one over the old in place", async () => {
    const issuerUrl = await valueOf(issuer.issuerUrl);
    const blobs = new Map(sim.byType(T.blob).map((b) => [b.inputs.blobName, b]));
    assert.deepEqual([...blobs.keys()].sort(), [
      ".well-known/openid-configuration",
      "openid/v1/jwks",
    ]);
    for (const blob of blobs.values()) {
      assert.equal(blob.inputs.containerName, "$web");
      assert.equal(blob.inputs.contentType, "application/json");
      assert.equal(blob.inputs.type, "Block");
      // Create-before-delete, the replaced one retained: one overwrite, never a missing JWKS.
      assert.equal(blob.options.deleteBeforeReplace, false);
      assert.equal(blob.options.retainOnDelete, true);
    }
    const text = (b: unknown) => String((b as { text: string }).text);
    const discovery = text(blobs.get(".well-known/openid-configuration")?.inputs.source);
    assert.equal(discovery, serializeDocument(discoveryDocument(issuerUrl)));
    assert.equal((JSON.parse(discovery) as { issuer: string }).issuer, issuerUrl);
    const jwks = JSON.parse(text(blobs.get("openid/v1/jwks")?.inputs.source)) as ReturnType<
      typeof jsonWebKeySet
    >;
    const pub = String(sim.one(T.key).outputs.publicKeyPem);
    assert.deepEqual(jwks, jsonWebKeySet([pub]));
    assert.equal(jwks.keys[0].kid, await valueOf(issuer.keyId));
  });
});

describe("OidcIssuer (public container, brought key, existing group, rotation keys)", () => {
  const sim = simulator();
  let issuer: OidcIssuer;

  before(async () => {
    sim.reset();
    issuer = new OidcIssuer("team", {
      hosting: "publicContainer",
      containerName: "issuer",
      resourceGroupName: "platform-rg",
      accountNamePrefix: "teamoidc",
      signingKey: {
        privateKeyPem: pulumi.secret(fixture("signing.key")),
        publicKeyPem: fixture("signing.pub"),
      },
      additionalPublicKeysPem: [fixture("rotated.pub")],
    });
    await valueOf(issuer.issuerUrl);
    await settled(sim);
  });

  it("creates no resource group, no key and no static website", () => {
    assert.equal(sim.byType(T.rg).length, 0);
    assert.equal(sim.byType(T.key).length, 0);
    assert.equal(sim.byType(T.website).length, 0);
    assert.equal(sim.one(T.account).inputs.resourceGroupName, "platform-rg");
  });

  it("allows public blobs on the account and on the one container only", () => {
    assert.equal(sim.one(T.account).inputs.allowBlobPublicAccess, true);
    const c = sim.one(T.container).inputs;
    assert.equal(c.containerName, "issuer");
    assert.equal(c.publicAccess, "Blob");
  });

  it("issues as blob endpoint + container, without trailing slash", async () => {
    const account = String(sim.one(T.account).inputs.accountName);
    assert.match(account, /^teamoidc[a-z0-9]{8}$/);
    assert.equal(
      await valueOf(issuer.issuerUrl),
      `https://${account}.blob.core.windows.net/issuer`,
    );
    const docs = sim.byType(ISSUER_DOCUMENT_TYPE);
    assert.equal(docs.length, 2);
    for (const d of docs) assert.equal(d.inputs.containerName, "issuer");
  });

  it("publishes the signing key first and the rotation key after it", async () => {
    const jwks = JSON.parse(await valueOf(issuer.jwks)) as { keys: { kid: string }[] };
    assert.deepEqual(
      jwks.keys.map((k) => k.kid),
      [keyId(fixture("signing.pub")), keyId(fixture("rotated.pub"))],
    );
    assert.equal(await valueOf(issuer.keyId), keyId(fixture("signing.pub")));
  });

  it("keeps the brought private key secret", async () => {
    assert.equal(await isSecret(issuer.privateKeyPem), true);
    assert.equal(await valueOf(issuer.privateKeyPem), fixture("signing.key"));
    for (const r of sim.resources) {
      assert.ok(
        !JSON.stringify(r.raw).includes("PRIVATE KEY"),
        `${r.name} must not receive the private key`,
      );
    }
  });
});

describe("OidcIssuer in an existing storage account", () => {
  const sim = simulator();
  const central = { name: "centraloidc", resourceGroupName: "storage-rg" };

  const build = async (hosting: Partial<OidcIssuerArgs>, signedIn = sim.signedIn) => {
    sim.reset();
    sim.signedIn = signedIn;
    const args = { rsaBits: 2048, existingStorageAccount: central, ...hosting } as OidcIssuerArgs;
    const issuer = new OidcIssuer("byo", args);
    await valueOf(issuer.issuerUrl);
    await settled(sim);
    return issuer;
  };

  it("makes nothing but its key and the two documents, written with Entra auth", async () => {
    const issuer = await build({});
    assert.deepEqual(sim.resources.map((r) => `${r.type}/${r.name}`).sort(), [
      "azure-wi:index:IssuerDocument/byo-discovery",
      "azure-wi:index:IssuerDocument/byo-jwks",
      "azure-wi:index:OidcIssuer/byo",
      "tls:index/privateKey:PrivateKey/byo-signing-key",
    ]);
    assert.deepEqual(
      sim.invokes.filter((i) => i.token === "azure-native:storage:getStorageAccount"),
      [
        {
          token: "azure-native:storage:getStorageAccount",
          inputs: { accountName: "centraloidc", resourceGroupName: "storage-rg" },
        },
      ],
    );
    const issuerUrl = await valueOf(issuer.issuerUrl);
    assert.equal(issuerUrl, `https://centraloidc.${SIMULATED.webZone}.web.core.windows.net/`);
    assert.equal(await valueOf(issuer.storageAccountName), "centraloidc");
    assert.equal(await valueOf(issuer.resourceGroupName), "storage-rg");
    for (const doc of sim.byType(ISSUER_DOCUMENT_TYPE)) {
      assert.equal(doc.inputs.blobEndpoint, "https://centraloidc.blob.core.windows.net/");
      assert.equal(doc.inputs.containerName, "$web");
      // Deleted on destroy: the account stays, and the provider deletes only what it wrote.
      assert.equal(doc.options.retainOnDelete, false);
      assert.ok(!doc.dependencies.some((d) => d.includes("RoleAssignment")), "waits for no grant");
    }
    const discovery = sim
      .byType(ISSUER_DOCUMENT_TYPE)
      .find((d) => d.inputs.blobName === ".well-known/openid-configuration");
    assert.equal(discovery?.inputs.content, serializeDocument(discoveryDocument(issuerUrl)));
  });

  it("finds no one to grant: the account's owners do, so no sign-in is needed", async () => {
    await build({}, undefined);
    assert.deepEqual(sim.byType("azure-native:authorization:RoleAssignment"), []);
  });

  it("publishes in a public container of the account, which it does not make", async () => {
    const issuer = await build({ hosting: "publicContainer", containerName: "issuers" });
    assert.deepEqual(sim.byType(T.container), []);
    assert.equal(
      await valueOf(issuer.issuerUrl),
      "https://centraloidc.blob.core.windows.net/issuers",
    );
    for (const doc of sim.byType(ISSUER_DOCUMENT_TYPE)) {
      assert.equal(doc.inputs.containerName, "issuers");
    }
  });
});

describe("OidcIssuer secrets", () => {
  const sim = simulator();
  beforeEach(() => sim.reset());

  it("rejects, at deployment, a secret private key that does not match", async () => {
    const issuer = new OidcIssuer("late", {
      signingKey: {
        privateKeyPem: pulumi.secret(fixture("rotated.key")),
        publicKeyPem: fixture("signing.pub"),
      },
    });
    const failure = new Promise<Error>((resolve) => {
      process.once("unhandledRejection", (e) => resolve(e as Error));
      issuer.privateKeyPem.apply(() => resolve(new Error("resolved")));
    });
    const err = await failure;
    assert.match(err.message, /signingKey.privateKeyPem: .*does not match/);
    assert.ok(!err.message.includes("BEGIN"), "the key must not be echoed");
    await settled(sim);
  });

  it("leaves no private key outside secrets in any recorded input", async () => {
    new OidcIssuer("secretive", {
      signingKey: {
        privateKeyPem: pulumi.secret(fixture("signing.key")),
        publicKeyPem: fixture("signing.pub"),
      },
    });
    await settled(sim);
    assert.ok(sim.resources.length > 0);
    for (const r of sim.resources) {
      for (const [path, text] of plainStrings(r.raw)) {
        assert.ok(
          !text.includes("PRIVATE KEY"),
          `${r.name}.${path} holds a private key in the clear`,
        );
      }
    }
  });
});

describe("OidcIssuer (shared keys off: documents written with Entra auth)", () => {
  const sim = simulator();
  const writer = {
    principalId: "0f0e0d0c-0b0a-4909-8807-060504030201",
    principalType: "ServicePrincipal" as const,
  };
  let issuer: OidcIssuer;

  before(async () => {
    sim.reset();
    issuer = new OidcIssuer("ent", {
      rsaBits: 2048,
      location: "westeurope",
      sharedKeyAccess: false,
      documentWriter: writer,
    });
    await valueOf(issuer.issuerUrl);
    await settled(sim);
  });

  it("turns shared keys off on the account, and writes nothing with them", () => {
    assert.equal(sim.one(T.account).inputs.allowSharedKeyAccess, false);
    assert.equal(sim.one(T.account).inputs.allowBlobPublicAccess, false);
    assert.equal(sim.resources.filter((r) => r.type === T.blob).length, 0);
  });

  it("grants the writer Storage Blob Data Contributor on the account alone", () => {
    const grant = sim.one("azure-native:authorization:RoleAssignment");
    const account = String(sim.one(T.account).outputs.id);
    assert.equal(grant.name, "ent-document-writer");
    assert.deepEqual(grant.inputs, {
      principalId: writer.principalId,
      principalType: "ServicePrincipal",
      scope: account,
      roleDefinitionId: `/subscriptions/${SIMULATED.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${STORAGE_BLOB_DATA_CONTRIBUTOR}`,
    });
  });

  it("writes both documents into $web, short-cached, after the grant", () => {
    const grant = sim.one("azure-native:authorization:RoleAssignment");
    const docs = sim.resources.filter((r) => r.type === ISSUER_DOCUMENT_TYPE);
    assert.deepEqual(docs.map((d) => d.name).sort(), ["ent-discovery", "ent-jwks"]);
    for (const d of docs) {
      assert.equal(d.inputs.containerName, "$web");
      assert.equal(d.inputs.contentType, "application/json");
      assert.equal(d.inputs.cacheControl, DOCUMENT_CACHE_CONTROL);
      const endpoints = sim.one(T.account).outputs.primaryEndpoints as Record<string, string>;
      assert.equal(d.inputs.blobEndpoint, endpoints.blob);
      assert.ok(d.dependencies.includes(grant.urn), `${d.name} waits for the grant`);
      // Moving between writers, the removed resource must not delete what the new one wrote.
      assert.equal(d.options.retainOnDelete, true);
    }
  });

  it("publishes the JWKS it outputs, byte for byte", async () => {
    const jwks = sim.resources.find((r) => r.name === "ent-jwks")!;
    assert.equal(jwks.inputs.content, await valueOf(issuer.jwks));
  });
});
