/** Reads and validates the stack's config once, then deploys. */
import * as pulumi from "@pulumi/pulumi";

import { parseStackConfig, projectConfig } from "./config";
import { StackOutputs, deployStack } from "./deploy";

export { parseStackConfig, CONFIG_KEYS } from "./config";
export type { StackConfig, IdentityConfig } from "./config";
export { deployStack } from "./deploy";
export type { StackOutputs } from "./deploy";

/** The program behind `pulumi up`: config from the engine, a typed config, the stack. */
export function program(): Promise<StackOutputs> {
  const cfg = parseStackConfig(
    projectConfig(pulumi.runtime.allConfig(), pulumi.getProject()),
    pulumi.getStack(),
  );
  const config = new pulumi.Config();
  // The brought signing key's private half (the config checked it is there when needed).
  return deployStack(cfg, { signingPrivateKeyPem: config.getSecret("signingPrivateKeyPem") });
}
