/**
 * Consumers import the built package by its name, as another Pulumi program would after
 * `npm install`. Node resolves a package's own name through its `exports` map, so this goes
 * through package.json and dist/, not through the sources. (`npm test` builds first.)
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { builtinModules } from "node:module";
import * as fs from "node:fs";
import * as path from "node:path";

import * as pulumi from "@pulumi/pulumi";
import {
  OidcIssuer,
  InvalidArgumentError,
  discoveryDocument,
  jsonWebKeySet,
  keyId,
  type OidcIssuerArgs,
} from "pulumi-azure-workload-identity";

import { fixture, settled, simulator, valueOf } from "./helpers";

describe("the package as a consumer imports it", () => {
  it("resolves to the built output through package.json exports", () => {
    const resolved = require.resolve("pulumi-azure-workload-identity");
    assert.match(resolved, /dist[\\/]components[\\/]index\.js$/);
  });

  it("exports the pure functions under their documented names", () => {
    const jwks = jsonWebKeySet([fixture("signing.pub")]);
    assert.equal(jwks.keys[0].kid, keyId(fixture("signing.pub")));
    assert.equal(
      discoveryDocument("https://a.blob.core.windows.net/oidc").jwks_uri,
      "https://a.blob.core.windows.net/oidc/openid/v1/jwks",
    );
  });

  it("exports a working, typed OidcIssuer component", async () => {
    const sim = simulator();
    const args: OidcIssuerArgs = { rsaBits: 2048, hosting: "publicContainer" };
    const issuer = new OidcIssuer("consumer", args);
    assert.ok(issuer instanceof pulumi.ComponentResource);
    const url: string = await valueOf(issuer.issuerUrl);
    assert.match(url, /^https:\/\/oidc[a-z0-9]{8}\.blob\.core\.windows\.net\/oidc$/);
    await settled(sim);
    assert.ok(
      sim.resources.some((r) => r.type === "azure-wi:index:OidcIssuer" && r.name === "consumer"),
    );
  });

  it("exports the error class callers catch", () => {
    assert.throws(() => new OidcIssuer("bad", { rsaBits: 512 }), InvalidArgumentError);
  });
});

const ROOT = path.join(__dirname, "..");

/** What `npm pack` would ship (package.json "files"), as npm itself lists it: each JavaScript
 * file's code without its comments (a doc comment may show a require of the reader's files). */
function shippedCode(): { shipped: Set<string>; code: Map<string, string> } {
  const [packed] = JSON.parse(
    execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
      cwd: ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    }),
  ) as { files: { path: string }[] }[];
  const shipped = new Set(packed.files.map((f) => f.path));
  const code = new Map<string, string>();
  for (const file of [...shipped].filter((f) => f.endsWith(".js"))) {
    const lines = fs.readFileSync(path.join(ROOT, file), "utf8").split("\n");
    code.set(file, lines.filter((line) => !/^\s*(\*|\/\/|\/\*)/.test(line)).join("\n"));
  }
  return { shipped, code };
}

describe("the packed files", () => {
  // Listed once for both tests, when they run (not while mocha loads every file, as a `--grep`
  // for another test would still pay for it).
  let shipped: Set<string>;
  let code: Map<string, string>;
  before(() => ({ shipped, code } = shippedCode()));

  it("hold every module the shipped JavaScript requires by a relative path", () => {
    const missing: string[] = [];
    for (const [file, text] of code) {
      for (const [, spec] of text.matchAll(/require\("(\.{1,2}\/[^"]+)"\)/g)) {
        const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
        if (![`${target}.js`, target, `${target}/index.js`].some((t) => shipped.has(t))) {
          missing.push(`${file} requires ${spec}`);
        }
      }
    }
    assert.deepEqual(missing, []);
  });

  it("require only declared dependencies (or Node's own modules) by name", () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as Record<
      string,
      Record<string, string> | undefined
    >;
    const declared = new Set([
      ...Object.keys(manifest.dependencies ?? {}),
      ...Object.keys(manifest.peerDependencies ?? {}),
    ]);
    const undeclared = new Set<string>();
    for (const [file, text] of code) {
      for (const [, spec] of text.matchAll(/(?:require|import)\("([^."][^"]*)"\)/g)) {
        const name = spec.startsWith("@")
          ? spec.split("/").slice(0, 2).join("/")
          : spec.split("/")[0];
        if (!spec.startsWith("node:") && !builtinModules.includes(name) && !declared.has(name)) {
          undeclared.add(`${name} (${file})`);
        }
      }
    }
    assert.deepEqual([...undeclared], []);
  });
});
