import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { InvalidArgumentError, describeValue, requireKnownObject } from "../shared/errors";
import {
  WEBHOOK_CHART,
  WebhookOptions,
  resolveWebhookOptions,
  webhookValues,
} from "./webhookValues";

const WEBHOOK_ARGS = [
  "azureTenantId",
  "chartVersion",
  "repository",
  "namespace",
  "azureEnvironment",
  "replicaCount",
  "logLevel",
  "values",
];

export interface WebhookArgs extends WebhookOptions {
  /** Required: the Entra tenant the webhook injects by default (a GUID). */
  azureTenantId: pulumi.Input<string>;
}

/**
 * The azure-workload-identity mutating webhook, installed from its Helm chart into its own
 * namespace. Pods created before it is ready are not mutated (azure-workload-identity #540), so
 * workloads should `dependsOn: webhook.ready`.
 */
export class Webhook extends pulumi.ComponentResource {
  /** The namespace the webhook runs in. */
  public readonly namespace: pulumi.Output<string>;
  /** The Helm release's name. */
  public readonly releaseName: pulumi.Output<string>;
  /** The chart version installed. */
  public readonly chartVersion: pulumi.Output<string>;
  /** Depend on these to create pods only once the webhook is running. */
  public readonly ready: pulumi.Resource[];

  constructor(name: string, args: WebhookArgs, opts?: pulumi.ComponentResourceOptions) {
    requireKnownObject(args, "", WEBHOOK_ARGS, "WebhookArgs: { azureTenantId, ... }");
    if (args.azureTenantId === undefined || args.azureTenantId === "") {
      throw new InvalidArgumentError(
        "azureTenantId",
        describeValue(args.azureTenantId),
        "the webhook chart requires the Entra tenant id",
      );
    }
    const cfg = resolveWebhookOptions(args);
    if (typeof args.azureTenantId === "string") webhookValues(args.azureTenantId, cfg);
    super("azure-wi:index:Webhook", name, {}, opts);

    const ns = new k8s.core.v1.Namespace(
      `${name}-ns`,
      {
        metadata: {
          name: cfg.namespace,
          // As upstream's own manifest labels it: the webhook runs under the restricted profile.
          labels: { "pod-security.kubernetes.io/enforce": "restricted" },
        },
      },
      { parent: this },
    );
    const release = new k8s.helm.v3.Release(
      `${name}-release`,
      {
        name: WEBHOOK_CHART,
        chart: WEBHOOK_CHART,
        version: cfg.chartVersion,
        repositoryOpts: { repo: cfg.repository },
        namespace: ns.metadata.name,
        values: pulumi.output(args.azureTenantId).apply((tenant) => webhookValues(tenant, cfg)),
        // Wait for the Deployment to be ready and roll back a failed install: "ready" must mean
        // pods will be mutated.
        skipAwait: false,
        atomic: true,
        timeout: 600,
      },
      { parent: this },
    );

    this.namespace = ns.metadata.name;
    this.releaseName = release.status.name;
    this.chartVersion = release.status.version;
    this.ready = [release];
    this.registerOutputs({
      namespace: this.namespace,
      releaseName: this.releaseName,
      chartVersion: this.chartVersion,
    });
  }
}
