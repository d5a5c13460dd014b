/**
 * `doctor`: checks a live setup end to end (the issuer's documents, fresh tokens, the
 * identities' federated credentials and role assignments in Azure, the ServiceAccounts and the
 * webhook), one line per check.
 */
import { accessMapMermaid, brokenLinks } from "../accessMap";
import { UsageError, parseCommandArgs, readInput } from "../args";
import type { DoctorIdentity, DoctorReport, DoctorTarget } from "../doctor/doctor";

/* eslint-disable @typescript-eslint/no-require-imports */
// Loaded once the arguments parse: --help and usage errors answer without the SDK.
const heavy = () => ({
  ...(require("../../components/issuer/issuerUrl") as typeof import("../../components/issuer/issuerUrl")),
  ...(require("../doctor/arm") as typeof import("../doctor/arm")),
  ...(require("../doctor/doctor") as typeof import("../doctor/doctor")),
  ...(require("../doctor/kubeClient") as typeof import("../doctor/kubeClient")),
  ...(require("../doctor/target") as typeof import("../doctor/target")),
});
/* eslint-enable @typescript-eslint/no-require-imports */

const ARM_ENDPOINT = "https://management.azure.com";

export const USAGE = `usage: pulumi-azure-workload-identity doctor [options]
       (--outputs <file>|- | --issuer <url> (--identity <resource id> --service-account <ns/name>...)...)
       (--identity-binding <resource id> in place of --identity: an AKS identity binding)

Checks a live setup end to end and prints one line per check; exit status 1 when one fails.

  --outputs <file>|-          the stack's outputs (pulumi stack output --json)
  --issuer <url>              or: the issuer to check, with
  --identity <resource id>    an identity (repeat for more), each followed by
  --service-account <ns/name> the ServiceAccounts it should trust (repeat for more)
  --identity-binding <id>     an identity the ServiceAccounts after it use through an AKS identity
                              binding: checks its binding credential and their use-managed-identity
                              RBAC instead of a credential each
  --kubeconfig <file>         the cluster (default as kubectl: $KUBECONFIG's files, ~/.kube/config,
                              or the pod's own ServiceAccount when run in a cluster)
  --context <name>            the kubeconfig's context (default its current-context)
  --arm-endpoint <url>        Azure Resource Manager (default ${ARM_ENDPOINT})
                              Azure credentials: $AZURE_ACCESS_TOKEN, else DefaultAzureCredential
                              (AZURE_* variables, workload identity, managed identity, az login)
  --audience <aud>            the tokens' audience (default api://AzureADTokenExchange)
  --json                      the report as JSON
  --map                       after the report, the access map (Mermaid): issuer, cluster,
                              ServiceAccounts, identities, roles at scopes; failing links red
                              (with --json: the report's "map")
  -h, --help                  this text`;

const OPTIONS = {
  outputs: { type: "string" },
  issuer: { type: "string" },
  identity: { type: "string", multiple: true },
  "identity-binding": { type: "string", multiple: true },
  "service-account": { type: "string", multiple: true },
  kubeconfig: { type: "string" },
  context: { type: "string" },
  "arm-endpoint": { type: "string" },
  audience: { type: "string" },
  json: { type: "boolean" },
  map: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/** --identity and the --service-account options after it, in the order given. */
function identitiesOf(tokens: NonNullable<ReturnType<typeof parseCommandArgs>["tokens"]>) {
  const { identityResourceId, serviceAccountRef } = heavy();
  const identities: DoctorIdentity[] = [];
  for (const t of tokens) {
    if (t.kind !== "option" || t.value === undefined) continue;
    if (t.name === "identity" || t.name === "identity-binding") {
      const id = identityResourceId(t.value, `--${t.name}`);
      identities.push({
        name: id.slice(id.lastIndexOf("/") + 1),
        identityId: id,
        serviceAccounts: [],
        ...(t.name === "identity-binding" ? { identityBinding: true } : {}),
      });
    } else if (t.name === "service-account") {
      const last = identities.at(-1);
      if (!last) throw new UsageError("--service-account must follow the --identity that it uses");
      last.serviceAccounts.push(serviceAccountRef(t.value, "--service-account"));
    }
  }
  return identities;
}

function targetOf(values: Record<string, unknown>, identities: DoctorIdentity[]): DoctorTarget {
  const { canonicalIssuer, targetFromOutputs } = heavy();
  if (typeof values.outputs === "string") {
    if (values.issuer !== undefined || identities.length > 0) {
      throw new UsageError("give --outputs, or --issuer and --identity, not both");
    }
    return targetFromOutputs(
      readInput(values.outputs, "--outputs"),
      values.outputs === "-" ? "<stdin>" : values.outputs,
    );
  }
  if (typeof values.issuer !== "string")
    throw new UsageError("give --outputs, or --issuer and --identity");
  const issuerUrl = canonicalIssuer(values.issuer, "--issuer");
  if (identities.length === 0)
    throw new UsageError("give at least one --identity or --identity-binding");
  for (const id of identities) {
    if (id.serviceAccounts.length === 0) {
      throw new UsageError(`give at least one --service-account after --identity ${id.identityId}`);
    }
  }
  return { issuerUrl, identities };
}

/** The access map of what was checked (Mermaid), each link a failed check breaks in red. */
function mapOf(target: DoctorTarget, cluster: string, report: DoctorReport): string {
  const map = {
    issuer: target.issuerUrl,
    cluster,
    identities: target.identities.map((id) => ({
      name: id.name,
      serviceAccounts: id.serviceAccounts,
      roles: id.roleAssignments ?? [],
    })),
  };
  return accessMapMermaid(map, brokenLinks(report.results.filter((r) => r.status === "fail")));
}

export async function run(argv: string[]): Promise<number> {
  const { values, tokens } = parseCommandArgs(argv, OPTIONS, false);
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const names = (tokens ?? []).flatMap((t) => (t.kind === "option" ? [t.name] : []));
  const firstAccount = names.indexOf("service-account");
  const before = names.slice(0, firstAccount);
  if (firstAccount !== -1 && !before.includes("identity") && !before.includes("identity-binding")) {
    throw new UsageError("--service-account must follow the --identity that it uses");
  }
  if (values.outputs === undefined && values.issuer === undefined) {
    throw new UsageError("give --outputs, or --issuer and --identity");
  }
  const target = targetOf(values, identitiesOf(tokens ?? []));
  const { ArmClient, KubeClient, armCredential, canonicalIssuer, doctor, formatReport } = heavy();
  if (typeof values.audience === "string") target.audience = values.audience;
  const armEndpoint =
    typeof values["arm-endpoint"] === "string"
      ? canonicalIssuer(values["arm-endpoint"], "--arm-endpoint").replace(/\/$/, "")
      : ARM_ENDPOINT;
  // A kubeconfig or context that cannot be used stops here, in one line (KubeconfigError).
  const kube = await KubeClient.load({
    kubeconfig: typeof values.kubeconfig === "string" ? values.kubeconfig : undefined,
    context: typeof values.context === "string" ? values.context : undefined,
  });
  const arm = new ArmClient(armEndpoint, await armCredential());
  const report = await doctor(target, { kube, arm });
  const map = values.map ? mapOf(target, kube.context, report) : undefined;
  if (values.json) {
    process.stdout.write(JSON.stringify(map ? { ...report, map } : report, null, 2) + "\n");
  } else {
    process.stdout.write(formatReport(report) + (map ? `\n\`\`\`mermaid\n${map}\`\`\`\n` : ""));
  }
  return report.ok ? 0 : 1;
}
