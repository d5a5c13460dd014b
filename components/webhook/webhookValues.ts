/** The azure-workload-identity webhook chart: pinned coordinates and its values. Pure. */
import {
  InvalidArgumentError,
  describeValue,
  requireIntegerInRange,
  requireMatch,
  requireOneOf,
} from "../shared/errors";
import { validateDns1123Label } from "../shared/kubernetes";

export const WEBHOOK_CHART = "workload-identity-webhook";
export const WEBHOOK_REPOSITORY = "https://azure.github.io/azure-workload-identity/charts";
export const WEBHOOK_CHART_VERSION = "1.6.0";
export const WEBHOOK_NAMESPACE = "azure-workload-identity-system";

export const AZURE_ENVIRONMENTS = [
  "AzurePublicCloud",
  "AzureUSGovernmentCloud",
  "AzureChinaCloud",
] as const;
export type AzureEnvironment = (typeof AZURE_ENVIRONMENTS)[number];
/** The webhook manager's --log-level, in increasing verbosity. */
export const LOG_LEVELS = ["info", "debug", "trace", "all"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Values the typed options own; the escape hatch may not set them. */
export const OWNED_VALUES = [
  "azureTenantID",
  "azureEnvironment",
  "replicaCount",
  "logLevel",
] as const;

export interface WebhookOptions {
  /** The chart's exact version (default 1.6.0, the release the tests run). */
  chartVersion?: string;
  /** The chart repository, https:// or oci:// (default: azure-workload-identity's own). */
  repository?: string;
  /** The namespace the webhook runs in, created by the component (default azure-workload-identity-system). */
  namespace?: string;
  /** The Azure cloud: AzurePublicCloud (default), AzureUSGovernmentCloud or AzureChinaCloud. */
  azureEnvironment?: AzureEnvironment;
  /** How many webhook pods run, 1 to 10 (default 2). */
  replicaCount?: number;
  /** The webhook manager's log level: info (default), debug, trace or all. */
  logLevel?: LogLevel;
  /** Further chart values; the typed options' own values may not be set here. */
  values?: Record<string, unknown>;
}

export interface ResolvedWebhookOptions {
  chartVersion: string;
  repository: string;
  namespace: string;
  azureEnvironment: AzureEnvironment;
  replicaCount: number;
  logLevel: LogLevel;
  extraValues: Record<string, unknown>;
}

/** A chart repository URL as Helm resolves the webhook chart from it: https:// or oci://. */
export function validateChartRepository(repository: unknown, field: string): string {
  return requireMatch(
    repository,
    field,
    /^(https|oci):\/\/\S+$/,
    "expected an https:// or oci:// chart repository URL",
  );
}

export function resolveWebhookOptions(opts: WebhookOptions): ResolvedWebhookOptions {
  const chartVersion = requireMatch(
    opts.chartVersion ?? WEBHOOK_CHART_VERSION,
    "chartVersion",
    /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/,
    "expected an exact chart version such as 1.6.0",
  );
  const repository = validateChartRepository(opts.repository ?? WEBHOOK_REPOSITORY, "repository");
  const extraValues = opts.values ?? {};
  if (typeof extraValues !== "object" || extraValues === null || Array.isArray(extraValues)) {
    throw new InvalidArgumentError(
      "values",
      describeValue(extraValues),
      "expected an object of chart values",
    );
  }
  for (const owned of OWNED_VALUES) {
    if (owned in extraValues) {
      throw new InvalidArgumentError(
        `values.${owned}`,
        describeValue(extraValues[owned]),
        `set by the typed option instead (${owned === "azureTenantID" ? "azureTenantId" : owned}); values may not override it`,
      );
    }
  }
  return {
    chartVersion,
    repository,
    namespace: validateDns1123Label(opts.namespace ?? WEBHOOK_NAMESPACE, "namespace"),
    azureEnvironment: requireOneOf(
      opts.azureEnvironment ?? "AzurePublicCloud",
      "azureEnvironment",
      AZURE_ENVIRONMENTS,
    ),
    replicaCount: requireIntegerInRange(opts.replicaCount ?? 2, "replicaCount", 1, 10),
    logLevel: requireOneOf(opts.logLevel ?? "info", "logLevel", LOG_LEVELS),
    extraValues,
  };
}

/** The chart values: the escape hatch first, then the typed options on top (they always win). */
export function webhookValues(
  tenantId: string,
  opts: ResolvedWebhookOptions,
): Record<string, unknown> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(tenantId)) {
    throw new InvalidArgumentError(
      "azureTenantId",
      describeValue(tenantId),
      "expected the Entra tenant id, a GUID",
    );
  }
  return {
    ...opts.extraValues,
    azureTenantID: tenantId,
    azureEnvironment: opts.azureEnvironment,
    replicaCount: opts.replicaCount,
    logLevel: opts.logLevel,
  };
}
