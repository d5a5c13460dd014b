import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/**
 * Takes the Kubernetes provider out of a component's options.
 *
 * A component registered with a provider in `opts.providers` is not registered until that
 * provider is, and its children wait for the component. A cluster's provider exists only once
 * the cluster does, so Azure children that need no cluster would wait for it too. Components
 * that mix Azure and Kubernetes children pass the provider to their Kubernetes children alone.
 */
export function splitKubernetesProvider(opts: pulumi.ComponentResourceOptions = {}): {
  kubernetes: pulumi.ProviderResource | undefined;
  rest: pulumi.ComponentResourceOptions;
} {
  const providers = opts.providers;
  if (providers === undefined) return { kubernetes: undefined, rest: opts };
  if (Array.isArray(providers)) {
    const kubernetes = providers.find((p) => p instanceof k8s.Provider);
    return { kubernetes, rest: { ...opts, providers: providers.filter((p) => p !== kubernetes) } };
  }
  const { kubernetes, ...others } = providers;
  return { kubernetes, rest: { ...opts, providers: others } };
}
