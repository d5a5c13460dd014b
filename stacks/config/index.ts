/**
 * The stack configuration: every key, its type, default and meaning, parsed once into a typed,
 * validated object, section by section. Pure: it reads raw strings (as Pulumi hands config to a
 * program; lists and objects as JSON), so tests and the offline plan use it exactly as
 * `pulumi up` does. Every error is one line naming the key path (and the identity); what cannot
 * be known offline comes back in `warnings`.
 */
import { InvalidArgumentError, nearest, unknownKeyHint } from "../../components/shared/errors";
import { IdentityConfig, checkOneWriterPerIdentity, parseIdentities } from "./identities";
import { IntegrationsConfig, parseCapz, parseOpenShift } from "./integrations";
import { CONFIG_KEYS } from "./keys";
import { PlatformConfig, checkDemo, parsePlatform } from "./platform";
import { Raw, list } from "./raw";
import { SigningConfig, parseSigning } from "./signing";

export { CONFIG_KEYS, rawDefault } from "./keys";
export type { ConfigKey, KeySpec } from "./keys";
export type { IdentityConfig } from "./identities";
export { CONFIG_KEY_FIELDS, configNamed } from "./signing";

export type StackConfig = PlatformConfig &
  SigningConfig &
  IntegrationsConfig & {
    identities: IdentityConfig[];
    /** What may be wrong but cannot be known offline (a region this version does not know). */
    warnings: string[];
  };

/** Refuses a key the stack does not read, naming the one it most likely meant. */
function checkKnownKeys(raw: Raw): void {
  const known = Object.keys(CONFIG_KEYS);
  for (const key of Object.keys(raw)) {
    if (!(key in CONFIG_KEYS)) {
      // The value is not shown: a mistyped key may hold a secret.
      const near = nearest(key, known);
      throw new InvalidArgumentError(
        key,
        "a value (not shown)",
        near ? `unknown config key; did you mean ${near}?` : unknownKeyHint(key, known),
      );
    }
  }
}

/**
 * Parses the raw config of one stack (keys without the `project:` prefix). Throws an
 * InvalidArgumentError whose field is the config key.
 */
export function parseStackConfig(raw: Raw, stack: string): StackConfig {
  checkKnownKeys(raw);
  const warnings: string[] = [];
  const platform = parsePlatform(raw, stack, warnings);
  const signing = parseSigning(raw);
  const identities = parseIdentities(list(raw, "identities", "identities"));
  checkDemo(
    platform.demoWorkload,
    identities.some((i) => i.serviceAccounts.some((s) => s.create)),
  );
  const { requests, ...openshift } = parseOpenShift(raw);
  checkOneWriterPerIdentity(identities, requests, platform.clusterName, platform.resourceGroupName);
  return {
    ...platform,
    ...signing,
    identities,
    ...openshift,
    capz: parseCapz(raw, platform.flavor, identities),
    warnings,
  };
}

/** The namespaces of config keys the stack knows are not its own: providers' settings. */
const PROVIDER_NAMESPACES = [
  "azure-native",
  "azure",
  "kubernetes",
  "tls",
  "random",
  "command",
  "pulumi",
];

/**
 * The project's config from Pulumi's flat `project:key` map, without the prefix. A key under a
 * namespace that looks like a misspelling of the project's is refused: its value would be
 * ignored, silently (a stack deployed without its identities).
 */
export function projectConfig(all: Record<string, string>, project: string): Raw {
  const prefix = `${project}:`;
  for (const key of Object.keys(all)) {
    const namespace = key.slice(0, key.indexOf(":"));
    if (namespace === project || PROVIDER_NAMESPACES.includes(namespace)) continue;
    if (nearest(namespace, [project]) !== undefined) {
      throw new InvalidArgumentError(
        key,
        "a value (not shown)",
        `not this project's (${project}), so it would be ignored; did you mean ${project}:${key.slice(namespace.length + 1)}?`,
      );
    }
  }
  return Object.fromEntries(
    Object.entries(all)
      .filter(([k]) => k.startsWith(prefix))
      .map(([k, v]) => [k.slice(prefix.length), v]),
  );
}

/** What Pulumi reads at the top of a stack file; anything else there is ignored by it. */
const STACK_FILE_KEYS = [
  "config",
  "secretsprovider",
  "encryptedkey",
  "encryptionsalt",
  "environment",
];

/**
 * Refuses a stack file whose top level holds what Pulumi ignores: a key meant for `config:`
 * (identities written without the indent) would silently leave the stack without it.
 */
export function checkStackFileShape(doc: unknown, file: string, project: string): void {
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) return;
  for (const key of Object.keys(doc)) {
    if (STACK_FILE_KEYS.includes(key)) continue;
    const bare = key.includes(":") ? key.slice(key.indexOf(":") + 1) : key;
    const meant = bare in CONFIG_KEYS ? ` as ${project}:${bare}` : "";
    throw new InvalidArgumentError(
      `${file}: ${key}`,
      "a top-level key",
      `Pulumi reads only ${STACK_FILE_KEYS.join(", ")} there and ignores the rest; ${meant ? `indent it under config:${meant}` : `did you mean ${nearest(key, STACK_FILE_KEYS) ?? "config"}?`}`,
    );
  }
}
