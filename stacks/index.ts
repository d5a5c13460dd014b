/** Reads and validates the stack's config once, then deploys. */
import * as fs from "node:fs";
import * as path from "node:path";

import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";

import { checkStackFileShape, parseStackConfig, projectConfig } from "./config";
import { StackOutputs, deployStack } from "./deploy";

export { parseStackConfig, CONFIG_KEYS } from "./config";
export type { StackConfig, IdentityConfig } from "./config";
export { deployStack } from "./deploy";
export type { StackOutputs } from "./deploy";

/**
 * The stack file, when the program runs beside it (pulumi up in the project): what Pulumi
 * ignores at its top level is refused rather than silently left out.
 */
function checkStackFile(): void {
  const name = `Pulumi.${pulumi.getStack()}.yaml`;
  const file = path.join(pulumi.runtime.getRootDirectory(), name);
  if (!fs.existsSync(file)) return;
  let doc: unknown;
  try {
    doc = YAML.parse(fs.readFileSync(file, "utf8"));
  } catch {
    return; // the CLI read it already: a file it could not read would not reach the program
  }
  checkStackFileShape(doc, name, pulumi.getProject());
}

/** The program behind `pulumi up`: config from the engine, a typed config, the stack. */
export function program(): Promise<StackOutputs> {
  checkStackFile();
  const cfg = parseStackConfig(
    projectConfig(pulumi.runtime.allConfig(), pulumi.getProject()),
    pulumi.getStack(),
  );
  for (const warning of cfg.warnings) void pulumi.log.warn(warning);
  const config = new pulumi.Config();
  // The brought signing key's private half (the config checked it is there when needed).
  return deployStack(cfg, { signingPrivateKeyPem: config.getSecret("signingPrivateKeyPem") });
}
