/**
 * The simulated cloud held to the behaviour table it shares with the local cloud
 * (localcloud/behaviours.json; localcloud/behaviours_test.go holds the local cloud to it): the
 * same outputs, the same refusals, so the two cannot drift apart again.
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { SimulatedCloud, sshFingerprint } from "../testing/simulator";
import { SIMULATED_TYPES } from "../testing/simulatedAzure";

interface Step {
  type: string;
  name?: string;
  inputs: Record<string, unknown>;
}
interface Case {
  name: string;
  only?: "localcloud" | "simulator";
  why?: string;
  given?: Step[];
  create: Step;
  outputs?: Record<string, string>;
  error?: string;
}
const table = JSON.parse(
  fs.readFileSync(path.join(__dirname, "..", "localcloud", "behaviours.json"), "utf8"),
) as { types: string[]; cases: Case[] };

const at = (value: unknown, dotted: string): unknown =>
  dotted
    .split(".")
    .reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], value);

/** Inputs with `$given[i].path`, at any depth, replaced by that output of the i-th given object. */
function resolved(inputs: Record<string, unknown>, given: Record<string, unknown>[]) {
  const resolve = (v: unknown): unknown => {
    if (typeof v === "string") {
      const ref = /^\$given\[(\d+)\]\.(.+)$/.exec(v);
      return ref ? at(given[Number(ref[1])], ref[2]) : v;
    }
    if (v !== null && typeof v === "object" && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x)]));
    }
    return v;
  };
  return resolve(inputs) as Record<string, unknown>;
}

describe("the simulated cloud against the behaviour table", () => {
  it("knows exactly the table's Azure, tls and random types", () => {
    const ours = [...SIMULATED_TYPES].filter((t) => /^(azure-native|tls|random):/.test(t));
    assert.deepEqual(ours.sort(), [...table.types].sort());
  });

  for (const c of table.cases) {
    if (c.only === "localcloud") {
      it(`(the local cloud only) ${c.name}: ${c.why}`, () => assert.ok(c.why));
      continue;
    }
    it(c.name, async () => {
      const sim = new SimulatedCloud();
      const given: Record<string, unknown>[] = [];
      for (const [i, g] of (c.given ?? []).entries()) {
        const made = await sim.newResource({
          type: g.type,
          name: g.name ?? `given-${i}`,
          inputs: resolved(g.inputs, given),
          custom: true,
        });
        given.push({ id: made.id, ...made.state });
      }
      const create = () =>
        sim.newResource({
          type: c.create.type,
          name: c.create.name ?? "it",
          inputs: resolved(c.create.inputs, given),
          custom: true,
        });
      if (c.error !== undefined) {
        await assert.rejects(create(), (err: Error) => {
          assert.match(err.message, new RegExp(c.error!));
          return true;
        });
        return;
      }
      const made = await create();
      const outputs = { id: made.id, ...made.state };
      for (const [p, pattern] of Object.entries(c.outputs ?? {})) {
        assert.match(String(at(outputs, p)), new RegExp(pattern), p);
      }
    });
  }

  it("writes a key's fingerprint as OpenSSH does", () => {
    const { publicKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wi-fp-"));
    try {
      const file = path.join(dir, "key.pem");
      fs.writeFileSync(file, publicKey.export({ type: "spki", format: "pem" }));
      const ssh = execFileSync("ssh-keygen", ["-i", "-m", "PKCS8", "-f", file], {
        encoding: "utf8",
      });
      fs.writeFileSync(`${file}.pub`, ssh);
      const line = execFileSync("ssh-keygen", ["-l", "-E", "sha256", "-f", `${file}.pub`], {
        encoding: "utf8",
      });
      assert.equal(line.split(" ")[1], sshFingerprint(publicKey));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
