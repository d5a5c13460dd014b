/**
 * Bad input, everywhere a stack file can hold it: valid configs mutated at random (a value of
 * another type, a key removed or added, an empty or overlong value, another letter case), and
 * each either deploys under the simulated cloud, or is refused in exactly one line, without a
 * stack trace, naming a config key path, before anything is registered. The table of named cases
 * is test/badInput.test.ts; this finds the cases nobody named.
 */
import * as assert from "node:assert/strict";

import * as fc from "fast-check";
import * as pulumi from "@pulumi/pulumi";

import { CONFIG_KEYS, parseStackConfig, projectConfig } from "../stacks/config";
import { deployStack } from "../stacks/deploy";
import { readStackFiles } from "../cli/stackFiles";
import { fixture, settled, simulator } from "./helpers";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Path = (string | number)[];

/** A raw config as values: JSON-typed keys parsed, the rest as Pulumi hands them (strings). */
function decoded(raw: Record<string, string>): Record<string, Json> {
  return Object.fromEntries(
    Object.entries(raw).map(([k, v]) => {
      const spec = CONFIG_KEYS[k as keyof typeof CONFIG_KEYS];
      return [k, spec?.type.endsWith("list") ? (JSON.parse(v) as Json) : v];
    }),
  );
}

/** Back to what Pulumi hands a program: strings as they are, anything else as JSON. */
function encoded(values: Record<string, Json>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
  );
}

function pathsOf(v: Json, at: Path = []): Path[] {
  const out: Path[] = at.length > 0 ? [at] : [];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...pathsOf(x, [...at, i])));
  else if (v !== null && typeof v === "object")
    for (const [k, x] of Object.entries(v)) out.push(...pathsOf(x, [...at, k]));
  return out;
}

const MUTATIONS = [
  "number",
  "boolean",
  "list",
  "map",
  "null",
  "empty",
  "long",
  "upper",
  "delete",
  "unknown key",
] as const;
type Mutation = (typeof MUTATIONS)[number];

/** The value at `path` mutated (or the key removed, or a key added beside it). */
function mutate(root: Record<string, Json>, path: Path, how: Mutation, word: string) {
  const copy = JSON.parse(JSON.stringify(root)) as Record<string, Json>;
  let parent: Json = copy;
  for (const p of path.slice(0, -1)) parent = (parent as Record<string, Json>)[p as string];
  const key = path[path.length - 1];
  const holder = parent as Record<string | number, Json>;
  const old = holder[key];
  const replacement: Record<Exclude<Mutation, "delete" | "unknown key">, Json> = {
    number: 1.3,
    boolean: true,
    list: [old],
    map: { value: old },
    null: null,
    empty: "",
    long: "x".repeat(300),
    upper: typeof old === "string" ? old.toUpperCase() : old,
  };
  if (how === "delete") {
    if (Array.isArray(holder)) holder.splice(key as number, 1);
    else delete holder[key];
  } else if (how === "unknown key") {
    if (holder !== null && typeof holder === "object" && !Array.isArray(holder))
      holder[`${word}x`] = "?";
  } else {
    holder[key] = replacement[how];
  }
  return copy;
}

/** The configs mutated: both stack files, and declared and brought keys, and more identities. */
function bases(): Record<string, string>[] {
  const project = (stack: string) =>
    projectConfig(readStackFiles(stack).config, "azure-workload-identity") as Record<
      string,
      string
    >;
  const dev = project("dev");
  const aks = project("aks");
  const small = { ...dev, signingKeyBits: "2048" };
  return [
    small,
    aks,
    {
      ...dev,
      signingKeyBits: "",
      signingKeys: JSON.stringify([
        { name: "initial", bits: 2048 },
        { name: "theirs", publicKeyPem: fixture("rotated.pub") },
      ]),
      signingKey: "initial",
    },
    {
      ...dev,
      signingKeyBits: "",
      signingPublicKeyPem: fixture("signing.pub"),
      signingPrivateKeyPem: fixture("signing.key"),
      identities: JSON.stringify([
        {
          name: "wi-existing",
          existingIdentity: {
            resourceId:
              "/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/ids/providers/Microsoft.ManagedIdentity/userAssignedIdentities/wi-existing",
            clientId: "00000000-0000-4000-8000-0000000000c1",
            principalId: "00000000-0000-4000-8000-0000000000c2",
          },
          serviceAccounts: [{ namespace: "apps", name: "api", create: false }],
        },
      ]),
      capzIdentity: "wi-existing",
    },
  ];
}

const KNOWN_KEYS = Object.keys(CONFIG_KEYS);

describe("the stack config, mutated at random", function () {
  this.timeout(600_000);
  const sim = simulator();
  const configs = bases();

  it("deploys, or refuses in one line naming a key path, registering nothing", async () => {
    let refused = 0;
    let deployed = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.nat(configs.length - 1),
        fc.nat(),
        fc.constantFrom(...MUTATIONS),
        fc.stringMatching(/^[a-z]{1,8}$/),
        async (which, pick, how, word) => {
          const base = decoded(configs[which]);
          const paths = pathsOf(base);
          const path = paths[pick % paths.length];
          const raw = encoded(mutate(base, path, how, word));
          sim.reset();
          let error: unknown;
          try {
            await pulumi.runtime.runInPulumiStack(async () =>
              deployStack(parseStackConfig(raw, "dev"), {
                signingPrivateKeyPem: raw.signingPrivateKeyPem,
              }),
            );
          } catch (err) {
            error = err;
          }
          await settled(sim);
          if (error === undefined) {
            deployed++;
            return;
          }
          refused++;
          const message = (error as Error).message;
          const what = `${how} at ${JSON.stringify(path)}: ${message}`;
          assert.ok(
            ["InvalidArgumentError", "KeyGuardError"].includes((error as Error).name),
            `a refusal, not a crash: ${(error as Error).name}: ${what}`,
          );
          assert.doesNotMatch(message, /\n/, `one line: ${what}`);
          assert.doesNotMatch(message, /\bat .+:\d+:\d+/, `no stack trace: ${what}`);
          // A config key, or the unknown key the mutation added (named as the one at fault).
          const key = /^([A-Za-z]+)/.exec(message)?.[1] ?? "";
          assert.ok(
            KNOWN_KEYS.includes(key) || (how === "unknown key" && key === `${word}x`),
            `names a config key path: ${what}`,
          );
          assert.deepEqual(
            sim.resources.filter((r) => r.type !== "pulumi:pulumi:Stack").map((r) => r.type),
            [],
            `nothing registered: ${what}`,
          );
        },
      ),
      {
        numRuns: Number(process.env.WI_PROPERTY_RUNS ?? 150),
        seed: Number(process.env.WI_PROPERTY_SEED ?? Date.now() % 2 ** 31),
      },
    );
    // Both kinds of outcome happen, or the property tests little.
    assert.ok(refused > 0 && deployed > 0, `refused ${refused}, deployed ${deployed}`);
  });
});
