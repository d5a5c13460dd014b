/**
 * The key guard through the real Pulumi CLI and engine: the stack reads its issuer's previous
 * deployment with the engine's own builtin, and every way in to an unsafe step is refused with
 * one line, changing nothing: a state it cannot read, a damaged ledger, and a published key whose
 * material a change of config would replace (the README's rotation step 1 on a stack made with
 * another key size, a brought key under a generated key's name).
 */
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

import { Stack } from "@pulumi/pulumi/automation";

import { OidcIssuer } from "../../components/issuer";
import { program } from "../../stacks";
import { LocalCloud, PROJECT, engineBin } from "../harness/localCloud";
import { up } from "../harness/day2";
import { outputsOf } from "../harness/trustChain";

/**
 * `pulumi up`, which must be refused with `message` as one line of the CLI's output, without a
 * stack trace, leaving the state as it was.
 */
async function refused(cloud: LocalCloud, stack: Stack, message: RegExp): Promise<string> {
  const before = checkpoint(cloud, stack);
  const log: string[] = [];
  await assert.rejects(stack.up({ onOutput: (o) => log.push(o) }), (err: Error) => {
    log.push(err.message);
    return true;
  });
  const text = log.join("\n");
  const line = text.split("\n").find((l) => message.test(l.trim()));
  assert.ok(line, `no line matching ${String(message)} in:\n${text}`);
  assert.doesNotMatch(text, /^\s+at .+:\d+:\d+\)?$/m, "a stack trace in the output");
  assert.deepEqual(checkpoint(cloud, stack), before, "the refused up changed the state");
  return line.trim();
}

/** The checkpoint's resources, each URN with its outputs: what a refused up must not change. */
function checkpoint(cloud: LocalCloud, stack: Stack): Record<string, unknown> {
  const file = checkpointFile(cloud, stack);
  const latest = (
    JSON.parse(fs.readFileSync(file, "utf8")) as {
      checkpoint: { latest?: { resources?: { urn: string; outputs?: unknown }[] } };
    }
  ).checkpoint.latest;
  // Secrets are encrypted anew at each write (a fresh nonce): compare what is not secret.
  const plain = JSON.stringify(latest?.resources ?? [], (_k, v: unknown) =>
    typeof v === "object" && v !== null && "ciphertext" in v ? "[secret]" : v,
  );
  return Object.fromEntries(
    (JSON.parse(plain) as { urn: string; outputs?: unknown }[]).map((r) => [r.urn, r.outputs]),
  );
}

const checkpointFile = (cloud: LocalCloud, stack: Stack) =>
  path.join(cloud.backend, ".pulumi", "stacks", PROJECT, `${stack.name}.json`);

describe("the key guard through the real Pulumi engine", function () {
  this.timeout(1_800_000);
  // Checkpoints are written once, at the end of each operation: the read-failure case moves the
  // checkpoint away while the program runs, and an intermediate write would put it back.
  const cloud = new LocalCloud({ PULUMI_SKIP_CHECKPOINTS: "true" });
  let stack: Stack;
  let checkout: string;
  let readFails = false;

  before(async () => {
    engineBin();
    checkout = cloud.checkout("guard");
    // The program, and a way to make the engine's read of the previous deployment fail while
    // it runs: the checkpoint is not where the backend looks (a renamed or lost stack).
    const run = async () => {
      const file = checkpointFile(cloud, stack);
      if (readFails) fs.renameSync(file, `${file}.away`);
      try {
        return await program();
      } finally {
        if (readFails) fs.renameSync(`${file}.away`, file);
      }
    };
    stack = await cloud.stack("dev", checkout, run);
    await stack.setConfig("signingKeyBits", { value: "2048" });
    // This cloud serves no storage data plane: the account key writes the documents (the guard
    // runs before either writer is registered).
    await stack.setConfig("storageSharedKeyAccess", { value: "true" });
    await up(stack, "first up with a 2048-bit key");
  });
  after(() => cloud.dispose());

  it("refuses when the previous deployment cannot be read, and then goes on", async () => {
    readFails = true;
    try {
      const line = await refused(
        cloud,
        stack,
        /^error: OidcIssuer oidc: cannot read the key ledger of its previous deployment \(.+\), so this up cannot tell.* set resetKeyLedger: true for one up/,
      );
      assert.match(line, /dev/, `names what could not be read: ${line}`);
    } finally {
      readFails = false;
    }
    await up(stack, "the next up, with the state readable");
  });

  it("refuses the README's rotation step 1 when the stack made its key with another size", async () => {
    const before = await outputsOf(stack);
    await stack.removeConfig("signingKeyBits");
    await stack.setAllConfig({
      signingKeys: { value: JSON.stringify([{ name: "initial" }, { name: "2027-05" }]) },
      signingKey: { value: "initial" },
    });
    await refused(
      cloud,
      stack,
      /^error: signingKeys\[0\]: 4096 bits is not valid; key "initial" was published as a 2048-bit generated key \(kid [-\w]+\); a published key never changes/,
    );
    // Declared with its size, it is the same key: step 1 publishes the next one beside it.
    await stack.setConfig("signingKeys", {
      value: JSON.stringify([{ name: "initial", bits: 2048 }, { name: "2027-05" }]),
    });
    await up(stack, "rotation step 1");
    const after = await outputsOf(stack);
    assert.equal(after.keyId, before.keyId, "initial signs, unchanged");
    const ledger = after.signingKeys as { keys: Record<string, { kid: string }> };
    assert.equal(ledger.keys.initial.kid, before.keyId, "the published key kept its kid");
    assert.notEqual(ledger.keys["2027-05"].kid, before.keyId);
  });

  it("refuses a brought key under a generated key's published name", async () => {
    const pub = crypto
      .generateKeyPairSync("rsa", { modulusLength: 2048 })
      .publicKey.export({ type: "spki", format: "pem" })
      .toString();
    await stack.setConfig("signingKeys", {
      value: JSON.stringify([
        { name: "initial", bits: 2048 },
        { name: "2027-05", publicKeyPem: pub },
      ]),
    });
    await refused(
      cloud,
      stack,
      /^error: signingKeys\[1\]: a brought key named "2027-05" is not valid; key "2027-05" was published as a 4096-bit generated key \(kid [-\w]+\); a published key never changes/,
    );
    await stack.setConfig("signingKeys", {
      value: JSON.stringify([{ name: "initial", bits: 2048 }, { name: "2027-05" }]),
    });
  });

  it("refuses a generated key under a brought key's name, and another public key under it", async () => {
    const pair = () =>
      crypto
        .generateKeyPairSync("rsa", { modulusLength: 2048 })
        .publicKey.export({ type: "spki", format: "pem" })
        .toString();
    const theirs = pair();
    const keys = (third: Record<string, unknown>) =>
      JSON.stringify([{ name: "initial", bits: 2048 }, { name: "2027-05" }, third]);
    await stack.setConfig("signingKeys", {
      value: keys({ name: "theirs", publicKeyPem: theirs }),
    });
    await up(stack, "publish a brought key");
    await stack.setConfig("signingKeys", { value: keys({ name: "theirs" }) });
    await refused(
      cloud,
      stack,
      /^error: signingKeys\[2\]: a generated key named "theirs" is not valid; key "theirs" was published as a brought key \(kid [-\w]+\); a published key never changes/,
    );
    await stack.setConfig("signingKeys", {
      value: keys({ name: "theirs", publicKeyPem: pair() }),
    });
    await refused(
      cloud,
      stack,
      /^error: signingKeys\[2\]: a different key \(kid [-\w]+\) is not valid; key "theirs" was published as a brought key/,
    );
    await stack.setConfig("signingKeys", {
      value: keys({ name: "theirs", publicKeyPem: theirs }),
    });
  });

  it("refuses a damaged ledger; a deliberate reset passes once, and is refused when left on", async () => {
    const state = await stack.exportStack();
    const issuer = (
      state.deployment as { resources: { type: string; outputs: Record<string, unknown> }[] }
    ).resources.find((r) => r.type === "azure-wi:index:OidcIssuer")!;
    const good = issuer.outputs.keyLedger;
    issuer.outputs.keyLedger = { signing: 3, keys: {} };
    await stack.importStack(state);
    await refused(
      cloud,
      stack,
      /^error: OidcIssuer oidc: cannot read the key ledger of its previous deployment \(keyLedger\.signing is not a key name\)/,
    );
    await stack.setConfig("resetKeyLedger", { value: "true" });
    // One up only: the ledger it writes reads fine, so the next run with the reset on (this
    // preview, or an up) is refused until it is removed.
    await up(stack, "a deliberate reset", false);
    const reset = (await outputsOf(stack)).signingKeys as { keys: Record<string, unknown> };
    assert.deepEqual(Object.keys(reset.keys), Object.keys((good as typeof reset).keys));
    await refused(
      cloud,
      stack,
      /^error: resetKeyLedger \(OidcIssuer oidc\): true is not valid; the previous key ledger reads fine: remove it/,
    );
    await stack.removeConfig("resetKeyLedger");
    await up(stack, "after the reset");
  });

  it("goes on after a first up that failed before the issuer published a key", async () => {
    // Its own world: an issuer alone, first in a resource group that does not exist.
    const fresh = new LocalCloud();
    try {
      let resourceGroupName: string | undefined = "no-such-group";
      const issuerOnly = () =>
        Promise.resolve({
          kid: new OidcIssuer("oidc", { rsaBits: 2048, resourceGroupName, sharedKeyAccess: true })
            .keyId,
        });
      const first = await fresh.stack("dev", fresh.checkout("failed-first"), issuerOnly);
      await first.setConfig("azure-native:location", { value: "westeurope" });
      await assert.rejects(first.up(), /ResourceGroupNotFound/);
      const left = checkpoint(fresh, first);
      assert.ok(
        Object.keys(left).some((urn) => urn.endsWith("azure-wi:index:OidcIssuer::oidc")),
        "the failed up left the issuer in the state",
      );
      resourceGroupName = undefined; // the issuer makes its own group
      await up(first, "the next up, a first up for the issuer");
      assert.match(String((await outputsOf(first)).kid), /^[-\w]{43}$/);
    } finally {
      fresh.dispose();
    }
  });
});
