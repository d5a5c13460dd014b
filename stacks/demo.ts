/** The optional demo workload: an Azure CLI pod that signs in with its projected token. Pure. */
import { PodIdentity } from "../components/identity/workloadIdentityNames";

/**
 * A pod like the walkthroughs' test pod. It reads the token from AZURE_FEDERATED_TOKEN_FILE (the
 * path changed in webhook v1.6.0, so it must not be hard-coded), signs in, and stays up so that
 * `kubectl logs` and `kubectl exec` can be used.
 */
export function demoPodSpec(identity: PodIdentity, image: string) {
  return {
    metadata: {
      name: "wi-demo",
      namespace: identity.namespace,
      labels: { ...identity.labels, app: "wi-demo" },
    },
    spec: {
      serviceAccountName: identity.serviceAccountName,
      containers: [
        {
          name: "azure-cli",
          image,
          command: ["/bin/sh", "-c"],
          args: [
            [
              'az login --service-principal -u "$AZURE_CLIENT_ID" -t "$AZURE_TENANT_ID"',
              '--federated-token "$(cat "$AZURE_FEDERATED_TOKEN_FILE")" --allow-no-subscriptions --output none',
              '&& echo "signed in as $AZURE_CLIENT_ID" && az account show --output table; sleep infinity',
            ].join(" "),
          ],
          resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "256Mi" } },
          securityContext: { allowPrivilegeEscalation: false },
        },
      ],
    },
  };
}
