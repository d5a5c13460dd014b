/**
 * Real cryptography, end to end: tokens signed the way kube-apiserver signs them (RS256, the
 * Kubernetes key id in the header, the service-account subject, the token-exchange audience) are
 * verified with the jose library against the JWKS and the discovery document's issuer that
 * OidcIssuer publishes. jose plays Entra's part.
 */
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";

import * as pulumi from "@pulumi/pulumi";

import { OidcIssuer, jsonWebKeySet, keyId, serviceAccountSubject } from "../components";
import { AZURE_AD_TOKEN_EXCHANGE_AUDIENCE } from "../components/issuer/issuerUrl";
import { fixture, settled, simulator, valueOf } from "./helpers";

// jose is an ES module, and these tests are CommonJS: loaded as Node loads ES modules.
const jose = () => import("jose");

interface Published {
  issuer: string;
  jwks: { keys: Record<string, unknown>[] };
}

/** Signs a projected service-account token as kube-apiserver would. */
async function kubeToken(
  privateKeyPem: string,
  issuer: string,
  opts: { namespace?: string; name?: string; audience?: string; kid?: string } = {},
): Promise<string> {
  const key = crypto.createPrivateKey(privateKeyPem);
  const kid =
    opts.kid ??
    keyId(crypto.createPublicKey(key).export({ type: "spki", format: "pem" }).toString());
  const now = Math.floor(Date.now() / 1000);
  const { SignJWT } = await jose();
  return new SignJWT({
    "kubernetes.io": {
      namespace: opts.namespace ?? "apps",
      serviceaccount: { name: opts.name ?? "reader", uid: crypto.randomUUID() },
    },
  })
    .setProtectedHeader({ alg: "RS256", kid })
    .setIssuer(issuer)
    .setSubject(serviceAccountSubject(opts.namespace ?? "apps", opts.name ?? "reader"))
    .setAudience(opts.audience ?? AZURE_AD_TOKEN_EXCHANGE_AUDIENCE)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + 3600)
    .sign(key);
}

/** What Entra does with a FIC: verify signature by kid, then issuer, subject and audience exactly. */
async function verifyAsEntra(token: string, published: Published, subject: string) {
  const { createLocalJWKSet, jwtVerify } = await jose();
  const { payload, protectedHeader } = await jwtVerify(
    token,
    createLocalJWKSet(published.jwks as never),
    {
      issuer: published.issuer,
      audience: AZURE_AD_TOKEN_EXCHANGE_AUDIENCE,
      algorithms: ["RS256"],
      subject,
    },
  );
  return { payload, protectedHeader };
}

async function publishedBy(issuer: OidcIssuer): Promise<Published> {
  const discovery = JSON.parse(await valueOf(issuer.discoveryDocument)) as { issuer: string };
  return {
    issuer: discovery.issuer,
    jwks: JSON.parse(await valueOf(issuer.jwks)) as Published["jwks"],
  };
}

describe("tokens verify against the published documents", () => {
  const sim = simulator();
  beforeEach(() => sim.reset());
  afterEach(() => settled(sim));

  it("a generated key: the component's private key signs, its JWKS verifies", async () => {
    const issuer = new OidcIssuer("gen", { rsaBits: 2048 });
    const published = await publishedBy(issuer);
    assert.equal(published.issuer, await valueOf(issuer.issuerUrl));
    const token = await kubeToken(await valueOf(issuer.privateKeyPem), published.issuer);
    const { payload, protectedHeader } = await verifyAsEntra(
      token,
      published,
      "system:serviceaccount:apps:reader",
    );
    assert.equal(protectedHeader.kid, await valueOf(issuer.keyId));
    assert.equal(payload.iss, published.issuer);
    assert.equal(payload.aud, AZURE_AD_TOKEN_EXCHANGE_AUDIENCE);
    assert.equal(payload.sub, "system:serviceaccount:apps:reader");
  });

  it("a brought key: tokens signed with it verify", async () => {
    const issuer = new OidcIssuer("brought", {
      signingKey: {
        privateKeyPem: pulumi.secret(fixture("signing.key")),
        publicKeyPem: fixture("signing.pub"),
      },
    });
    const published = await publishedBy(issuer);
    const token = await kubeToken(fixture("signing.key"), published.issuer, {
      namespace: "kv",
      name: "app",
    });
    const { protectedHeader } = await verifyAsEntra(
      token,
      published,
      "system:serviceaccount:kv:app",
    );
    assert.equal(protectedHeader.kid, keyId(fixture("signing.pub")));
  });

  describe("a two-key rotation set", () => {
    let published: Published;
    before(async () => {
      const issuer = new OidcIssuer("rotating", {
        signingKey: {
          privateKeyPem: pulumi.secret(fixture("rotated.key")),
          publicKeyPem: fixture("rotated.pub"),
        },
        additionalPublicKeysPem: [fixture("signing.pub")],
      });
      published = await publishedBy(issuer);
      assert.equal(published.jwks.keys.length, 2);
    });

    it("accepts tokens from the new signing key", async () => {
      const token = await kubeToken(fixture("rotated.key"), published.issuer);
      await verifyAsEntra(token, published, "system:serviceaccount:apps:reader");
    });

    it("still accepts tokens from the old key", async () => {
      const token = await kubeToken(fixture("signing.key"), published.issuer);
      const { protectedHeader } = await verifyAsEntra(
        token,
        published,
        "system:serviceaccount:apps:reader",
      );
      assert.equal(protectedHeader.kid, keyId(fixture("signing.pub")));
    });

    it("rejects a token from a key that was never published", async () => {
      const token = await kubeToken(fixture("unpublished.key"), published.issuer);
      await assert.rejects(verifyAsEntra(token, published, "system:serviceaccount:apps:reader"), {
        code: "ERR_JWKS_NO_MATCHING_KEY",
      });
    });

    it("rejects an unpublished key even when it claims a published kid", async () => {
      const token = await kubeToken(fixture("unpublished.key"), published.issuer, {
        kid: keyId(fixture("signing.pub")),
      });
      assert.equal((await jose()).decodeProtectedHeader(token).kid, keyId(fixture("signing.pub")));
      await assert.rejects(verifyAsEntra(token, published, "system:serviceaccount:apps:reader"), {
        code: "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
      });
    });
  });

  describe("the strings must match to the byte", () => {
    let published: Published;
    before(() => {
      published = {
        issuer: "https://acct.z6.web.core.windows.net/",
        jwks: jsonWebKeySet([fixture("signing.pub")]) as never,
      };
    });

    it("rejects an issuer that lacks the trailing slash (AADSTS70021)", async () => {
      const token = await kubeToken(fixture("signing.key"), "https://acct.z6.web.core.windows.net");
      await assert.rejects(verifyAsEntra(token, published, "system:serviceaccount:apps:reader"), {
        code: "ERR_JWT_CLAIM_VALIDATION_FAILED",
        claim: "iss",
      });
    });

    it("rejects a subject that differs in case", async () => {
      const token = await kubeToken(fixture("signing.key"), published.issuer, { name: "Reader" });
      await assert.rejects(verifyAsEntra(token, published, "system:serviceaccount:apps:reader"), {
        claim: "sub",
      });
    });

    it("rejects another audience", async () => {
      const token = await kubeToken(fixture("signing.key"), published.issuer, {
        audience: "https://kubernetes.default.svc",
      });
      await assert.rejects(verifyAsEntra(token, published, "system:serviceaccount:apps:reader"), {
        claim: "aud",
      });
    });
  });
});
