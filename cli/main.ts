#!/usr/bin/env node
/**
 * The package's command line: `npx pulumi-azure-workload-identity <command>`.
 *
 *   migrate pod-identity [--out <dir>] <file>... | -
 *       Plans the move from AAD Pod Identity: reads AzureIdentity, AzureIdentityBinding and
 *       AzurePodIdentityException objects and the workloads (`kubectl get ... -o yaml` output
 *       or manifests; `-` reads standard input) and writes <dir>/identities.yaml (stack config)
 *       and <dir>/MIGRATION.md (what to change in each workload). Nothing is written on error.
 */
import * as fs from "node:fs";
import * as path from "node:path";

import { InvalidArgumentError } from "../components/errors";
import { identitiesYaml, planMigration, readObjects } from "./podIdentity";

const USAGE =
  "usage: pulumi-azure-workload-identity migrate pod-identity [--out <dir>] <file>... | -";

class UsageError extends Error {}

function migratePodIdentity(args: string[]): void {
  let out = "pod-identity-migration";
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--out") {
      if (args[i + 1] === undefined) throw new UsageError("--out needs a directory");
      out = args[++i];
    } else if (args[i].startsWith("--")) {
      throw new UsageError(`unknown option ${args[i]}`);
    } else {
      files.push(args[i]);
    }
  }
  if (files.length === 0) throw new UsageError("no input: give files, or - for standard input");
  const objects = files.flatMap((f) =>
    readObjects(
      f === "-" ? fs.readFileSync(0, "utf8") : fs.readFileSync(f, "utf8"),
      f === "-" ? "<stdin>" : f,
    ),
  );
  const migration = planMigration(objects);
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, "identities.yaml"), identitiesYaml(migration.identities));
  fs.writeFileSync(path.join(out, "MIGRATION.md"), migration.report);
  const sas = migration.identities.reduce((n, i) => n + i.serviceAccounts.length, 0);
  console.log(
    `${migration.identities.length} identities, ${sas} ServiceAccounts: wrote ${path.join(out, "identities.yaml")} and ${path.join(out, "MIGRATION.md")}`,
  );
}

export function main(argv: string[]): number {
  try {
    const [command, sub, ...rest] = argv;
    if (command === "migrate" && sub === "pod-identity") migratePodIdentity(rest);
    else
      throw new UsageError(
        command === undefined
          ? "no command"
          : `unknown command ${[command, sub].filter(Boolean).join(" ")}`,
      );
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`error: ${err.message}\n${USAGE}`);
      return 2;
    }
    // The user's input is at fault: one line, no stack.
    if (
      err instanceof InvalidArgumentError ||
      (err instanceof Error && "code" in err && "path" in err)
    ) {
      console.error(`error: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
