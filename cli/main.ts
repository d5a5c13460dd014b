#!/usr/bin/env node
/**
 * The package's command line: `npx pulumi-azure-workload-identity <command>`.
 *
 *   migrate pod-identity [--out <dir>] <file>... | -
 *       Plans the move from AAD Pod Identity: reads AzureIdentity, AzureIdentityBinding and
 *       AzurePodIdentityException objects and the workloads (`kubectl get ... -o yaml` output
 *       or manifests; `-` reads standard input) and writes <dir>/identities.yaml (stack config)
 *       and <dir>/MIGRATION.md (what to change in each workload). Nothing is written on error.
 *
 *   doctor [--kubeconfig <file>] [--json] [--arm-endpoint <url>] [--audience <aud>]
 *          (--outputs <file>|- | --issuer <url> (--identity <resource id> [--service-account <ns/name>]...)...)
 *       Checks a live setup end to end: the issuer's documents, fresh tokens from the cluster,
 *       the identities' federated credentials and role assignments in Azure, the ServiceAccounts
 *       and the webhook. One line per check; exit status 1 when one fails.
 */
import * as fs from "node:fs";
import * as path from "node:path";

import * as os from "node:os";

import { InvalidArgumentError, describeValue } from "../components/errors";
import { canonicalIssuer } from "../components/issuer";
import { ARM_ENDPOINT, ArmClient, armToken } from "./doctor/arm";
import { DoctorIdentity, DoctorTarget, doctor, formatReport } from "./doctor/doctor";
import { KubeClient, KubeconfigError } from "./doctor/kubeClient";
import { identityResourceId, serviceAccountRef, targetFromOutputs } from "./doctor/target";
import { identitiesYaml, planMigration, readObjects } from "./podIdentity";

const USAGE = `usage: pulumi-azure-workload-identity migrate pod-identity [--out <dir>] <file>... | -
       pulumi-azure-workload-identity doctor [--kubeconfig <file>] [--json] [--arm-endpoint <url>] [--audience <aud>]
           (--outputs <file>|- | --issuer <url> (--identity <resource id> [--service-account <ns/name>]...)...)`;

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

interface DoctorArgs {
  kubeconfig: string;
  json: boolean;
  armEndpoint: string;
  target: DoctorTarget;
}

function parseDoctorArgs(args: string[]): DoctorArgs {
  let kubeconfig =
    process.env.KUBECONFIG?.split(path.delimiter)[0] || path.join(os.homedir(), ".kube", "config");
  let json = false;
  let armEndpoint = ARM_ENDPOINT;
  let audience: string | undefined;
  let outputs: string | undefined;
  let issuer: string | undefined;
  const identities: DoctorIdentity[] = [];
  for (let i = 0; i < args.length; i++) {
    const flag = args[i];
    const value = () => {
      if (args[i + 1] === undefined) throw new UsageError(`${flag} needs a value`);
      return args[++i];
    };
    switch (flag) {
      case "--json":
        json = true;
        break;
      case "--kubeconfig":
        kubeconfig = value();
        break;
      case "--arm-endpoint":
        armEndpoint = canonicalIssuer(value(), "--arm-endpoint").replace(/\/$/, "");
        break;
      case "--audience":
        audience = value();
        break;
      case "--outputs":
        outputs = value();
        break;
      case "--issuer":
        issuer = canonicalIssuer(value(), "--issuer");
        break;
      case "--identity": {
        const id = identityResourceId(value(), "--identity");
        identities.push({
          name: id.slice(id.lastIndexOf("/") + 1),
          identityId: id,
          serviceAccounts: [],
        });
        break;
      }
      case "--service-account": {
        const sa = serviceAccountRef(value(), "--service-account");
        const last = identities.at(-1);
        if (!last)
          throw new UsageError("--service-account must follow the --identity that it uses");
        last.serviceAccounts.push(sa);
        break;
      }
      default:
        throw new UsageError(`unknown option ${flag}`);
    }
  }
  let target: DoctorTarget;
  if (outputs !== undefined) {
    if (issuer !== undefined || identities.length > 0) {
      throw new UsageError("give --outputs, or --issuer and --identity, not both");
    }
    target =
      outputs === "-"
        ? targetFromOutputs(fs.readFileSync(0, "utf8"), "<stdin>")
        : targetFromOutputs(fs.readFileSync(outputs, "utf8"), outputs);
  } else {
    if (issuer === undefined) throw new UsageError("give --outputs, or --issuer and --identity");
    if (identities.length === 0) throw new UsageError("give at least one --identity");
    for (const id of identities) {
      if (id.serviceAccounts.length === 0) {
        throw new InvalidArgumentError(
          "--service-account",
          describeValue(undefined),
          `expected at least one after --identity ${id.identityId}`,
        );
      }
    }
    target = { issuerUrl: issuer, identities };
  }
  if (audience !== undefined) target.audience = audience;
  return { kubeconfig, json, armEndpoint, target };
}

async function runDoctor(args: string[]): Promise<number> {
  const opts = parseDoctorArgs(args);
  const kube = KubeClient.fromFile(opts.kubeconfig);
  let arm: ArmClient | Error;
  try {
    arm = new ArmClient(opts.armEndpoint, armToken(opts.armEndpoint));
  } catch (err) {
    arm = err as Error;
  }
  const report = await doctor(opts.target, { kube, arm });
  process.stdout.write(opts.json ? JSON.stringify(report, null, 2) + "\n" : formatReport(report));
  return report.ok ? 0 : 1;
}

/** A failure the user's input caused: reported in one line, without a stack. */
function isUserError(err: unknown): err is Error {
  return (
    err instanceof InvalidArgumentError ||
    err instanceof KubeconfigError ||
    (err instanceof Error && "code" in err && "path" in err)
  );
}

function report(err: unknown): number {
  if (err instanceof UsageError) {
    console.error(`error: ${err.message}\n${USAGE}`);
    return 2;
  }
  if (isUserError(err)) {
    console.error(`error: ${err.message}`);
    return 1;
  }
  throw err;
}

export async function main(argv: string[]): Promise<number> {
  try {
    const [command, sub, ...rest] = argv;
    if (command === "doctor") return await runDoctor(argv.slice(1));
    if (command === "migrate" && sub === "pod-identity") migratePodIdentity(rest);
    else
      throw new UsageError(
        command === undefined
          ? "no command"
          : `unknown command ${[command, sub].filter(Boolean).join(" ")}`,
      );
    return 0;
  } catch (err) {
    return report(err);
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => (process.exitCode = code));
}
