/**
 * Reads a stack's config the way the Pulumi CLI hands it to a program: Pulumi.yaml's declared
 * defaults, overlaid with Pulumi.<stack>.yaml, as a flat `namespace:key` map of strings (lists
 * and objects JSON-encoded). Used by the offline plan and the tests, where no CLI runs.
 */
import * as fs from "node:fs";
import * as path from "node:path";

import * as YAML from "yaml";

import { describeYamlError } from "./yamlErrors";
import { checkStackFileShape } from "../stacks/config";
import { stacksIn } from "./stackNames";

export { stacksIn } from "./stackNames";

/** A problem with the files the user gave: reported as one line, no stack trace. */
export class StackFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StackFileError";
  }
}

export interface StackFiles {
  project: string;
  stack: string;
  /** `project:key` (and provider keys such as `azure-native:location`) to raw strings. */
  config: Record<string, string>;
  /** Keys whose value the stack file holds encrypted (`secure:`), which no offline tool reads. */
  encrypted: string[];
}

function asRaw(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** Parses a YAML file, naming the file, line and column of the first syntax error. */
export function readYamlFile(file: string): unknown {
  const doc = YAML.parseDocument(fs.readFileSync(file, "utf8"), { prettyErrors: true });
  const error = doc.errors[0];
  if (error !== undefined) {
    const { where, message } = describeYamlError(error, path.basename(file));
    throw new StackFileError(`${where}: ${message}`);
  }
  return doc.toJS() as unknown;
}

export function readStackFiles(stack: string, root = path.resolve(__dirname, "..")): StackFiles {
  const project = readYamlFile(path.join(root, "Pulumi.yaml")) as {
    name: string;
    config?: Record<string, { default?: unknown }>;
  };
  const file = path.join(root, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(file)) {
    throw new StackFileError(
      `unknown stack "${stack}": there is no Pulumi.${stack}.yaml; stacks here: ${stacksIn(root).join(", ")}`,
    );
  }
  const stackDoc = readYamlFile(file) ?? {};
  checkStackFileShape(stackDoc, path.basename(file), project.name);
  const stackFile = stackDoc as { config?: Record<string, unknown> };
  const config: Record<string, string> = {};
  const encrypted: string[] = [];
  for (const [key, decl] of Object.entries(project.config ?? {})) {
    if (decl.default !== undefined) config[`${project.name}:${key}`] = asRaw(decl.default);
  }
  for (const [key, value] of Object.entries(stackFile.config ?? {})) {
    const full = key.includes(":") ? key : `${project.name}:${key}`;
    if (typeof value === "object" && value !== null && "secure" in value) {
      encrypted.push(full);
      continue;
    }
    config[full] = asRaw(value);
  }
  return { project: project.name, stack, config, encrypted };
}
