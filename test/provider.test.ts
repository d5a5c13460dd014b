/**
 * The component provider's schema and its dispatch, without an engine: the committed schema is
 * the one the components' declarations make; every input and output is documented; unions of
 * argument shapes become one object; what cannot cross languages is left out by name, and a type
 * the schema cannot carry stops the generator, naming the field.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

import ts from "typescript";

import { PROVIDED_COMPONENTS } from "../provider/components";
import { SCHEMA_FILE, currentSchemaText } from "../provider/generate";
import { packageSchema } from "../provider/packageSchema";
import * as components from "../components";
import { ComponentsProvider, componentClasses } from "../provider/provider";

const ROOT = path.resolve(__dirname, "..");
const INFO = { version: "1.0.0", description: "test", license: "Apache-2.0" };

/** A program holding one extra source file, as if it were in the repository. */
function programWith(text: string): { program: ts.Program; file: string } {
  const file = path.join(ROOT, "test", "virtualComponent.ts");
  const options: ts.CompilerOptions = {
    strict: true,
    module: ts.ModuleKind.Node16,
    moduleResolution: ts.ModuleResolutionKind.Node16,
    target: ts.ScriptTarget.ES2022,
    skipLibCheck: true,
    noEmit: true,
  };
  const real = ts.createCompilerHost(options);
  const host: ts.CompilerHost = {
    ...real,
    getSourceFile: (name, ...rest) =>
      name === file
        ? ts.createSourceFile(name, text, ts.ScriptTarget.ES2022, true)
        : real.getSourceFile(name, ...rest),
    fileExists: (name) => name === file || real.fileExists(name),
    readFile: (name) => (name === file ? text : real.readFile(name)),
  };
  return { program: ts.createProgram([file], options, host), file };
}

const COMPONENT = (args: string) => `
import * as pulumi from "@pulumi/pulumi";
interface PlainArgs {
  /** A name. */
  name: string;
  ${args}
}
/** A component. */
export class Thing extends pulumi.ComponentResource {
  /** Its name. */
  public readonly name: pulumi.Output<string>;
  constructor(name: string, args: PlainArgs, opts?: pulumi.ComponentResourceOptions) {
    super("azure-wi:index:Thing", name, {}, opts);
    this.name = pulumi.output(args.name);
  }
}
`;
const THING = [{ name: "Thing", inputsLeftOut: {}, outputsLeftOut: {} }];

describe("the component provider's schema", () => {
  const schema = JSON.parse(fs.readFileSync(SCHEMA_FILE, "utf8")) as ReturnType<
    typeof packageSchema
  >;

  it("is the one the components declare (run `npm run schema` after changing them)", function () {
    this.timeout(120_000);
    assert.equal(fs.readFileSync(SCHEMA_FILE, "utf8"), currentSchemaText());
  });

  it("documents every input and output of every component and type", () => {
    const undocumented = [
      ...Object.entries(schema.resources).flatMap(([token, r]) =>
        [...Object.entries(r.inputProperties), ...Object.entries(r.properties)]
          .filter(([, p]) => !p.description)
          .map(([name]) => `${token}.${name}`),
      ),
      ...Object.entries(schema.types).flatMap(([token, t]) =>
        Object.entries(t.properties)
          .filter(([, p]) => !p.description)
          .map(([name]) => `${token}.${name}`),
      ),
    ];
    assert.deepEqual(undocumented, []);
  });

  it("makes one object of a union of argument shapes, requiring what every shape requires", () => {
    const issuer = schema.resources["azure-wi:index:OidcIssuer"];
    for (const field of [
      "rsaBits",
      "signingKey",
      "keys",
      "signingKeyName",
      "hosting",
      "containerName",
    ]) {
      assert.ok(field in issuer.inputProperties, field);
    }
    assert.deepEqual(issuer.requiredInputs, []);
    const cluster = schema.resources["azure-wi:index:KindOrAksCluster"];
    assert.deepEqual(cluster.requiredInputs, ["flavor"]);
    assert.ok("workerCount" in cluster.inputProperties && "vmSize" in cluster.inputProperties);
    assert.deepEqual(schema.resources["azure-wi:index:WorkloadIdentity"].requiredInputs, [
      "issuerUrl",
      "serviceAccounts",
    ]);
    assert.deepEqual(issuer.inputProperties.signingKey, {
      $ref: "#/types/azure-wi:index:ProvidedSigningKey",
      description: issuer.inputProperties.signingKey.description,
    });
  });

  it("marks private keys and kubeconfigs secret, and nothing else", () => {
    const secrets = Object.entries(schema.resources).flatMap(([token, r]) =>
      [...Object.entries(r.inputProperties), ...Object.entries(r.properties)]
        .filter(([, p]) => p.secret)
        .map(([name]) => `${token.split(":")[2]}.${name}`),
    );
    assert.deepEqual(secrets.sort(), [
      "KindOrAksCluster.kubeconfig",
      "OidcIssuer.privateKeyPem",
      "OidcIssuer.signingPrivateKeyPem",
    ]);
    assert.equal(
      schema.types["azure-wi:index:ProvidedSigningKey"].properties.privateKeyPem.secret,
      true,
    );
  });

  it("leaves out, by name, what cannot cross languages", () => {
    for (const c of PROVIDED_COMPONENTS) {
      const r = schema.resources[`azure-wi:index:${c.name}`];
      for (const name of Object.keys(c.inputsLeftOut)) assert.ok(!(name in r.inputProperties));
      for (const name of Object.keys(c.outputsLeftOut)) assert.ok(!(name in r.properties));
    }
    assert.ok(!("provider" in schema.resources["azure-wi:index:KindOrAksCluster"].properties));
  });

  it("stops at a type the schema cannot carry, naming the field", () => {
    const { program, file } = programWith(COMPONENT("callback?: () => void;"));
    assert.throws(
      () => packageSchema(program, file, THING, INFO),
      /^Error: ThingArgs\.callback: the schema cannot carry its type `\(\) => void`; leave it out with a reason$/,
    );
  });

  it("maps inputs, arrays, maps and string unions to their schema types", () => {
    const { program, file } = programWith(
      COMPONENT(
        [
          "/** a */ a?: pulumi.Input<pulumi.Input<string>[]>;",
          "/** b */ b?: Record<string, number>;",
          '/** c */ c?: "x" | "y";',
          "/** d */ d?: { /** e */ e: boolean };",
        ].join("\n"),
      ),
    );
    const r = packageSchema(program, file, THING, INFO).resources["azure-wi:index:Thing"];
    assert.deepEqual(r.inputProperties.a, {
      type: "array",
      items: { type: "string" },
      description: "a",
    });
    assert.deepEqual(r.inputProperties.b, {
      type: "object",
      additionalProperties: { type: "number" },
      description: "b",
    });
    assert.deepEqual(r.inputProperties.c, { type: "string", description: "c" });
    assert.deepEqual(r.inputProperties.d, {
      $ref: "#/types/azure-wi:index:ThingArgsD",
      description: "d",
    });
    assert.deepEqual(r.requiredInputs, ["name"]);
    assert.deepEqual(r.properties.name, { type: "string", description: "Its name." });
  });
});

describe("the component provider", () => {
  it("constructs only the components it offers", async () => {
    const provider = new ComponentsProvider();
    await assert.rejects(
      provider.construct("x", "azure-wi:index:FleetIdentity", {}, {}),
      /^Error: azure-wi has no component azure-wi:index:FleetIdentity$/,
    );
    await assert.rejects(
      provider.construct("x", "other:index:OidcIssuer", {}, {}),
      /^Error: azure-wi has no component other:index:OidcIssuer$/,
    );
  });

  it("has the package's own class for each component it offers", () => {
    const classes = componentClasses();
    assert.deepEqual(Object.keys(classes).sort(), PROVIDED_COMPONENTS.map((c) => c.name).sort());
    for (const [name, Class] of Object.entries(classes)) {
      assert.equal(Class, (components as Record<string, unknown>)[name], name);
    }
  });

  it("starts without the components or the Storage client: the engine starts it for every preview", () => {
    const probe = `
      require("./provider/main");
      const loaded = Object.keys(require.cache).filter((f) =>
        /[\\/](components[\\/](cluster|identity|webhook|openshift)|node_modules[\\/]@pulumi[\\/](kubernetes|azure-native)|node_modules[\\/]@azure[\\/]storage-blob)[\\/]/.test(f));
      process.stdout.write(JSON.stringify(loaded));
      process.exit(0);`;
    const child = spawnSync(
      process.execPath,
      ["-r", "ts-node/register/transpile-only", "-e", probe],
      { cwd: ROOT, encoding: "utf8" },
    );
    assert.equal(child.status, 0, child.stderr);
    assert.deepEqual(JSON.parse(child.stdout), []);
  });

  it("offers exactly the schema's components, at the package's version", () => {
    const provider = new ComponentsProvider();
    const schema = JSON.parse(provider.schema) as { version: string; resources: object };
    assert.deepEqual(
      Object.keys(schema.resources).sort(),
      PROVIDED_COMPONENTS.map((c) => `azure-wi:index:${c.name}`).sort(),
    );
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
      version: string;
    };
    assert.equal(provider.version, pkg.version);
  });
});
