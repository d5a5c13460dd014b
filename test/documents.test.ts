import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as crypto from "node:crypto";

import {
  canonicalIssuer,
  discoveryDocument,
  jsonWebKeySet,
  jwksUri,
  keyId,
  serializeDocument,
} from "../components";
import { InvalidArgumentError } from "../components/shared/errors";
import { parseRsaPrivateKey, parseRsaPublicKey } from "../components/issuer/keys";
import { fixture } from "./helpers";

// Computed with openssl when the fixtures were made (test/fixtures/README.md).
const SIGNING_KID = "ccM6kkwnBLk04rupvnKRiHB5iSJnZlyEJ2rxYrL2GTs";
const ROTATED_KID = "20dOUhKj1ZLfkrZSIKc3OICAEgWYP5__WWntWUB2JZg";

function rejects(field: string, fn: () => unknown, pattern?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(
      err instanceof InvalidArgumentError,
      `expected InvalidArgumentError, got ${String(err)}`,
    );
    assert.equal(err.field, field);
    if (pattern) assert.match(err.message, pattern);
    return true;
  });
}

describe("issuer strings", () => {
  it("accepts a valid issuer and returns it byte for byte", () => {
    for (const issuer of [
      "https://oidcab12cd34.z6.web.core.windows.net/",
      "https://oidcab12cd34.blob.core.windows.net/oidc",
      "https://westeurope.oic.prod-aks.azure.com/00000000-0000-4000-8000-000000000001/0f0e/",
      "https://Issuer.Example.com:8443/path",
    ]) {
      assert.equal(canonicalIssuer(issuer), issuer);
    }
  });

  const bad: [string, unknown, RegExp][] = [
    ["http scheme", "http://example.com/", /https/],
    ["a query", "https://example.com/?x=1", /query/],
    ["an empty query", "https://example.com/?", /query/],
    ["a fragment", "https://example.com/#frag", /fragment/],
    ["credentials", "https://user:pw@example.com/", /credentials/],
    ["white space", " https://example.com/", /white space/],
    ["not a URL", "example.com", /https/],
    ["empty", "", /https URL/],
    ["not a string", 42, /42/],
  ];
  for (const [what, value, pattern] of bad) {
    it(`rejects ${what}`, () => rejects("issuerUrl", () => canonicalIssuer(value), pattern));
  }

  it("names the caller's field", () =>
    rejects("issuer", () => canonicalIssuer("http://x/", "issuer")));

  it("derives the JWKS URI without doubling the slash", () => {
    assert.equal(
      jwksUri("https://a.z6.web.core.windows.net/"),
      "https://a.z6.web.core.windows.net/openid/v1/jwks",
    );
    assert.equal(
      jwksUri("https://a.blob.core.windows.net/oidc"),
      "https://a.blob.core.windows.net/oidc/openid/v1/jwks",
    );
  });
});

describe("discoveryDocument", () => {
  it("is exactly what kube-apiserver serves", () => {
    const issuer = "https://oidcab12cd34.z6.web.core.windows.net/";
    assert.equal(
      serializeDocument(discoveryDocument(issuer)),
      '{"issuer":"https://oidcab12cd34.z6.web.core.windows.net/",' +
        '"jwks_uri":"https://oidcab12cd34.z6.web.core.windows.net/openid/v1/jwks",' +
        '"response_types_supported":["id_token"],"subject_types_supported":["public"],' +
        '"id_token_signing_alg_values_supported":["RS256"]}',
    );
  });

  it("keeps an issuer without trailing slash as given", () => {
    const doc = discoveryDocument("https://acct.blob.core.windows.net/oidc");
    assert.equal(doc.issuer, "https://acct.blob.core.windows.net/oidc");
    assert.equal(doc.jwks_uri, "https://acct.blob.core.windows.net/oidc/openid/v1/jwks");
  });

  it("refuses a bad issuer", () => rejects("issuerUrl", () => discoveryDocument("https://x/?a")));
});

describe("keyId", () => {
  it("equals the openssl-computed id of the fixed test keys", () => {
    assert.equal(keyId(fixture("signing.pub")), SIGNING_KID);
    assert.equal(keyId(fixture("rotated.pub")), ROTATED_KID);
  });

  it("equals what openssl computes right now", function () {
    let der: Buffer;
    try {
      der = execFileSync("openssl", ["pkey", "-pubin", "-outform", "DER"], {
        input: fixture("signing.pub"),
      });
    } catch {
      this.skip();
    }
    assert.equal(
      keyId(fixture("signing.pub")),
      crypto.createHash("sha256").update(der).digest("base64url"),
    );
  });

  it("is the same for the PKCS#1 form of the key", () => {
    const pkcs1 = crypto
      .createPublicKey(fixture("signing.pub"))
      .export({ type: "pkcs1", format: "pem" })
      .toString();
    assert.match(pkcs1, /BEGIN RSA PUBLIC KEY/);
    assert.equal(keyId(pkcs1), SIGNING_KID);
  });

  it("has 43 base64url characters and no padding", () => {
    assert.match(keyId(fixture("signing.pub")), /^[A-Za-z0-9_-]{43}$/);
  });
});

describe("jsonWebKeySet", () => {
  it("publishes each key in Kubernetes' shape, in order", () => {
    const jwks = jsonWebKeySet([fixture("signing.pub"), fixture("rotated.pub")]);
    assert.deepEqual(
      jwks.keys.map((k) => Object.keys(k)),
      [
        ["use", "kty", "kid", "alg", "n", "e"],
        ["use", "kty", "kid", "alg", "n", "e"],
      ],
    );
    assert.deepEqual(
      jwks.keys.map((k) => [k.use, k.kty, k.kid, k.alg, k.e]),
      [
        ["sig", "RSA", SIGNING_KID, "RS256", "AQAB"],
        ["sig", "RSA", ROTATED_KID, "RS256", "AQAB"],
      ],
    );
    const n = crypto.createPublicKey(fixture("signing.pub")).export({ format: "jwk" }).n;
    assert.equal(jwks.keys[0].n, n);
  });

  it("round-trips: each JWK imports back to the same public key", () => {
    const [jwk] = jsonWebKeySet([fixture("signing.pub")]).keys;
    const back = crypto.createPublicKey({
      key: { kty: jwk.kty, n: jwk.n, e: jwk.e },
      format: "jwk",
    });
    assert.ok(back.equals(crypto.createPublicKey(fixture("signing.pub"))));
  });

  it("refuses an empty list", () =>
    rejects("publicKeysPem", () => jsonWebKeySet([]), /at least one/));
  it("refuses a key listed twice", () =>
    rejects(
      "publicKeysPem[1]",
      () => jsonWebKeySet([fixture("signing.pub"), fixture("signing.pub")]),
      /same key/,
    ));
  it("refuses a malformed PEM", () =>
    rejects(
      "publicKeysPem[0]",
      () => jsonWebKeySet(["-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----\n"]),
      /does not parse/,
    ));
  it("refuses text that is not PEM", () =>
    rejects("publicKeysPem[0]", () => jsonWebKeySet(["ssh-rsa AAAA"])));
  it("refuses an EC key", () =>
    rejects("publicKeysPem[0]", () => jsonWebKeySet([fixture("ec-p256.pub")]), /ec key.*RSA/));
  it("refuses an RSA key under 2048 bits", () =>
    rejects(
      "publicKeysPem[0]",
      () => jsonWebKeySet([fixture("weak-1024.pub")]),
      /1024 bits.*2048/,
    ));
  it("refuses a private key where a public one belongs, without echoing it", () => {
    const pem = fixture("signing.key");
    rejects("publicKeysPem[0]", () => jsonWebKeySet([pem]), /PRIVATE KEY \(not shown\)/);
    try {
      jsonWebKeySet([pem]);
    } catch (e) {
      assert.ok(!(e as Error).message.includes(pem.split("\n")[1]), "the key must not be echoed");
    }
  });
});

describe("key parsing", () => {
  it("reads PKCS#1 and PKCS#8 private keys", () => {
    const pkcs8 = fixture("signing.key");
    const pkcs1 = crypto
      .createPrivateKey(pkcs8)
      .export({ type: "pkcs1", format: "pem" })
      .toString();
    assert.equal(parseRsaPrivateKey(pkcs1).asymmetricKeyDetails?.modulusLength, 2048);
    assert.equal(parseRsaPrivateKey(pkcs8).asymmetricKeyType, "rsa");
  });

  it("never echoes a malformed private key", () => {
    const garbage = "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LXRleHQ=\n-----END PRIVATE KEY-----\n";
    assert.throws(
      () => parseRsaPrivateKey(garbage, "signingKey.privateKeyPem"),
      (e: Error) =>
        e instanceof InvalidArgumentError &&
        !e.message.includes("c2VjcmV0") &&
        /not shown/.test(e.message),
    );
  });

  it("refuses a public key in a private key's place", () =>
    rejects("privateKeyPem", () => parseRsaPrivateKey(fixture("signing.pub"))));

  it("parses a public key to its modulus size", () =>
    assert.equal(
      parseRsaPublicKey(fixture("signing.pub")).asymmetricKeyDetails?.modulusLength,
      2048,
    ));
});
