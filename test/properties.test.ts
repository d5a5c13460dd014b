/** Property tests for the pure parts, with fast-check. */
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";

import * as fc from "fast-check";

import { canonicalIssuer, discoveryDocument, jsonWebKeySet, keyId } from "../components";
import { InvalidArgumentError } from "../components/shared/errors";
import {
  STORAGE_ACCOUNT_NAME,
  storageAccountName,
  validateAccountNamePrefix,
} from "../components/issuer/storage";
import { MAX_FIC_NAME_LENGTH, ficName } from "../components/identity/workloadIdentityNames";

const dnsLabel = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
const httpsIssuer = fc.webUrl({
  validSchemes: ["https"],
  withQueryParameters: false,
  withFragments: false,
});

/** Either an InvalidArgumentError, or nothing: anything else is a bug. */
function onlyValidationErrors(fn: () => void): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof InvalidArgumentError)) throw e;
  }
}

describe("properties", () => {
  describe("key ids and JWKS over random RSA keys", function () {
    this.timeout(120000);
    // Generating the key inside the arbitrary gives fresh random keys; shrinking one is meaningless.
    const rsaKey = fc.noShrink(
      fc
        .constantFrom(2048, 3072)
        .map((bits) => crypto.generateKeyPairSync("rsa", { modulusLength: bits })),
    );

    it("the kid is SHA-256 of the DER public key, whatever the PEM form", () => {
      fc.assert(
        fc.property(rsaKey, ({ publicKey }) => {
          const spki = publicKey.export({ type: "spki", format: "pem" }).toString();
          const pkcs1 = publicKey.export({ type: "pkcs1", format: "pem" }).toString();
          const expected = crypto
            .createHash("sha256")
            .update(publicKey.export({ type: "spki", format: "der" }))
            .digest("base64url");
          assert.equal(keyId(spki), expected);
          assert.equal(keyId(pkcs1), expected);
          assert.match(expected, /^[A-Za-z0-9_-]{43}$/);
        }),
        { numRuns: 8 },
      );
    });

    it("every JWK imports back to its key, in order, with its kid", () => {
      fc.assert(
        fc.property(fc.array(rsaKey, { minLength: 1, maxLength: 3 }), (pairs) => {
          const pems = pairs.map((p) =>
            p.publicKey.export({ type: "spki", format: "pem" }).toString(),
          );
          const jwks = jsonWebKeySet(pems);
          assert.equal(jwks.keys.length, pems.length);
          jwks.keys.forEach((jwk, i) => {
            const back = crypto.createPublicKey({
              key: { kty: "RSA", n: jwk.n, e: jwk.e },
              format: "jwk",
            });
            assert.ok(back.equals(pairs[i].publicKey));
            assert.equal(jwk.kid, keyId(pems[i]));
          });
        }),
        { numRuns: 4 },
      );
    });
  });

  describe("FIC names", () => {
    it("are deterministic, at most 120 characters, and valid Azure names", () => {
      fc.assert(
        fc.property(dnsLabel, dnsLabel, (ns, sa) => {
          const name = ficName(ns, sa);
          assert.equal(name, ficName(ns, sa));
          assert.ok(name.length <= MAX_FIC_NAME_LENGTH);
          assert.match(name, /^[a-z0-9][a-z0-9-]*[a-z0-9]$/);
        }),
        { numRuns: 500 },
      );
    });

    it("differ for different subjects", () => {
      fc.assert(
        fc.property(fc.tuple(dnsLabel, dnsLabel), fc.tuple(dnsLabel, dnsLabel), (a, b) => {
          fc.pre(a[0] !== b[0] || a[1] !== b[1]);
          assert.notEqual(ficName(...a), ficName(...b));
        }),
        { numRuns: 1000 },
      );
    });

    it("differ where the readable part collides (a-b/c against a/b-c)", () => {
      fc.assert(
        fc.property(dnsLabel, dnsLabel, dnsLabel, (a, b, c) => {
          assert.notEqual(ficName(`${a}-${b}`, c), ficName(a, `${b}-${c}`));
        }),
        { numRuns: 300 },
      );
    });
  });

  describe("storage account names", () => {
    it("are always 3 to 24 lowercase letters and digits", () => {
      fc.assert(
        fc.property(
          fc.stringMatching(/^[a-z0-9]{1,16}$/),
          fc.stringMatching(/^[a-z0-9]{8}$/),
          (prefix, suffix) => {
            assert.match(storageAccountName(prefix, suffix), STORAGE_ACCOUNT_NAME);
          },
        ),
        { numRuns: 500 },
      );
    });

    it("refuse any prefix that could not make one, and accept every one that can", () => {
      fc.assert(
        fc.property(fc.string({ maxLength: 30 }), (prefix) => {
          const valid = /^[a-z0-9]{1,16}$/.test(prefix);
          if (valid) assert.equal(validateAccountNamePrefix(prefix), prefix);
          else assert.throws(() => validateAccountNamePrefix(prefix), InvalidArgumentError);
        }),
        { numRuns: 1000 },
      );
    });
  });

  describe("issuers", () => {
    it("are never changed when valid, with or without a trailing slash", () => {
      fc.assert(
        fc.property(httpsIssuer, fc.boolean(), (url, slash) => {
          const issuer = slash && !url.endsWith("/") ? `${url}/` : url;
          assert.equal(canonicalIssuer(issuer), issuer);
          const doc = discoveryDocument(issuer);
          assert.equal(doc.issuer, issuer);
          assert.equal(doc.jwks_uri, `${issuer.replace(/\/$/, "")}/openid/v1/jwks`);
        }),
        { numRuns: 500 },
      );
    });

    it("are either returned byte for byte or refused, for any string", () => {
      fc.assert(
        fc.property(
          fc.oneof(
            fc.string(),
            fc.webUrl(),
            httpsIssuer.map((u) => `${u}?q`),
          ),
          (value) => {
            onlyValidationErrors(() => assert.equal(canonicalIssuer(value), value));
          },
        ),
        { numRuns: 1000 },
      );
    });
  });
});
