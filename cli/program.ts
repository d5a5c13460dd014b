/**
 * A Pulumi program on disk, found as the Node.js language host finds it: Pulumi.yaml's project
 * name, runtime and `main`, then the entry (a file, or a folder's package.json `main`, else its
 * index), TypeScript compiled by the program's own ts-node (else the one the SDK vendors, as
 * `pulumi up` falls back to). The offline plan runs it against the simulated cloud.
 */
import * as fs from "node:fs";
import * as path from "node:path";

import { StackFileError, readYamlFile } from "./stackFiles";

export interface ProgramOnDisk {
  /** The folder holding Pulumi.yaml (and the stack files). */
  dir: string;
  project: string;
  /** The file the program starts from. */
  entry: string;
}

interface ProjectFile {
  name?: unknown;
  runtime?: unknown;
  main?: unknown;
}

/** The runtime's name, whether Pulumi.yaml gives it as a string or as `{ name, options }`. */
function runtimeName(runtime: unknown): unknown {
  return typeof runtime === "object" && runtime !== null
    ? (runtime as { name?: unknown }).name
    : runtime;
}

/** The file a folder starts from: its package.json `main`, else index.ts or index.js. */
function entryOf(target: string): string | undefined {
  if (!fs.existsSync(target)) return undefined;
  if (fs.statSync(target).isFile()) return target;
  const pkg = path.join(target, "package.json");
  if (fs.existsSync(pkg)) {
    let main: unknown;
    try {
      main = (JSON.parse(fs.readFileSync(pkg, "utf8")) as { main?: unknown }).main;
    } catch (err) {
      throw new StackFileError(`${pkg}: not JSON (${(err as Error).message.split("\n")[0]})`);
    }
    // A package whose main is its library (this project's own) names the program in Pulumi.yaml.
    if (typeof main === "string" && fs.existsSync(path.resolve(target, main))) {
      return path.resolve(target, main);
    }
  }
  return ["index.ts", "index.js"].map((f) => path.join(target, f)).find((f) => fs.existsSync(f));
}

/** Reads the program's Pulumi.yaml: a Node.js program with an entry that exists. */
export function readProgram(dir: string): ProgramOnDisk {
  const projectFile = path.join(dir, "Pulumi.yaml");
  if (!fs.existsSync(projectFile)) {
    throw new StackFileError(
      `${dir} holds no Pulumi.yaml: give the program's folder with --program (default: the current folder)`,
    );
  }
  const project = (readYamlFile(projectFile) ?? {}) as ProjectFile;
  if (typeof project.name !== "string" || project.name === "") {
    throw new StackFileError(`${projectFile}: name is missing; a Pulumi project has a name`);
  }
  const runtime = runtimeName(project.runtime);
  if (runtime !== "nodejs") {
    throw new StackFileError(
      `${projectFile}: runtime ${JSON.stringify(runtime)} is not planned offline; the plan runs Node.js programs (runtime: nodejs)`,
    );
  }
  const target = path.resolve(dir, typeof project.main === "string" ? project.main : ".");
  const entry = entryOf(target);
  if (entry === undefined) {
    throw new StackFileError(
      `${projectFile}: the program's entry cannot be found at ${target} (main, package.json main, index.ts or index.js)`,
    );
  }
  return { dir: path.resolve(dir), project: project.name, entry };
}

/**
 * The program must see the SDK instance the simulated cloud is installed in: two copies of
 * @pulumi/pulumi would each keep their own runtime state, and the program's resources would go
 * to a real engine that is not there.
 */
export function checkSameSdk(program: ProgramOnDisk): void {
  let theirs: string;
  try {
    theirs = require.resolve("@pulumi/pulumi", { paths: [program.dir] });
  } catch {
    throw new StackFileError(
      `${program.dir}: @pulumi/pulumi is not installed there; run npm install in the program first`,
    );
  }
  const ours = require.resolve("@pulumi/pulumi");
  if (fs.realpathSync(theirs) !== fs.realpathSync(ours)) {
    throw new StackFileError(
      `the program's @pulumi/pulumi (${path.dirname(theirs)}) is not the one this package runs with (${path.dirname(ours)}): install pulumi-azure-workload-identity in the program, so that npm keeps one copy, and run the plan from there (npx pulumi-azure-workload-identity plan)`,
    );
  }
}

/** A module as the program resolves it, or undefined where it has none. */
function resolveFrom(program: ProgramOnDisk, name: string): string | undefined {
  try {
    return require.resolve(name, { paths: [program.dir] });
  } catch {
    return undefined;
  }
}

/**
 * Compiles TypeScript on require as the language host does: the program's own ts-node and
 * TypeScript, else the SDK's vendored ones (@pulumi/pulumi/tsutils.js). Nothing when a ts-node
 * is already registered (the project's own `npm run plan` runs under one).
 */
function registerTypeScript(program: ProgramOnDisk): void {
  if (Reflect.get(process, Symbol.for("ts-node.register.instance"))) return;
  const sdk = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
  const tsNode = resolveFrom(program, "ts-node") ?? path.join(sdk, "vendor", "ts-node@7.0.1");
  const compiler =
    resolveFrom(program, "typescript") ??
    path.join(sdk, "vendor", "typescript@3.8.3", "typescript.js");
  const tsconfig = path.join(program.dir, "tsconfig.json");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require(tsNode) as { register(opts: object): void }).register({
    transpileOnly: true,
    compiler,
    skipProject: !fs.existsSync(tsconfig),
    project: fs.existsSync(tsconfig) ? tsconfig : undefined,
    compilerOptions: { module: "commonjs" },
  });
}

/** Loads the program's entry (its top level registers the resources): its exports. */
export function loadProgram(program: ProgramOnDisk): Record<string, unknown> {
  if (/\.tsx?$/.test(program.entry)) registerTypeScript(program);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(program.entry) as Record<string, unknown>;
}
