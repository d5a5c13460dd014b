/**
 * The issuer documents' writer (provider/issuerDocument.ts) against Azurite over HTTPS with OAuth,
 * signed in as a service principal of the local Entra: written, overwritten in place (a reader
 * polling meanwhile never misses it), read back for a refresh, deleted.
 */
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";

import { ClientSecretCredential } from "@azure/identity";
import { BlobServiceClient, StorageSharedKeyCredential } from "@azure/storage-blob";
import * as authorization from "@pulumi/azure-native/authorization";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import * as resources from "@pulumi/azure-native/resources";
import * as storage from "@pulumi/azure-native/storage";
import { Stack } from "@pulumi/pulumi/automation";

import { httpsRequest } from "../../cli/doctor/https";
import { OidcIssuer, OidcIssuerArgs } from "../../components/issuer";
import { STORAGE_BLOB_DATA_CONTRIBUTOR } from "../../components/issuer/documentWriter";
import { IssuerDocument } from "../../components/issuer/issuerDocument";
import {
  ISSUER_DOCUMENT_TYPE,
  IssuerDocumentInputs,
} from "../../components/issuer/issuerDocumentSpec";
import { IssuerDocuments } from "../../provider/issuerDocument";
import { plannedSteps, up } from "../harness/day2";
import { LiveCloud, SIMULATED_TENANT } from "../harness/liveCloud";

const ACCOUNT = "wiwriter0test1";
const KEY = crypto.randomBytes(64).toString("base64");
const URN = "urn:pulumi:dev::p::azure-wi:index:IssuerDocument::jwks";

/** A document as an anonymous reader (Entra) gets it: its status and body. */
async function served(cloud: LiveCloud, url: string) {
  const res = await httpsRequest(url, { ca: fs.readFileSync(cloud.caFile) });
  return { status: res.status, body: res.body };
}

/** Reads `url` anonymously over and over, as Entra fetches a JWKS, while `during` runs: the reads
 * that were not a 200, and how many there were. */
async function readsMissedDuring(cloud: LiveCloud, url: string, during: () => Promise<unknown>) {
  const ca = fs.readFileSync(cloud.caFile);
  let reads = 0;
  const misses: string[] = [];
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const res = await httpsRequest(url, { ca });
      reads++;
      if (res.status !== 200) misses.push(`${res.status} ${res.body.slice(0, 80)}`);
    }
  })();
  try {
    await during();
  } finally {
    polling = false;
    await poller;
  }
  return { reads, misses };
}

describe("the issuer documents' writer, with Entra auth, on Azurite", function () {
  let cloud: LiveCloud;
  let writer: IssuerDocuments;
  let owner: BlobServiceClient;
  let doc: IssuerDocumentInputs;

  before(async function () {
    cloud = await LiveCloud.create();
    fs.writeFileSync(cloud.azuriteAccounts, `${ACCOUNT}:${KEY}`);
    await cloud.serve();
    const endpoint = cloud.azuriteBlobEndpoint(ACCOUNT);
    owner = new BlobServiceClient(endpoint, new StorageSharedKeyCredential(ACCOUNT, KEY));
    await owner.getContainerClient("$web").createIfNotExists();
    const credential = new ClientSecretCredential(
      SIMULATED_TENANT,
      cloud.app.clientId,
      cloud.app.secret,
      { authorityHost: cloud.armEndpoint, disableInstanceDiscovery: true },
    );
    writer = new IssuerDocuments(undefined, () => Promise.resolve(credential));
    doc = {
      blobEndpoint: `${endpoint}/`,
      containerName: "$web",
      blobName: "openid/v1/jwks",
      content: '{"keys":[]}',
      contentType: "application/json",
      cacheControl: "public, max-age=60",
    };
  });
  after(async () => cloud?.shutdown());

  const stored = async () => {
    const blob = owner.getContainerClient("$web").getBlockBlobClient(doc.blobName);
    const props = await blob.getProperties();
    const content = (await blob.downloadToBuffer()).toString("utf8");
    return { content, contentType: props.contentType, cacheControl: props.cacheControl };
  };

  it("writes the document with its content type and Cache-Control", async () => {
    const { id } = await writer.create(URN, doc);
    assert.equal(id, `${doc.blobEndpoint}$web/openid/v1/jwks`);
    assert.deepEqual(await stored(), {
      content: doc.content,
      contentType: doc.contentType,
      cacheControl: doc.cacheControl,
    });
  });

  it("overwrites it in place: a reader polling meanwhile never misses it", async () => {
    const blob = owner.getContainerClient("$web").getBlockBlobClient(doc.blobName);
    let reads = 0;
    let misses = 0;
    let polling = true;
    const poller = (async () => {
      while (polling) {
        reads++;
        if (!(await blob.exists())) misses++;
      }
    })();
    const before = (await blob.getProperties()).etag;
    const next = { ...doc, content: '{"keys":[{"kid":"next"}]}' };
    const plan = await writer.diff("", URN, doc, next);
    assert.deepEqual(plan, { changes: true, replaces: [], deleteBeforeReplace: false });
    await writer.update("", URN, doc, next);
    polling = false;
    await poller;
    assert.ok(reads > 0);
    assert.equal(misses, 0);
    assert.notEqual((await blob.getProperties()).etag, before);
    assert.equal((await stored()).content, next.content);
    doc = next;
  });

  it("reads back what is stored, so a refresh shows a change made outside Pulumi", async () => {
    const blob = owner.getContainerClient("$web").getBlockBlobClient(doc.blobName);
    await blob.upload("{}", 2, { blobHTTPHeaders: { blobContentType: "text/plain" } });
    const props = (await writer.read("id", URN, doc)).props as IssuerDocumentInputs;
    assert.equal(props.content, "{}");
    assert.equal(props.contentType, "text/plain");
    assert.equal(props.cacheControl, "");
  });

  it("deletes it, and a read then finds nothing", async () => {
    await writer.delete("id", URN, doc);
    const blob = owner.getContainerClient("$web").getBlockBlobClient(doc.blobName);
    assert.equal(await blob.exists(), false);
    assert.deepEqual(await writer.read("id", URN, doc), {});
  });

  it("deletes only what it wrote: a document another writer wrote since stays", async () => {
    const blob = owner.getContainerClient("$web").getBlockBlobClient(doc.blobName);
    const mine = (await writer.create(URN, doc)).outs as IssuerDocumentInputs & { etag: string };
    assert.equal(mine.etag, (await blob.getProperties()).etag);
    const theirs = '{"keys":[{"kid":"theirs"}]}';
    await blob.upload(theirs, theirs.length);
    await writer.delete("id", URN, mine);
    assert.equal((await blob.downloadToBuffer()).toString(), theirs);
    // Read back (a refresh), it is that writer's, and now deleted as this resource's own.
    const read = (await writer.read("id", URN, mine)).props as IssuerDocumentInputs;
    assert.equal(read.content, theirs);
    await writer.delete("id", URN, read);
    assert.equal(await blob.exists(), false);
  });
});

describe("the issuer documents' writer through the real engine (an inline program's custom resource)", function () {
  let cloud: LiveCloud;
  let owner: BlobServiceClient;
  let stack: Stack;
  let content = '{"keys":[]}';

  const program = () => {
    const doc = new IssuerDocument("jwks", {
      blobEndpoint: `${cloud.azuriteBlobEndpoint(ACCOUNT)}/`,
      containerName: "$web",
      blobName: "openid/v1/jwks",
      content,
      contentType: "application/json",
      cacheControl: "public, max-age=60",
    });
    return Promise.resolve({ url: doc.id });
  };

  before(async function () {
    cloud = await LiveCloud.create();
    fs.writeFileSync(cloud.azuriteAccounts, `${ACCOUNT}:${KEY}`);
    await cloud.serve();
    owner = new BlobServiceClient(
      cloud.azuriteBlobEndpoint(ACCOUNT),
      new StorageSharedKeyCredential(ACCOUNT, KEY),
    );
    await owner.getContainerClient("$web").createIfNotExists();
    // The provider plugin found as docs/components.md tells a TypeScript program: Pulumi.yaml's
    // `plugins` entry, here the project's own (its bin/, this checkout's build).
    stack = await cloud.stack("dev", cloud.checkout("writer"), program);
  });
  after(async () => cloud?.shutdown());

  const stored = () =>
    owner.getContainerClient("$web").getBlockBlobClient("openid/v1/jwks").downloadToBuffer();

  it("creates the document, and a second preview plans nothing", async () => {
    await up(stack, "create");
    assert.equal((await stored()).toString(), content);
  });

  it("a new document is an update in place, never a replacement", async () => {
    content = '{"keys":[{"kid":"next"}]}';
    assert.deepEqual(await plannedSteps(stack, ISSUER_DOCUMENT_TYPE), [
      `update urn:pulumi:dev::azure-workload-identity::${ISSUER_DOCUMENT_TYPE}::jwks`,
    ]);
    await up(stack, "update");
    assert.equal((await stored()).toString(), content);
  });

  it("destroy deletes it", async () => {
    await stack.destroy();
    const blob = owner.getContainerClient("$web").getBlockBlobClient("openid/v1/jwks");
    assert.equal(await blob.exists(), false);
  });
});

describe("OidcIssuer with sharedKeyAccess: false, through the real engine", function () {
  let cloud: LiveCloud;
  let stack: Stack;
  let args: OidcIssuerArgs = { location: "westeurope", sharedKeyAccess: false };

  const program = () => {
    const issuer = new OidcIssuer("oidc", args);
    return Promise.resolve({
      issuerUrl: issuer.issuerUrl,
      jwks: issuer.jwks,
      discovery: issuer.discoveryDocument,
      account: issuer.storageAccountName,
    });
  };
  const outputs = async () =>
    Object.fromEntries(
      Object.entries(await stack.outputs()).map(([k, v]) => [k, String(v.value)]),
    ) as Record<string, string>;

  before(async function () {
    cloud = await LiveCloud.create();
    await cloud.serve();
    stack = await cloud.stack("dev", cloud.checkout("issuer"), program);
  });
  after(async () => cloud?.shutdown());

  it("an account without shared keys, the writer granted on it alone, the documents served", async () => {
    await up(stack, "first up");
    const out = await outputs();
    const ofType = (t: string) =>
      cloud.objects("azure").filter((o) => o.type === `azure-native:${t}`);
    const [account] = ofType("storage:StorageAccount");
    assert.ok(account.key.endsWith(`/${out.account}`), account.key);
    assert.equal(account.state.allowSharedKeyAccess, false);
    assert.equal(account.state.allowBlobPublicAccess, false);
    const grants = ofType("authorization:RoleAssignment").map((o) => o.state);
    assert.deepEqual(
      grants.map((g) => [g.principalId, g.principalType, g.scope, g.roleDefinitionId]),
      [
        [
          cloud.app.clientId,
          "ServicePrincipal",
          account.key,
          `${account.key.split("/resourceGroups/")[0]}/providers/Microsoft.Authorization/roleDefinitions/${STORAGE_BLOB_DATA_CONTRIBUTOR}`,
        ],
      ],
    );
    assert.deepEqual(ofType("storage:Blob"), [], "nothing written with the account key");
    assert.deepEqual(await served(cloud, `${out.issuerUrl}.well-known/openid-configuration`), {
      status: 200,
      body: out.discovery,
    });
    assert.deepEqual(await served(cloud, `${out.issuerUrl}openid/v1/jwks`), {
      status: 200,
      body: out.jwks,
    });
  });

  it("a new key published: the JWKS updated in place, a reader never missing it", async () => {
    args = {
      location: "westeurope",
      sharedKeyAccess: false,
      keys: [{ name: "initial" }, { name: "next", rsaBits: 2048 }],
      signingKeyName: "initial",
    };
    assert.deepEqual(await plannedSteps(stack, ISSUER_DOCUMENT_TYPE), [
      `update urn:pulumi:dev::azure-workload-identity::azure-wi:index:OidcIssuer$${ISSUER_DOCUMENT_TYPE}::oidc-jwks`,
    ]);
    const { issuerUrl } = await outputs();
    const { reads, misses } = await readsMissedDuring(cloud, `${issuerUrl}openid/v1/jwks`, () =>
      up(stack, "publish a key", false),
    );
    assert.deepEqual(misses, [], `${misses.length} of ${reads} reads missed the JWKS`);
    const out = await outputs();
    assert.equal(out.issuerUrl, issuerUrl);
    assert.equal((JSON.parse(out.jwks) as { keys: unknown[] }).keys.length, 2);
    assert.deepEqual(await served(cloud, `${issuerUrl}openid/v1/jwks`), {
      status: 200,
      body: out.jwks,
    });
  });

  it("a grant that never reaches the data plane: the write waits, then fails naming the role", async () => {
    const knobs = cloud.armKnobs;
    cloud.armKnobs = { ...knobs, LOCALCLOUD_DATA_RBAC_MS: "3600000" };
    await cloud.stopStorage();
    await cloud.serve();
    stack.workspace.envVars.AZURE_WI_RBAC_WAIT_SECONDS = "4";
    args = {
      location: "westeurope",
      sharedKeyAccess: false,
      keys: [
        { name: "initial" },
        { name: "next", rsaBits: 2048 },
        { name: "third", rsaBits: 2048 },
      ],
      signingKeyName: "initial",
    };
    try {
      const started = Date.now();
      await assert.rejects(stack.up(), (err: Error) =>
        /openid\/v1\/jwks: Storage still answers AuthorizationPermissionMismatch after [45] s: .*"Storage Blob Data Contributor" on the storage account/.test(
          err.message,
        ),
      );
      assert.ok(Date.now() - started >= 4000, "it waited before it failed");
    } finally {
      delete stack.workspace.envVars.AZURE_WI_RBAC_WAIT_SECONDS;
      cloud.armKnobs = knobs;
      await cloud.stopStorage();
      await cloud.serve();
    }
  });

  it("destroy leaves nothing", async () => {
    await stack.destroy();
    assert.deepEqual(cloud.objects("azure"), []);
  });
});

describe("OidcIssuer moving between shared keys and Entra writes, through the real engine", function () {
  let cloud: LiveCloud;
  let stack: Stack;
  let sharedKeyAccess = true;

  // The issuer, and an identity trusting it: the credential must not change when the writer does.
  const program = () => {
    const issuer = new OidcIssuer("oidc", {
      location: "westeurope",
      rsaBits: 2048,
      sharedKeyAccess,
    });
    const identity = new managedidentity.UserAssignedIdentity("id", {
      resourceGroupName: issuer.resourceGroupName,
      location: "westeurope",
    });
    new managedidentity.FederatedIdentityCredential("fic", {
      resourceName: identity.name,
      resourceGroupName: issuer.resourceGroupName,
      federatedIdentityCredentialResourceName: "apps-reader",
      issuer: issuer.issuerUrl,
      subject: "system:serviceaccount:apps:reader",
      audiences: ["api://AzureADTokenExchange"],
    });
    return Promise.resolve({ issuerUrl: issuer.issuerUrl, jwks: issuer.jwks });
  };
  const outputs = async () => {
    const out = await stack.outputs();
    return { issuerUrl: String(out.issuerUrl.value), jwks: String(out.jwks.value) };
  };
  /** An up with a reader polling the JWKS as Entra fetches it: every read a 200. */
  const upWhilePolling = async (what: string) => {
    const { issuerUrl } = await outputs();
    const { reads, misses } = await readsMissedDuring(cloud, `${issuerUrl}openid/v1/jwks`, () =>
      up(stack, what),
    );
    assert.deepEqual(misses, [], `${what}: ${misses.length} of ${reads} reads missed the JWKS`);
  };

  before(async function () {
    cloud = await LiveCloud.create();
    await cloud.serve();
    stack = await cloud.stack("dev", cloud.checkout("moving"), program);
    await up(stack, "with shared keys");
  });
  after(async () => cloud?.shutdown());

  for (const [to, label] of [
    [false, "to Entra writes"],
    [true, "back to shared keys"],
  ] as const) {
    it(`moves ${label}: the issuer URL, the JWKS and the credential unchanged, no read missed`, async () => {
      const before = await outputs();
      const fic = () =>
        cloud.objects("azure").filter((o) => o.type.endsWith("FederatedIdentityCredential"));
      const ficBefore = fic();
      sharedKeyAccess = to;
      assert.deepEqual(
        await plannedSteps(stack, "azure-native:managedidentity:FederatedIdentityCredential"),
        [],
      );
      await upWhilePolling(label);
      assert.deepEqual(await outputs(), before);
      assert.deepEqual(fic(), ficBefore);
      const [account] = cloud
        .objects("azure")
        .filter((o) => o.type === "azure-native:storage:StorageAccount");
      assert.equal(account.state.allowSharedKeyAccess, to);
      assert.deepEqual(await served(cloud, `${before.issuerUrl}openid/v1/jwks`), {
        status: 200,
        body: before.jwks,
      });
    });
  }
});

describe("OidcIssuer publishing in an existing storage account, through the real engine", function () {
  let cloud: LiveCloud;
  let central: Stack;
  let stack: Stack;
  const existing = { name: "centraloidc01", resourceGroupName: "storage-rg" };

  // What the team that owns storage runs: the account, shared keys and public blobs off, its
  // static website on, and the issuer's writer granted Storage Blob Data Contributor on it.
  const storageTeam = () => {
    const group = new resources.ResourceGroup("storage", {
      resourceGroupName: existing.resourceGroupName,
      location: "westeurope",
    });
    const account = new storage.StorageAccount("central", {
      accountName: existing.name,
      resourceGroupName: group.name,
      location: "westeurope",
      kind: "StorageV2",
      sku: { name: "Standard_LRS" },
      allowSharedKeyAccess: false,
      allowBlobPublicAccess: false,
    });
    new storage.StorageAccountStaticWebsite("central", {
      accountName: account.name,
      resourceGroupName: group.name,
    });
    new authorization.RoleAssignment("issuer-writer", {
      principalId: cloud.app.clientId,
      principalType: "ServicePrincipal",
      scope: account.id,
      roleDefinitionId: account.id.apply(
        (id) =>
          `${id.split("/resourceGroups/")[0]}/providers/Microsoft.Authorization/roleDefinitions/${STORAGE_BLOB_DATA_CONTRIBUTOR}`,
      ),
    });
    return Promise.resolve({});
  };
  const issuerIn = (account: typeof existing) => () => {
    const issuer = new OidcIssuer("oidc", { rsaBits: 2048, existingStorageAccount: account });
    return Promise.resolve({ issuerUrl: issuer.issuerUrl, jwks: issuer.jwks });
  };

  before(async function () {
    cloud = await LiveCloud.create({ controlPlane: false });
    await cloud.serve();
    central = await cloud.stack("central", cloud.checkout("storage-team"), storageTeam);
    await up(central, "the storage team's account");
    stack = await cloud.stack("dev", cloud.checkout("issuer"), issuerIn(existing));
  });
  after(async () => cloud?.shutdown());

  it("writes only the documents there, served by the account's website", async () => {
    await up(stack, "the issuer in the existing account");
    const out = await stack.outputs();
    const issuerUrl = String(out.issuerUrl.value);
    const [account] = cloud
      .objects("azure")
      .filter((o) => o.type === "azure-native:storage:StorageAccount");
    assert.ok(issuerUrl.includes(existing.name), issuerUrl);
    assert.deepEqual(await served(cloud, `${issuerUrl}openid/v1/jwks`), {
      status: 200,
      body: String(out.jwks.value),
    });
    const state = (await stack.exportStack()).deployment as { resources: { type: string }[] };
    assert.deepEqual(
      state.resources
        .map((r) => r.type)
        .filter((t) => !t.startsWith("pulumi:"))
        .sort(),
      [
        ISSUER_DOCUMENT_TYPE,
        ISSUER_DOCUMENT_TYPE,
        "azure-wi:index:OidcIssuer",
        "tls:index/privateKey:PrivateKey",
      ],
    );
    assert.equal(account.state.allowSharedKeyAccess, false);
  });

  it("an account that is not there fails the preview in Azure's words, making nothing", async () => {
    const missing = await cloud.stack(
      "missing",
      cloud.checkout("missing"),
      issuerIn({ ...existing, name: "nosuchaccount1" }),
    );
    await assert.rejects(missing.preview(), /ResourceNotFound.*nosuchaccount1/s);
  });

  it("destroy deletes the documents and leaves the account", async () => {
    const issuerUrl = String((await stack.outputs()).issuerUrl.value);
    await stack.destroy();
    assert.equal((await served(cloud, `${issuerUrl}openid/v1/jwks`)).status, 404);
    assert.equal(
      cloud.objects("azure").filter((o) => o.type === "azure-native:storage:StorageAccount").length,
      1,
    );
    await central.destroy();
  });
});
