/**
 * The issuer documents' writer (provider/issuerDocument.ts) against Azurite over HTTPS with OAuth,
 * signed in as a service principal of the local Entra: written, overwritten in place (a reader
 * polling meanwhile never misses it), read back for a refresh, deleted.
 */
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

import { ClientSecretCredential } from "@azure/identity";
import { BlobServiceClient, StorageSharedKeyCredential } from "@azure/storage-blob";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import { PulumiFn, Stack } from "@pulumi/pulumi/automation";

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
import { ROOT } from "../harness/localCloud";

const ACCOUNT = "wiwriter0test1";
const KEY = crypto.randomBytes(64).toString("base64");
const URN = "urn:pulumi:dev::p::azure-wi:index:IssuerDocument::jwks";

/**
 * The stack of an inline program that writes with Entra, set up as a user's: the provider plugin
 * found as docs/components.md tells a TypeScript program (a `plugins` entry in Pulumi.yaml naming
 * the package's bin/, here this checkout's build), and the program and the plugin signed in as the
 * tests' service principal (the program runs in this process, and a program `pulumi up` starts
 * inherits the CLI's environment). `restore` signs this process out again.
 */
async function entraStack(cloud: LiveCloud, name: string, program: PulumiFn) {
  const checkout = cloud.checkout(name);
  fs.appendFileSync(
    path.join(checkout, "Pulumi.yaml"),
    `plugins:\n  providers:\n    - name: azure-wi\n      path: ${path.join(ROOT, "bin")}\n`,
  );
  const stack = await cloud.stack("dev", checkout, program);
  const signedIn = cloud.servicePrincipalEnv();
  const saved = Object.fromEntries(Object.keys(signedIn).map((k) => [k, process.env[k]]));
  Object.assign(process.env, signedIn);
  Object.assign(stack.workspace.envVars, { ...signedIn, NODE_EXTRA_CA_CERTS: cloud.caFile });
  const restore = () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  return { stack, restore };
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
    const checkout = cloud.checkout("writer");
    stack = await cloud.stack("dev", checkout, program);
    // The provider plugin from this checkout's bin/ (its build in dist/), signed in as the
    // tests' service principal, trusting the tests' CA.
    Object.assign(stack.workspace.envVars, {
      ...cloud.servicePrincipalEnv(),
      PATH: `${path.join(ROOT, "bin")}:${stack.workspace.envVars.PATH}`,
      NODE_EXTRA_CA_CERTS: cloud.caFile,
    });
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
  let restore: (() => void) | undefined;

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
  const served = async (issuer: string, doc: string) => {
    const res = await httpsRequest(`${issuer}${doc}`, { ca: fs.readFileSync(cloud.caFile) });
    return { status: res.status, body: res.body };
  };

  before(async function () {
    cloud = await LiveCloud.create();
    await cloud.serve();
    ({ stack, restore } = await entraStack(cloud, "issuer", program));
  });
  after(async () => {
    restore?.();
    await cloud?.shutdown();
  });

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
    assert.deepEqual(await served(out.issuerUrl, ".well-known/openid-configuration"), {
      status: 200,
      body: out.discovery,
    });
    assert.deepEqual(await served(out.issuerUrl, "openid/v1/jwks"), {
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
    assert.deepEqual(await served(issuerUrl, "openid/v1/jwks"), { status: 200, body: out.jwks });
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
  let restore: (() => void) | undefined;

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
    ({ stack, restore } = await entraStack(cloud, "moving", program));
    await up(stack, "with shared keys");
  });
  after(async () => {
    restore?.();
    await cloud?.shutdown();
  });

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
      const res = await httpsRequest(`${before.issuerUrl}openid/v1/jwks`, {
        ca: fs.readFileSync(cloud.caFile),
      });
      assert.deepEqual({ status: res.status, body: res.body }, { status: 200, body: before.jwks });
    });
  }
});
