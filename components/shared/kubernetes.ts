import { InvalidArgumentError, describeValue } from "./errors";

/** Namespaces every cluster already has: never created (creating one fails: it exists). */
export const BUILTIN_NAMESPACES: readonly string[] = [
  "default",
  "kube-system",
  "kube-public",
  "kube-node-lease",
];

/** The namespaces to create for ServiceAccounts in `namespaces`: each once, built-ins left out. */
export function namespacesToCreate(namespaces: Iterable<string>): string[] {
  return [...new Set(namespaces)].filter((ns) => !BUILTIN_NAMESPACES.includes(ns));
}

/** DNS-1123 label: what Kubernetes requires of namespace and ServiceAccount names. */
export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function validateDns1123Label(value: unknown, field: string, maxLength = 63): string {
  if (typeof value !== "string" || value.length > maxLength || !DNS1123_LABEL.test(value)) {
    throw new InvalidArgumentError(
      field,
      describeValue(value),
      `expected a DNS-1123 label: 1 to ${maxLength} lowercase letters, digits and '-', starting and ending with a letter or digit`,
    );
  }
  return value;
}

export interface KubernetesVersion {
  major: number;
  minor: number;
  patch: number | undefined;
  /** As given, without a leading `v`. */
  text: string;
}

/** Parses `1.34`, `1.34.0` or `v1.34.0`. */
export function parseKubernetesVersion(
  value: unknown,
  field = "kubernetesVersion",
  requirePatch = false,
): KubernetesVersion {
  const m = typeof value === "string" ? /^v?(1)\.(\d{1,3})(?:\.(\d{1,3}))?$/.exec(value) : null;
  if (!m || (requirePatch && m[3] === undefined)) {
    throw new InvalidArgumentError(
      field,
      describeValue(value),
      requirePatch
        ? "expected a Kubernetes version such as 1.34.0"
        : "expected a Kubernetes version such as 1.34 or 1.34.0",
    );
  }
  const patch = m[3] === undefined ? undefined : Number(m[3]);
  const text = `${m[1]}.${Number(m[2])}${patch === undefined ? "" : `.${patch}`}`;
  return { major: Number(m[1]), minor: Number(m[2]), patch, text };
}
