/**
 * The azure-workload-identity mutating webhook, from its Helm chart.
 */
export { Webhook } from "./webhook";
export type { WebhookArgs } from "./webhook";
export {
  webhookValues,
  WEBHOOK_CHART,
  WEBHOOK_CHART_VERSION,
  WEBHOOK_NAMESPACE,
  WEBHOOK_REPOSITORY,
} from "./webhookValues";
