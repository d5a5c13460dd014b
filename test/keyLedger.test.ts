/**
 * The key guard: how the previous deployment is read (pure), and what OidcIssuer and the stack
 * do with each answer the engine can give: never deployed, an issuer new in the stack, a ledger,
 * a stack from before ledgers, a damaged ledger, a failed read. Only the first two are first ups;
 * the last two refuse, unless the ledger is reset on purpose, and nothing is registered.
 */
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";

import * as pulumi from "@pulumi/pulumi";

import { OidcIssuer } from "../components";
import { standInForSignIn } from "../components/issuer/documentWriter";
import { READ_ATTEMPTS, READ_STACK_RESOURCES } from "../components/issuer/keyGuard";
import {
  StackResources,
  childUrn,
  UnreadableLedger,
  previousIssuerKeys,
} from "../components/issuer/keyLedger";
import { keyId } from "../components/issuer/keys";
import { KeyLedger } from "../components/issuer/signingKeys";
import { parseStackConfig } from "../stacks/config";
import { deployStack } from "../stacks/deploy";
import { SimulatedCloud } from "../testing/simulator";
import { fixture, settled, simulator, valueOf } from "./helpers";

const URN = "urn:pulumi:test::azure-workload-identity::azure-wi:index:OidcIssuer::oidc";
const TLS = "tls:index/privateKey:PrivateKey";
const tlsUrn = (name: string) =>
  `urn:pulumi:test::azure-workload-identity::azure-wi:index:OidcIssuer$${TLS}::${name}`;
const BLOB = "azure-native:storage:Blob";
const blobUrn = (name: string) =>
  `urn:pulumi:test::azure-workload-identity::azure-wi:index:OidcIssuer$${BLOB}::${name}`;
const PUB = fixture("signing.pub");
const KID = keyId(PUB);
const T0 = "2026-11-20T10:00:00.000Z";

const ledger = (over: Partial<KeyLedger> = {}): KeyLedger => ({
  signing: "initial",
  keys: {
    initial: { kid: KID, kind: "generated", bits: 2048, publishedSince: T0, signingSince: T0 },
  },
  ...over,
});

/** A stack whose issuer `oidc` made its initial key (2048 bits) and recorded `keyLedger`. */
function deployed(keyLedger: unknown = ledger(), bits = 2048): StackResources {
  return {
    "urn:pulumi:test::azure-workload-identity::pulumi:pulumi:Stack::azure-workload-identity-test": {
      type: "pulumi:pulumi:Stack",
      outputs: {},
    },
    [URN]: { type: "azure-wi:index:OidcIssuer", outputs: { keyId: KID, keyLedger } },
    [tlsUrn("oidc-signing-key")]: { type: TLS, outputs: { rsaBits: bits, publicKeyPem: PUB } },
  };
}

describe("reading an issuer's previous deployment", () => {
  it("tells a stack that was never deployed from an issuer new in a deployed stack", () => {
    assert.deepEqual(previousIssuerKeys({}, URN, "oidc"), {
      found: false,
      why: "the stack was never deployed",
    });
    const other = { ...deployed() };
    delete other[URN];
    assert.deepEqual(previousIssuerKeys(other, URN, "oidc"), {
      found: false,
      why: "this issuer is new in the stack",
    });
  });

  it("counts an issuer whose first up failed before it published a JWKS as new", () => {
    // The component registered, its outputs never were; its key may exist, its JWKS does not.
    const failedFirstUp: StackResources = {
      [URN]: { type: "azure-wi:index:OidcIssuer", outputs: {} },
      [tlsUrn("oidc-signing-key")]: { type: TLS, outputs: { rsaBits: 2048, publicKeyPem: PUB } },
    };
    assert.deepEqual(previousIssuerKeys(failedFirstUp, URN, "oidc"), {
      found: false,
      why: "this issuer never published a JWKS",
    });
  });

  it("refuses an issuer without outputs whose JWKS either writer published: not a first up", () => {
    for (const writer of ["azure-native:storage:Blob", "azure-wi:index:IssuerDocument"]) {
      const published: StackResources = {
        [URN]: { type: "azure-wi:index:OidcIssuer", outputs: {} },
        [childUrn(URN, writer, "oidc-jwks")]: { type: writer, outputs: {} },
      };
      assert.throws(
        () => previousIssuerKeys(published, URN, "oidc"),
        /the issuer's outputs hold neither keyLedger nor keyId/,
        writer,
      );
    }
  });

  it("reads the ledger and the generated keys the state holds", () => {
    assert.deepEqual(previousIssuerKeys(deployed(), URN, "oidc"), {
      found: true,
      previous: { ledger: ledger(), generated: { initial: { bits: 2048, kid: KID } } },
    });
  });

  it("reads an issuer deployed before ledgers from its outputs and keys", () => {
    const state = deployed();
    delete state[URN].outputs.keyLedger;
    state[URN].outputs.additionalPublicKeysPem = [fixture("rotated.pub")];
    const found = previousIssuerKeys(state, URN, "oidc");
    assert.ok(found.found);
    assert.deepEqual(found.previous.ledger.keys.initial, {
      kid: KID,
      kind: "generated",
      bits: 2048,
      publishedSince: new Date(0).toISOString(),
      signingSince: new Date(0).toISOString(),
    });
    assert.equal(found.previous.ledger.keys["additional-0"].kid, keyId(fixture("rotated.pub")));
    // A brought key: no tls key in the state has its kid.
    delete state[tlsUrn("oidc-signing-key")];
    const brought = previousIssuerKeys(state, URN, "oidc");
    assert.ok(brought.found);
    assert.equal(brought.previous.ledger.keys.initial.kind, "brought");
  });

  const unreadable: [string, unknown, RegExp][] = [
    ["not a map", null, /no resource map/],
    ["a ledger that is not an object", deployed("x"), /keyLedger is not an object/],
    [
      "a signing key not among the keys",
      deployed(ledger({ signing: "other" })),
      /keyLedger.signing names "other"/,
    ],
    [
      "a record without its kind",
      deployed({ signing: "a", keys: { a: { kid: "k", publishedSince: T0 } } }),
      /keyLedger.keys.a.kind/,
    ],
    [
      "a time that is not one",
      deployed(ledger({ keys: { initial: { ...ledger().keys.initial, signingSince: "soon" } } })),
      /keyLedger.keys.initial.signingSince is not a time/,
    ],
    ["retired keys that are not", deployed(ledger({ retired: [] as never })), /retired/],
    [
      "neither a ledger nor a key id, with a JWKS published",
      {
        [URN]: { type: "azure-wi:index:OidcIssuer", outputs: {} },
        [blobUrn("oidc-jwks")]: { type: BLOB, outputs: {} },
      },
      /neither keyLedger nor keyId/,
    ],
    [
      "a generated key without its public half",
      {
        ...deployed(),
        [tlsUrn("oidc-signing-key")]: { type: TLS, outputs: { rsaBits: 2048 } },
      },
      /oidc-signing-key has no rsaBits or publicKeyPem/,
    ],
  ];
  for (const [what, state, reason] of unreadable) {
    it(`refuses to guess from ${what}`, () =>
      assert.throws(
        () => previousIssuerKeys(state, URN, "oidc"),
        (err: Error) => {
          assert.ok(err instanceof UnreadableLedger);
          assert.match(err.message, reason);
          return true;
        },
      ));
  }
});

/** Runs `build` with unhandled rejections caught (a refused issuer rejects its registration,
 * which the SDK reports as unhandled: the engine prints it and fails the up). */
async function refusedRegistration(
  sim: SimulatedCloud,
  build: () => unknown,
  waitMs = 4000,
): Promise<string[]> {
  const seen: string[] = [];
  const listeners = process.listeners("unhandledRejection");
  process.removeAllListeners("unhandledRejection");
  const catcher = (reason: unknown) => seen.push(String((reason as Error)?.message ?? reason));
  process.on("unhandledRejection", catcher);
  try {
    build();
    await settled(sim);
    // A failed read of the previous deployment is tried again before it refuses (keyGuard.ts).
    for (let waited = 0; seen.length === 0 && waited < waitMs; waited += 50) {
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    process.removeListener("unhandledRejection", catcher);
    for (const l of listeners) process.on("unhandledRejection", l);
  }
  return [...new Set(seen)];
}

describe("OidcIssuer's key guard", () => {
  const sim = simulator();
  beforeEach(() => sim.reset());

  it("asks the engine for the stack's own last deployment, and records a ledger on a first up", async () => {
    const issuer = new OidcIssuer("oidc", { rsaBits: 2048 });
    const recorded = await valueOf(issuer.keyLedger);
    assert.equal(sim.invokes[0].token, READ_STACK_RESOURCES);
    assert.deepEqual(sim.invokes[0].inputs, {
      stackName: "organization/azure-workload-identity/test",
    });
    assert.equal(recorded.signing, "initial");
    assert.equal(recorded.keys.initial.kind, "generated");
    assert.equal(recorded.keys.initial.bits, 2048);
    assert.equal(recorded.keys.initial.kid, await valueOf(issuer.keyId));
    assert.deepEqual(await valueOf(issuer.keyRotation), {
      phase: "steady",
      next: "to rotate, add a key to keys (a new name) and pulumi up",
    });
  });

  it("keeps the ledger's times across ups", async () => {
    const brought = { kid: KID, kind: "brought", publishedSince: T0, signingSince: T0 } as const;
    sim.previousResources = deployed(ledger({ keys: { initial: brought } }));
    delete sim.previousResources[tlsUrn("oidc-signing-key")];
    const issuer = new OidcIssuer("oidc", {
      signingKey: { publicKeyPem: PUB, privateKeyPem: pulumi.secret(fixture("signing.key")) },
    });
    const recorded = await valueOf(issuer.keyLedger);
    assert.deepEqual(recorded.keys.initial, brought);
  });

  it("reads again when a read of the previous deployment fails for a moment (a checkpoint being written)", async () => {
    sim.previousReadError = "failed to load checkpoint: EOF";
    sim.previousReadFailures = READ_ATTEMPTS - 1;
    const issuer = new OidcIssuer("oidc", { rsaBits: 2048 });
    assert.equal(typeof (await valueOf(issuer.keyLedger)).keys.initial.kid, "string");
    assert.equal(sim.previousReadFailures, 0);
  });

  const refusals: [string, (s: SimulatedCloud) => void, number, RegExp][] = [
    [
      "a read of the previous deployment that fails",
      (s) => (s.previousReadError = "the backend is not reachable"),
      2048,
      /^OidcIssuer oidc: cannot read the key ledger of its previous deployment \(the backend is not reachable\).*set resetKeyLedger: true for one up/,
    ],
    [
      "a damaged ledger",
      (s) => (s.previousResources = deployed({ signing: 3 })),
      2048,
      /^OidcIssuer oidc: cannot read the key ledger of its previous deployment \(keyLedger.signing is not a key name\)/,
    ],
    [
      "a published generated key of another size",
      (s) => (s.previousResources = deployed()),
      4096,
      /^rsaBits: 4096 bits is not valid; key "initial" was published as a 2048-bit generated key/,
    ],
  ];
  for (const [what, arrange, rsaBits, message] of refusals) {
    it(`refuses ${what}, registering nothing`, async () => {
      arrange(sim);
      await assert.rejects(OidcIssuer.checkKeys("oidc", { rsaBits }), { message });
      sim.resources.length = 0;
      const errors = await refusedRegistration(sim, () => new OidcIssuer("oidc", { rsaBits }));
      assert.equal(errors.length, 1, `one error: ${errors.join(" | ")}`);
      assert.match(errors[0], message);
      assert.deepEqual(
        sim.resources.map((r) => r.type),
        [],
        "nothing registered, not even the issuer",
      );
    });
  }

  it("refuses shared keys off when the Azure sign-in cannot say who writes the documents, registering nothing", async () => {
    // A service principal whose token service refuses connections: the chain finds no token
    // (after the Azure SDK's retries, about 6 s).
    const signIn = {
      AZURE_TENANT_ID: "00000000-0000-4000-8000-000000000002",
      AZURE_CLIENT_ID: "0f0e0d0c-0b0a-4909-8807-060504030201",
      AZURE_CLIENT_SECRET: "s",
      AZURE_AUTHORITY_HOST: "https://127.0.0.1:1",
    };
    const saved = Object.fromEntries(Object.keys(signIn).map((k) => [k, process.env[k]]));
    Object.assign(process.env, signIn);
    // The real credential chain, not the simulated cloud's sign-in.
    standInForSignIn(undefined);
    try {
      const errors = await refusedRegistration(
        sim,
        () => new OidcIssuer("oidc", { rsaBits: 2048, sharedKeyAccess: false }),
        30_000,
      );
      assert.equal(errors.length, 1, `one error: ${errors.join(" | ")}`);
      assert.match(
        errors[0],
        /^cannot tell who writes the issuer's documents: .*give OidcIssuer documentWriter \{ principalId, principalType \}$/,
      );
      assert.deepEqual(sim.resources, []);
    } finally {
      standInForSignIn(() => sim.signedIn);
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it("refuses a brought private half given as a secret that is encrypted, registering nothing", async () => {
    const encrypted = crypto
      .createPrivateKey(fixture("signing.key"))
      .export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: "p" })
      .toString();
    const errors = await refusedRegistration(
      sim,
      () =>
        new OidcIssuer("oidc", {
          signingKey: { publicKeyPem: PUB, privateKeyPem: pulumi.secret(encrypted) },
        }),
    );
    assert.deepEqual(errors, [
      "signingKey.privateKeyPem: an encrypted private key (not shown) is not valid; expected it unencrypted: decrypt it (openssl pkey -in key.pem -out plain.pem) and give that, as a secret",
    ]);
    assert.deepEqual(sim.resources, []);
  });

  it("resets a ledger that cannot be read on purpose, and refuses a reset left on", async () => {
    sim.previousResources = deployed({ signing: 3 });
    const issuer = new OidcIssuer("oidc", { rsaBits: 2048, resetKeyLedger: true });
    assert.equal((await valueOf(issuer.keyLedger)).signing, "initial");
    sim.reset();
    sim.previousResources = deployed();
    await assert.rejects(OidcIssuer.checkKeys("oidc", { rsaBits: 2048, resetKeyLedger: true }), {
      message:
        /^resetKeyLedger \(OidcIssuer oidc\): true is not valid; the previous key ledger reads fine: remove it/,
    });
  });
});

describe("the stack's key guard", () => {
  const sim = simulator();
  const base = {
    flavor: "kind",
    identities: JSON.stringify([{ name: "wi-a", namespace: "apps", serviceAccount: "a" }]),
  };

  it("refuses under the config's names before anything is registered", async () => {
    sim.reset();
    sim.previousResources = deployed(ledger(), 2048);
    // The stack file dropped signingKeyBits for declared keys: initial would be 4096 bits.
    const cfg = parseStackConfig(
      {
        ...base,
        signingKeys: JSON.stringify([{ name: "initial" }, { name: "2027-05" }]),
        signingKey: "initial",
      },
      "test",
    );
    await assert.rejects(deployStack(cfg), {
      message:
        /^signingKeys\[0\]: 4096 bits is not valid; key "initial" was published as a 2048-bit generated key \(kid [-\w]+\); a published key never changes/,
    });
    await settled(sim);
    assert.deepEqual(sim.resources, []);
  });

  it("says the next step in the config's words", async () => {
    sim.reset();
    const cfg = parseStackConfig({ ...base, signingKeyBits: "2048" }, "test");
    const outputs = (await pulumi.runtime.runInPulumiStack(() => deployStack(cfg))) as Record<
      string,
      unknown
    >;
    assert.deepEqual(outputs.keyRotation, {
      phase: "steady",
      next: "to rotate, add a key to signingKeys (a new name) and pulumi up",
    });
  });
});
