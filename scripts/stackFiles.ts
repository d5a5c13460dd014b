/**
 * Reads a stack's config the way the Pulumi CLI hands it to a program: Pulumi.yaml's declared
 * defaults, overlaid with Pulumi.<stack>.yaml, as a flat `namespace:key` map of strings (lists
 * and objects JSON-encoded). Used by the offline plan and the tests, where no CLI runs.
 */
import * as fs from "node:fs";
import * as path from "node:path";

import * as YAML from "yaml";

export interface StackFiles {
  project: string;
  stack: string;
  /** `project:key` (and provider keys such as `azure-native:location`) to raw strings. */
  config: Record<string, string>;
}

function asRaw(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

export function readStackFiles(stack: string, root = path.resolve(__dirname, "..")): StackFiles {
  const project = YAML.parse(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as {
    name: string;
    config?: Record<string, { default?: unknown }>;
  };
  const file = path.join(root, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(file)) {
    throw new Error(
      `no stack file ${path.basename(file)}; stacks here: ${fs
        .readdirSync(root)
        .filter((f) => /^Pulumi\..+\.yaml$/.test(f))
        .join(", ")}`,
    );
  }
  const stackFile = (YAML.parse(fs.readFileSync(file, "utf8")) ?? {}) as {
    config?: Record<string, unknown>;
  };
  const config: Record<string, string> = {};
  for (const [key, decl] of Object.entries(project.config ?? {})) {
    if (decl.default !== undefined) config[`${project.name}:${key}`] = asRaw(decl.default);
  }
  for (const [key, value] of Object.entries(stackFile.config ?? {})) {
    if (typeof value === "object" && value !== null && "secure" in value) {
      throw new Error(`${key} is an encrypted secret; the offline plan cannot decrypt it`);
    }
    config[key.includes(":") ? key : `${project.name}:${key}`] = asRaw(value);
  }
  return { project: project.name, stack, config };
}
