/** Declared signing keys: the rotation step rules (pure), the stack config that declares them,
 * and the OidcIssuer that makes one tls.PrivateKey per generated key. */
import * as assert from "node:assert/strict";

import * as pulumi from "@pulumi/pulumi";

import { OidcIssuer } from "../components";
import { keyId } from "../components/keys";
import { KeyLedger, planKeyRotation } from "../components/signingKeys";
import { parseStackConfig } from "../stacks/config";
import { fixture, settled, simulator, valueOf } from "./helpers";

const T0 = new Date("2026-11-23T10:00:00.000Z");
const later = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const A = { name: "a", kid: "kid-a" };
const B = { name: "b", kid: "kid-b" };

describe("signing key rotation steps", () => {
  const first = planKeyRotation(undefined, [A], "a", { now: T0 });
  const published = planKeyRotation(first.ledger, [A, B], "a", { now: later(60) });
  const switched = planKeyRotation(published.ledger, [A, B], "b", { now: later(600) });

  it("records each phase and says what comes next", () => {
    assert.equal(first.phase, "steady");
    assert.match(first.next, /add a key to signingKeys/);
    assert.deepEqual(first.ledger, {
      signing: "a",
      keys: {
        a: { kid: "kid-a", publishedSince: T0.toISOString(), signingSince: T0.toISOString() },
      },
    });
    assert.equal(published.phase, "published");
    assert.match(published.next, /set signingKey to "b"/);
    assert.equal(published.ledger.keys.b.publishedSince, later(60).toISOString());
    assert.equal(switched.phase, "switched");
    assert.equal(switched.ledger.keys.a.signedUntil, later(600).toISOString());
    assert.equal(switched.ledger.keys.b.signingSince, later(600).toISOString());
    assert.match(
      switched.next,
      new RegExp(`after ${later(600 + 86400).toISOString()}, remove "a"`),
    );
  });

  it("changes nothing when nothing changes (a second preview sees the same outputs)", () => {
    assert.deepEqual(planKeyRotation(switched.ledger, [A, B], "b", { now: later(900) }), switched);
  });

  it("retires the old key after the longest token lifetime", () => {
    const retired = planKeyRotation(switched.ledger, [B], "b", { now: later(600 + 86400) });
    assert.equal(retired.phase, "steady");
    assert.deepEqual(Object.keys(retired.ledger.keys), ["b"]);
  });

  it("refuses signing with a key no earlier up published", () => {
    assert.throws(() => planKeyRotation(first.ledger, [A, B], "b", { now: later(60) }), {
      message: /^signingKey: "b" is not valid; it was not published by an earlier pulumi up/,
    });
  });

  it("refuses dropping a key sooner than 24 hours after it stopped signing, unless allowed", () => {
    assert.throws(() => planKeyRotation(switched.ledger, [B], "b", { now: later(3600) }), {
      message: new RegExp(
        `^signingKeys: without key "a" is not valid; "a" stopped signing at ${later(600).toISOString()}; tokens it signed live until ${later(600 + 86400).toISOString()}`,
      ),
    });
    const early = planKeyRotation(switched.ledger, [B], "b", {
      now: later(3600),
      allowEarlyRetirement: true,
    });
    assert.deepEqual(Object.keys(early.ledger.keys), ["b"]);
  });

  it("refuses dropping the key that signs", () => {
    assert.throws(() => planKeyRotation(published.ledger, [B], "b", { now: later(600) }), {
      message:
        /^signingKey: "b" is not valid|^signingKeys: without key "a" is not valid; "a" signs today/,
    });
  });

  it("drops a key that never signed at any time", () => {
    const dropped = planKeyRotation(published.ledger, [A], "a", { now: later(120) });
    assert.equal(dropped.phase, "steady");
  });

  it("refuses a published name given to another key", () => {
    assert.throws(
      () =>
        planKeyRotation(published.ledger, [A, { name: "b", kid: "kid-c" }], "a", {
          now: later(120),
        }),
      { message: /^signingKeys\.b: a different key \(kid kid-c, was kid-b\) is not valid/ },
    );
  });

  it("refuses a signing key that is not declared", () => {
    assert.throws(() => planKeyRotation(undefined, [A], "z", { now: T0 }), {
      message: /^signingKey: "z" is not valid; expected one of signingKeys \("a"\)/,
    });
  });

  it("keeps a generated key's kid from the ledger until it is known", () => {
    const ledger: KeyLedger = first.ledger;
    const next = planKeyRotation(ledger, [{ name: "a" }], "a", { now: later(5) });
    assert.equal(next.ledger.keys.a.kid, "kid-a");
  });
});

describe("signing keys in the stack config", () => {
  const base = {
    flavor: "kind",
    identities: JSON.stringify([{ name: "wi-a", namespace: "apps", serviceAccount: "a" }]),
  };
  const parse = (extra: Record<string, string>) => parseStackConfig({ ...base, ...extra }, "dev");

  it("declares generated and brought keys, bits for rsaBits", () => {
    const cfg = parse({
      signingKeys: JSON.stringify([
        { name: "initial" },
        { name: "next", bits: 2048 },
        { name: "theirs", publicKeyPem: fixture("rotated.pub") },
      ]),
      signingKey: "initial",
    });
    assert.deepEqual(cfg.declaredKeys, {
      keys: [
        { name: "initial" },
        { name: "next", rsaBits: 2048 },
        { name: "theirs", publicKeyPem: fixture("rotated.pub") },
      ],
      signing: "initial",
    });
  });

  const refused: [string, Record<string, string>, RegExp][] = [
    [
      "signingKey without signingKeys",
      { signingKey: "a" },
      /^signingKey: "a" is not valid; only used with signingKeys/,
    ],
    [
      "signingKeys without signingKey",
      { signingKeys: '[{"name":"a"}]' },
      /^signingKey: undefined is not valid; required with signingKeys/,
    ],
    [
      "a signing key not declared",
      { signingKeys: '[{"name":"a"}]', signingKey: "b" },
      /^signingKey: "b" is not valid; expected the name of one of keys/,
    ],
    [
      "a bad name",
      { signingKeys: '[{"name":"A_1"}]', signingKey: "A_1" },
      /^signingKeys\[0\]\.name: "A_1" is not valid/,
    ],
    [
      "a name twice",
      { signingKeys: '[{"name":"a"},{"name":"a"}]', signingKey: "a" },
      /^signingKeys\[1\]\.name: "a" is not valid; expected each key name once/,
    ],
    [
      "too few bits",
      { signingKeys: '[{"name":"a","bits":1024}]', signingKey: "a" },
      /^signingKeys\[0\]\.bits: 1024 is not valid/,
    ],
    [
      "rsaBits spelled as the component does",
      { signingKeys: '[{"name":"a","rsaBits":2048}]', signingKey: "a" },
      /^signingKeys\[0\]\.rsaBits: 2048 is not valid; the config calls it bits/,
    ],
    [
      "an unknown field",
      { signingKeys: '[{"name":"a","size":2048}]', signingKey: "a" },
      /^signingKeys\[0\]\.size: 2048 is not valid/,
    ],
    [
      "with signingKeyBits",
      { signingKeys: '[{"name":"a"}]', signingKey: "a", signingKeyBits: "2048" },
      /^signingKeyBits: a value is not valid; not used with signingKeys/,
    ],
    [
      "a brought signing key without its private half",
      {
        signingKeys: JSON.stringify([{ name: "b", publicKeyPem: fixture("rotated.pub") }]),
        signingKey: "b",
      },
      /^signingPrivateKeyPem: undefined is not valid; the signing key "b" is brought/,
    ],
    [
      "a private key for a generated signing key",
      {
        signingKeys: '[{"name":"a"}]',
        signingKey: "a",
        signingPrivateKeyPem: fixture("signing.key"),
      },
      /^signingPrivateKeyPem: a private key \(not shown\) is not valid; the signing key "a" is generated/,
    ],
    [
      "a private key of another key",
      {
        signingKeys: JSON.stringify([{ name: "b", publicKeyPem: fixture("rotated.pub") }]),
        signingKey: "b",
        signingPrivateKeyPem: fixture("signing.key"),
      },
      /^signingKey\.privateKeyPem: a private key \(not shown\) that does not match/,
    ],
  ];
  for (const [what, extra, message] of refused) {
    it(`refuses ${what}`, () => assert.throws(() => parse(extra), { message }));
  }
});

describe("OidcIssuer with declared keys", () => {
  const sim = simulator();

  it("makes one tls.PrivateKey per generated key, initial under its old name, and publishes all", async () => {
    sim.reset();
    const issuer = new OidcIssuer("dev", {
      keys: [
        { name: "initial", rsaBits: 2048 },
        { name: "next", rsaBits: 2048 },
        { name: "theirs", publicKeyPem: fixture("rotated.pub") },
      ],
      signingKeyName: "next",
    });
    const jwks = JSON.parse(await valueOf(issuer.jwks)) as { keys: { kid: string }[] };
    await settled(sim);
    const keys = sim.byType("tls:index/privateKey:PrivateKey");
    assert.deepEqual(keys.map((k) => k.name).sort(), ["dev-signing-key", "dev-signing-key-next"]);
    const ids = await valueOf(issuer.keyIds);
    assert.deepEqual(Object.keys(ids), ["initial", "next", "theirs"]);
    assert.equal(ids.theirs, keyId(fixture("rotated.pub")));
    assert.equal(await valueOf(issuer.keyId), ids.next);
    assert.deepEqual(
      jwks.keys.map((k) => k.kid),
      [ids.next, ids.initial, ids.theirs],
    );
    assert.equal((await valueOf(issuer.additionalPublicKeysPem)).length, 2);
  });

  it("signs with a brought key given its private half", async () => {
    sim.reset();
    const issuer = new OidcIssuer("dev", {
      keys: [
        { name: "initial", rsaBits: 2048 },
        { name: "theirs", publicKeyPem: fixture("signing.pub") },
      ],
      signingKeyName: "theirs",
      signingPrivateKeyPem: pulumi.secret(fixture("signing.key")),
    });
    assert.equal(await valueOf(issuer.keyId), keyId(fixture("signing.pub")));
  });

  it("refuses keys beside the shorthand", () => {
    assert.throws(
      () =>
        new OidcIssuer("dev", {
          keys: [{ name: "a" }],
          signingKeyName: "a",
          rsaBits: 2048,
        } as never),
      { message: /^rsaBits: 2048 is not valid; not used with keys/ },
    );
  });
});
