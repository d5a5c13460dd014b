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
import { Stack } from "@pulumi/pulumi/automation";

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
    writer = new IssuerDocuments(undefined, Promise.resolve(credential));
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
