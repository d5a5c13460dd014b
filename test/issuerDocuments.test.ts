import * as assert from "node:assert/strict";

import { principalOfToken } from "../components/issuer/documentWriter";
import {
  IssuerDocumentInputs,
  checkIssuerDocument,
  diffIssuerDocument,
  issuerDocumentUrl,
} from "../components/issuer/issuerDocumentSpec";
import { waitPolicyFromEnv } from "../provider/issuerDocument";

const DOC: IssuerDocumentInputs = {
  blobEndpoint: "https://oidcabc12345.blob.core.windows.net/",
  containerName: "$web",
  blobName: "openid/v1/jwks",
  content: '{"keys":[]}',
  contentType: "application/json",
  cacheControl: "public, max-age=300",
};

const token = (claims: Record<string, unknown>) =>
  `e30.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.sig`;

describe("the issuer documents' rules", () => {
  it("addresses a document by its blob URL, $web as Azure writes it", () => {
    assert.equal(
      issuerDocumentUrl(DOC),
      "https://oidcabc12345.blob.core.windows.net/$web/openid/v1/jwks",
    );
    assert.equal(
      issuerDocumentUrl({
        ...DOC,
        containerName: "oidc",
        blobName: ".well-known/openid-configuration",
      }),
      "https://oidcabc12345.blob.core.windows.net/oidc/.well-known/openid-configuration",
    );
  });

  it("takes an emulator's path-style endpoint", () => {
    assert.deepEqual(
      checkIssuerDocument({ ...DOC, blobEndpoint: "https://127.0.0.1:10000/acct/" }),
      [],
    );
  });

  it("refuses what is not a blob endpoint, container or blob name, naming the field", () => {
    assert.deepEqual(
      checkIssuerDocument({
        ...DOC,
        blobEndpoint: "http://x/",
        containerName: "Web",
        blobName: "/a",
      }).map((f) => f.split(":")[0]),
      ["blobEndpoint", "containerName", "blobName"],
    );
    assert.match(
      checkIssuerDocument({ ...DOC, content: 3 })[0],
      /^content: must be a string, got 3$/,
    );
  });

  it("overwrites in place for a new document, and writes elsewhere only for a new place", () => {
    assert.deepEqual(diffIssuerDocument(DOC, { ...DOC, content: "{}" }), {
      changed: ["content"],
      replaces: [],
    });
    assert.deepEqual(diffIssuerDocument(DOC, { ...DOC, cacheControl: "no-cache" }).replaces, []);
    assert.deepEqual(diffIssuerDocument(DOC, { ...DOC, containerName: "oidc" }).replaces, [
      "containerName",
    ]);
    assert.deepEqual(diffIssuerDocument(DOC, DOC), { changed: [], replaces: [] });
  });
});

describe("who writes the documents, from the credential's token", () => {
  const oid = "0f0e0d0c-0b0a-4909-8807-060504030201";

  it("an application's token: a service principal", () => {
    assert.deepEqual(principalOfToken(token({ oid, idtyp: "app" })), {
      principalId: oid,
      principalType: "ServicePrincipal",
    });
  });

  it("a user's token: a user", () => {
    assert.deepEqual(principalOfToken(token({ oid, idtyp: "user" })), {
      principalId: oid,
      principalType: "User",
    });
  });

  it("a v1 token without idtyp: a user when delegated (scp, upn), else an application", () => {
    const type = (claims: Record<string, unknown>) => principalOfToken(token(claims)).principalType;
    assert.equal(type({ oid, scp: "user_impersonation", upn: "ana@contoso.com" }), "User");
    assert.equal(type({ oid, upn: "ana@contoso.com" }), "User");
    assert.equal(type({ oid, xms_mirid: "/subscriptions/x/.../identity" }), "ServicePrincipal");
    assert.equal(type({ oid }), "ServicePrincipal");
  });

  it("a token without an object id, or not a token: refused, saying what to give instead", () => {
    for (const t of [token({ sub: "x" }), "not a token"]) {
      assert.throws(() => principalOfToken(t), /names no principal \(oid\).*documentWriter/);
    }
  });
});

describe("how long a write waits for its data role", () => {
  it("ten minutes, or AZURE_WI_RBAC_WAIT_SECONDS", () => {
    assert.equal(waitPolicyFromEnv({}).limitMs, 600_000);
    assert.deepEqual(waitPolicyFromEnv({ AZURE_WI_RBAC_WAIT_SECONDS: "4" }), {
      limitMs: 4000,
      intervalMs: 1000,
      progressEveryMs: 30_000,
    });
  });

  it("refuses a value that is not a whole number of seconds, naming the variable", () => {
    for (const bad of ["0", "1.5", "ten", "3601"]) {
      assert.throws(
        () => waitPolicyFromEnv({ AZURE_WI_RBAC_WAIT_SECONDS: bad }),
        new RegExp(`^Error: AZURE_WI_RBAC_WAIT_SECONDS: "${bad.replace(".", "\\.")}" is not valid`),
      );
    }
  });
});
