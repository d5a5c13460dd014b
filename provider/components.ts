/**
 * What the component provider offers, and what it leaves out and why. The package name is the
 * components' own type-token prefix: every stack deployed since v0.1 holds its resources under
 * `azure-wi:index:*` URNs, and a provider under another name would register other types.
 */
export const PROVIDER_NAME = "azure-wi";

export interface ProvidedComponent {
  /** The exported class, and the schema's `azure-wi:index:<name>`. */
  name: string;
  /** Constructor arguments with no schema form, and what a program does instead. */
  inputsLeftOut: Readonly<Record<string, string>>;
  /** Public fields with no schema form, and what a program uses instead. */
  outputsLeftOut: Readonly<Record<string, string>>;
}

export const PROVIDED_COMPONENTS: readonly ProvidedComponent[] = [
  { name: "OidcIssuer", inputsLeftOut: {}, outputsLeftOut: {} },
  {
    name: "KindOrAksCluster",
    inputsLeftOut: {},
    outputsLeftOut: {
      provider:
        "a resource: declare a `pulumi:providers:kubernetes` with the cluster's `kubeconfig` output",
    },
  },
  {
    name: "WorkloadIdentity",
    inputsLeftOut: {
      serviceAccountDependsOn: "resources: give the component `dependsOn` instead",
    },
    outputsLeftOut: {
      serviceAccountResources: "resources: the `serviceAccounts` output names them",
    },
  },
  {
    name: "Webhook",
    inputsLeftOut: {},
    outputsLeftOut: { ready: "resources: depend on the Webhook component itself" },
  },
  { name: "OpenShiftCredentials", inputsLeftOut: {}, outputsLeftOut: {} },
];

/** Properties that hold private keys or credentials, wherever they appear: secret in the schema. */
export const SECRET_PROPERTIES: ReadonlySet<string> = new Set([
  "privateKeyPem",
  "signingPrivateKeyPem",
  "kubeconfig",
]);
