/**
 * What every component uses: the one error type, suggestions, Kubernetes names.
 */
export { InvalidArgumentError } from "./errors";
export { parseKubernetesVersion, validateDns1123Label } from "./kubernetes";
