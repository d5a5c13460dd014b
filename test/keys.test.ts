/**
 * Keys reach kube-apiserver in the form it reads, one key per PEM text: a PKCS#1 public key is
 * rewritten as PKIX (kube-apiserver v1.37.2 refuses PKCS#1 key files), and a PEM text holding two
 * keys is refused (Node reads only the first, the API server every one: the cluster would accept a
 * key the JWKS does not publish).
 */
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";

import * as pulumi from "@pulumi/pulumi";

import { InvalidArgumentError, KindOrAksCluster, keyId } from "../components";
import {
  normalizePublicKeyPem,
  parseRsaPrivateKey,
  parseRsaPublicKey,
} from "../components/issuer/keys";
import { parseStackConfig } from "../stacks/config";
import { fixture, settled, simulator } from "./helpers";

const pkcs1 = (spki: string) =>
  crypto.createPublicKey(spki).export({ type: "pkcs1", format: "pem" }).toString();

describe("public keys in the form kube-apiserver reads", () => {
  it("rewrites a PKCS#1 public key as PKIX, with the same key id", () => {
    const given = pkcs1(fixture("signing.pub"));
    assert.match(given, /BEGIN RSA PUBLIC KEY/);
    const normal = normalizePublicKeyPem(given);
    assert.match(normal, /^-----BEGIN PUBLIC KEY-----\n/);
    assert.equal(normal, normalizePublicKeyPem(fixture("signing.pub")));
    assert.equal(keyId(normal), keyId(fixture("signing.pub")));
  });

  it("refuses a PEM text holding two public keys, naming the field", () => {
    const two = `${fixture("signing.pub")}${fixture("rotated.pub")}`;
    assert.throws(
      () => parseRsaPublicKey(two, "additionalPublicKeys[0]"),
      (err: unknown) =>
        err instanceof InvalidArgumentError &&
        err.field === "additionalPublicKeys[0]" &&
        /holding 2 blocks.*one public key per PEM text/.test(err.message),
    );
  });

  it("refuses a PEM text holding a private key and something more, without showing it", () => {
    const two = `${fixture("signing.key")}${fixture("rotated.pub")}`;
    assert.throws(
      () => parseRsaPrivateKey(two, "signingKey.privateKeyPem"),
      (err: unknown) =>
        err instanceof InvalidArgumentError &&
        !err.message.includes("MII") &&
        /2 blocks/.test(err.message),
    );
  });

  it("stack config: keys given as PKCS#1 come out PKIX", () => {
    const cfg = parseStackConfig(
      {
        signingPublicKeyPem: pkcs1(fixture("signing.pub")),
        signingPrivateKeyPem: fixture("signing.key"),
        additionalPublicKeys: JSON.stringify([pkcs1(fixture("rotated.pub"))]),
      },
      "dev",
    );
    assert.equal(cfg.signingPublicKeyPem, normalizePublicKeyPem(fixture("signing.pub")));
    assert.deepEqual(cfg.additionalPublicKeys, [normalizePublicKeyPem(fixture("rotated.pub"))]);
  });

  it("kind: the key files the create script writes hold PKIX keys only", async () => {
    const sim = simulator();
    new KindOrAksCluster("pkcs1", {
      flavor: "kind",
      issuerUrl: "https://oidcab12cd34.z6.web.core.windows.net/",
      kubernetesVersion: "1.37.0",
      signingKey: {
        privateKeyPem: pulumi.secret(fixture("signing.key")),
        publicKeyPem: pulumi.output(pkcs1(fixture("signing.pub"))),
      },
      additionalPublicKeysPem: [pkcs1(fixture("rotated.pub"))],
    });
    await settled(sim);
    const env = sim.one("command:local:Command", "pkcs1-kind-keys").inputs.environment as Record<
      string,
      string
    >;
    assert.equal(
      env.WI_SA_PUB,
      normalizePublicKeyPem(fixture("signing.pub")) + normalizePublicKeyPem(fixture("rotated.pub")),
    );
  });
});
