/** Declared signing keys: the rotation step rules (pure), the stack config that declares them,
 * and the OidcIssuer that makes one tls.PrivateKey per generated key. */
import * as assert from "node:assert/strict";

import * as pulumi from "@pulumi/pulumi";

import { OidcIssuer } from "../components";
import { keyId } from "../components/issuer/keys";
import {
  PlannedKey,
  PreviousKeys,
  RotationState,
  planKeyRotation,
} from "../components/issuer/signingKeys";
import { parseStackConfig } from "../stacks/config";
import { fixture, settled, simulator, valueOf } from "./helpers";

const T0 = new Date("2026-11-23T10:00:00.000Z");
const later = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const A: PlannedKey = { name: "a", kind: "brought", field: "keys[0]", kid: "kid-a" };
const B: PlannedKey = { name: "b", kind: "brought", field: "keys[1]", kid: "kid-b" };
/** What a previous up left, as the guard reads it: its ledger, and no generated keys. */
const after = (s: RotationState, generated: PreviousKeys["generated"] = {}): PreviousKeys => ({
  ledger: s.ledger,
  generated,
});

describe("signing key rotation steps", () => {
  const first = planKeyRotation(undefined, [A], "a", { now: T0 });
  const published = planKeyRotation(after(first), [A, B], "a", { now: later(60) });
  const switched = planKeyRotation(after(published), [A, B], "b", { now: later(600) });

  it("records each phase and says what comes next", () => {
    assert.equal(first.phase, "steady");
    assert.match(first.next, /add a key to keys/);
    assert.deepEqual(first.ledger, {
      signing: "a",
      keys: {
        a: {
          kid: "kid-a",
          kind: "brought",
          publishedSince: T0.toISOString(),
          signingSince: T0.toISOString(),
        },
      },
    });
    assert.equal(published.phase, "published");
    assert.match(published.next, /set signingKeyName to "b"/);
    assert.equal(published.ledger.keys.b.publishedSince, later(60).toISOString());
    assert.equal(switched.phase, "switched");
    assert.equal(switched.ledger.keys.a.signedUntil, later(600).toISOString());
    assert.equal(switched.ledger.keys.b.signingSince, later(600).toISOString());
    assert.match(
      switched.next,
      new RegExp(`after ${later(600 + 86400).toISOString()}, remove "a"`),
    );
  });

  it("names the caller's fields in what comes next", () => {
    const stack = planKeyRotation(
      after(first),
      [A, B],
      "a",
      { now: later(60) },
      {
        keys: "signingKeys",
        signing: "signingKey",
      },
    );
    assert.match(stack.next, /set signingKey to "b"/);
  });

  it("changes nothing when nothing changes (a second preview sees the same outputs)", () => {
    assert.deepEqual(planKeyRotation(after(switched), [A, B], "b", { now: later(900) }), switched);
  });

  it("retires the old key after the longest token lifetime, keeping its name taken", () => {
    const retired = planKeyRotation(after(switched), [B], "b", { now: later(600 + 86400) });
    assert.equal(retired.phase, "steady");
    assert.deepEqual(Object.keys(retired.ledger.keys), ["b"]);
    assert.deepEqual(retired.ledger.retired, {
      a: { kid: "kid-a", retiredAt: later(600 + 86400).toISOString() },
    });
    assert.throws(
      () =>
        planKeyRotation(after(retired), [B, { ...A, kid: "kid-new" }], "b", {
          now: later(700 + 86400),
        }),
      { message: /^keys\[0\]: key "a" is not valid; that name was published for kid kid-a/ },
    );
    const back = planKeyRotation(after(retired), [B, A], "b", { now: later(700 + 86400) });
    assert.equal(back.ledger.retired, undefined, "the same key may come back under its name");
  });

  it("refuses signing with a key no earlier up published", () => {
    assert.throws(() => planKeyRotation(after(first), [A, B], "b", { now: later(60) }), {
      message: /^signingKeyName: "b" is not valid; it was not published by an earlier pulumi up/,
    });
  });

  it("refuses dropping a key sooner than 24 hours after it stopped signing, unless allowed", () => {
    assert.throws(() => planKeyRotation(after(switched), [B], "b", { now: later(3600) }), {
      message: new RegExp(
        `^keys: without key "a" is not valid; "a" stopped signing at ${later(600).toISOString()}; tokens it signed live until ${later(600 + 86400).toISOString()}`,
      ),
    });
    const early = planKeyRotation(after(switched), [B], "b", {
      now: later(3600),
      allowEarlyRetirement: true,
    });
    assert.deepEqual(Object.keys(early.ledger.keys), ["b"]);
  });

  it("refuses dropping the key that signs", () => {
    assert.throws(() => planKeyRotation(after(published), [B], "b", { now: later(600) }), {
      message:
        /^signingKeyName: "b" is not valid|^keys: without key "a" is not valid; "a" signs today/,
    });
  });

  it("drops a key that never signed at any time", () => {
    const dropped = planKeyRotation(after(published), [A], "a", { now: later(120) });
    assert.equal(dropped.phase, "steady");
  });

  it("refuses a signing key that is not declared", () => {
    assert.throws(() => planKeyRotation(undefined, [A], "z", { now: T0 }), {
      message: /^signingKeyName: "z" is not valid; expected one of keys \("a"\)/,
    });
  });
});

describe("a published key never changes", () => {
  const G: PlannedKey = { name: "g", kind: "generated", field: "keys[0]", bits: 2048 };
  const first = planKeyRotation(undefined, [G], "g", { now: T0 });
  // The kid of a generated key is known once it exists: the component fills it in.
  first.ledger.keys.g.kid = "kid-g";
  const inState = { g: { bits: 2048, kid: "kid-g" } };

  it("keeps a generated key that stays as it was", () => {
    const next = planKeyRotation(after(first, inState), [G], "g", { now: later(5) });
    assert.deepEqual(next.ledger.keys.g, {
      kid: "kid-g",
      kind: "generated",
      bits: 2048,
      publishedSince: T0.toISOString(),
      signingSince: T0.toISOString(),
    });
  });

  const refused: [string, PreviousKeys, PlannedKey[], RegExp][] = [
    [
      "another size",
      after(first, inState),
      [{ ...G, bits: 4096 }],
      /^keys\[0\]: 4096 bits is not valid; key "g" was published as a 2048-bit generated key \(kid kid-g\); a published key never changes/,
    ],
    [
      "a brought key under a generated key's name",
      after(first, inState),
      [{ name: "g", kind: "brought", field: "keys[0]", kid: "kid-x" }],
      /^keys\[0\]: a brought key named "g" is not valid; key "g" was published as a 2048-bit generated key/,
    ],
    [
      "a generated key under a brought key's name",
      after(planKeyRotation(undefined, [A], "a", { now: T0 })),
      [{ name: "a", kind: "generated", field: "rsaBits", bits: 4096 }],
      /^rsaBits: a generated key named "a" is not valid; key "a" was published as a brought key \(kid kid-a\)/,
    ],
    [
      "a generated key whose material left the state",
      after(first, {}),
      [G],
      /^keys\[0\]: key "g" is not valid; its generated key \(kid kid-g\) is no longer in the stack's state/,
    ],
    [
      "a state that holds other material than was published",
      after(first, { g: { bits: 2048, kid: "kid-other" } }),
      [G],
      /^keys\[0\]: key "g" is not valid; the state holds kid kid-other where it was published as kid kid-g/,
    ],
    [
      "a brought key of another kid",
      after(planKeyRotation(undefined, [A], "a", { now: T0 })),
      [{ ...A, kid: "kid-c" }],
      /^keys\[0\]: a different key \(kid kid-c\) is not valid; key "a" was published as a brought key \(kid kid-a\)/,
    ],
  ];
  for (const [what, previous, keys, message] of refused) {
    it(`refuses ${what}`, () =>
      assert.throws(() => planKeyRotation(previous, keys, keys[0].name, { now: later(5) }), {
        message,
      }));
  }
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
      /^signingKey: "b" is not valid; expected the name of one of signingKeys \("a"\)/,
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
      /^signingKeys\[0\]\.rsaBits: 2048 is not valid; unknown field; did you mean bits\?/,
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
      /^signingPrivateKeyPem: a private key \(not shown\) that does not match/,
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
