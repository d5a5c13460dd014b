/**
 * Which Kubernetes versions each flavor can have, as far as that is knowable offline: refused
 * where the rule is stable (a node image whose tag says another version than the one asked for;
 * an AKS version older than any AKS offers, which is what a YAML number like 1.30 written
 * unquoted becomes), warned about where it is not (which node images a kind release publishes).
 */
import { InvalidArgumentError, describeValue } from "../shared/errors";
import { KubernetesVersion } from "../shared/kubernetes";

/** Kind v0.33.0's newest node image: the version of its default. */
export const KIND_NEWEST_VERSION = { major: 1, minor: 37, patch: 0 };

/** AKS has offered nothing older than this minor for years, nor will again. */
export const AKS_OLDEST_MINOR = 27;

/**
 * A kind version against its node image: refused when the image's tag names another version;
 * a warning when no image was given and kind's release publishes none that new.
 */
export function checkKindVersion(
  version: KubernetesVersion,
  nodeImage: string | undefined,
  fields: { version: string; image: string },
): string | undefined {
  const tag = nodeImage === undefined ? undefined : /:v(\d+\.\d+\.\d+)(@|$)/.exec(nodeImage)?.[1];
  if (tag !== undefined && tag !== version.text) {
    throw new InvalidArgumentError(
      fields.image,
      describeValue(nodeImage),
      `its tag says Kubernetes ${tag} where ${fields.version} says ${version.text}: give one of them, or both alike`,
    );
  }
  const newest = KIND_NEWEST_VERSION;
  const newer =
    version.minor > newest.minor ||
    (version.minor === newest.minor && (version.patch ?? 0) > newest.patch);
  if (nodeImage === undefined && newer) {
    return `${fields.version}: ${version.text} is newer than kind v0.33.0's newest node image (v${newest.major}.${newest.minor}.${newest.patch}): kindest/node:v${version.text} may not exist; give ${fields.image} (a kind release's notes list its images with their digests)`;
  }
  return undefined;
}

/** An AKS version: refused when older than any AKS offers. */
export function checkAksVersion(version: KubernetesVersion, field: string, given: string): void {
  if (version.minor >= AKS_OLDEST_MINOR) return;
  const unquoted =
    version.patch === undefined && version.minor < 10
      ? `; ${given} looks like a YAML number: 1.${version.minor}0 written without quotes reaches the program as ${given}: quote it ("1.${version.minor}0")`
      : "";
  throw new InvalidArgumentError(
    field,
    describeValue(given),
    `AKS offers Kubernetes 1.${AKS_OLDEST_MINOR} and later (az aks get-versions lists what your region has)${unquoted}`,
  );
}
