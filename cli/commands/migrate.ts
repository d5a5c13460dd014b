/**
 * `migrate pod-identity [--out <dir>] <file>... | -`: AAD Pod Identity objects and workloads in,
 * stack config (existing identities) and a migration report out. It writes only config the stack
 * accepts (the entries are parsed by the stack's own config parser before anything is written),
 * refuses input with nothing to migrate, and reports what it could not migrate.
 */
import * as fs from "node:fs";
import * as path from "node:path";

import { InputError, UsageError, parseCommandArgs, readInput } from "../args";

/* eslint-disable @typescript-eslint/no-require-imports */
// Loaded once the arguments parse: --help and usage errors answer without the SDK.
const heavy = () => ({
  ...(require("../podIdentity") as typeof import("../podIdentity")),
  ...(require("../../stacks/config") as typeof import("../../stacks/config")),
});
/* eslint-enable @typescript-eslint/no-require-imports */

export const USAGE = `usage: pulumi-azure-workload-identity migrate pod-identity [--out <dir>] <file>... | -

Reads AzureIdentity, AzureIdentityBinding and AzurePodIdentityException objects and the
workloads that use them (kubectl get ... -o yaml output or manifests; - reads standard input)
and writes <dir>/identities.yaml (stack config reusing the same identities) and
<dir>/MIGRATION.md (what to change in each workload, and what was not migrated).

  --out <dir>   where to write (default pod-identity-migration)
  -h, --help    this text`;

export function run(argv: string[]): number {
  const { values, positionals } = parseCommandArgs(argv, {
    out: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length === 0)
    throw new UsageError("no input: give files, or - for standard input");
  const { identitiesYaml, parseStackConfig, planMigration, readObjects } = heavy();
  const objects = positionals.flatMap((f) =>
    readObjects(readInput(f, "input"), f === "-" ? "<stdin>" : f),
  );
  if (!objects.some((o) => o.kind === "AzureIdentity" || o.kind === "AzureIdentityBinding")) {
    throw new InputError(
      `no AzureIdentity or AzureIdentityBinding in the input (${objects.length} other objects): nothing to migrate; did kubectl get fail, or run against another cluster?`,
    );
  }
  const migration = planMigration(objects);
  // What the stack will read: parsed by its own parser now, so that nothing it would refuse is
  // written (a migration bug, not the user's: it surfaces as one.)
  parseStackConfig({ identities: JSON.stringify(migration.identities) }, "migration");
  const out = typeof values.out === "string" ? values.out : "pod-identity-migration";
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, "identities.yaml"), identitiesYaml(migration.identities));
  fs.writeFileSync(path.join(out, "MIGRATION.md"), migration.report);
  const sas = migration.identities.reduce((n, i) => n + i.serviceAccounts.length, 0);
  console.log(
    `${migration.identities.length} identities, ${sas} ServiceAccounts: wrote ${path.join(out, "identities.yaml")} and ${path.join(out, "MIGRATION.md")}` +
      (migration.notMigrated > 0
        ? `; ${migration.notMigrated} not migrated (see MIGRATION.md)`
        : ""),
  );
  return 0;
}
