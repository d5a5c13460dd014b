/**
 * `migrate pod-identity`: AAD Pod Identity objects and workloads in (both field casings), stack
 * config and a report out; malformed input is refused naming the object and field, with nothing
 * written; and the stack run with the config does what the report promises (simulated cloud).
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";

import { main } from "../cli/main";
import { identitiesYaml, planMigration, readObjects } from "../cli/podIdentity";
import { parseStackConfig, projectConfig } from "../stacks/config";
import { deployStack } from "../stacks/deploy";
import { readStackFiles } from "../cli/stackFiles";
import { settled, simulator } from "./helpers";

const FIXTURES = path.join(__dirname, "fixtures", "pod-identity");
const read = (f: string) => readObjects(fs.readFileSync(path.join(FIXTURES, f), "utf8"), f);
const MI =
  "/subscriptions/00000000-0000-4000-8000-0000000000aa/resourceGroups/identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities";

describe("migrate pod-identity", () => {
  const before16 = planMigration(read("before-1.6.yaml"));
  const since16 = planMigration(read("since-1.6.yaml"));

  it("reuses each bound identity as it is, one ServiceAccount per workload (pre-1.6 casing)", () => {
    assert.deepEqual(before16.identities, [
      {
        name: "billing-mi",
        existingIdentity: {
          resourceId: `${MI}/billing-mi`,
          clientId: "00000000-0000-4000-8000-0000000000c1",
        },
        serviceAccounts: [{ namespace: "billing", name: "invoices", create: true }],
      },
    ]);
    assert.match(
      before16.report,
      /\| Deployment billing\/invoices \| billing-mi .*set `serviceAccountName: invoices`.*remove label `aadpodidbinding: billing`, add label `azure.workload.identity\/use: "true"`/,
    );
  });

  it("reads 1.6+ casing and kubectl's List, keeps a workload's own ServiceAccount, and says what is not migrated", () => {
    assert.deepEqual(since16.identities, [
      {
        name: "reports-mi",
        existingIdentity: {
          resourceId: `${MI}/reports-mi`,
          clientId: "00000000-0000-4000-8000-0000000000c2",
        },
        serviceAccounts: [
          { namespace: "analytics", name: "warehouse-sa", create: false },
          { namespace: "analytics", name: "nightly-report", create: true },
        ],
      },
    ]);
    const r = since16.report;
    assert.match(
      r,
      /StatefulSet analytics\/warehouse .*keeps `warehouse-sa`; annotate it: `kubectl -n analytics annotate sa warehouse-sa azure\.workload\.identity\/client-id=00000000-0000-4000-8000-0000000000c2`/,
    );
    assert.match(r, /CronJob analytics\/nightly-report/);
    assert.match(
      r,
      /AzureIdentity analytics\/legacy-sp \(service principal with a client secret\).*Deployment analytics\/old-etl: not migrated\. .*managed identities only/,
    );
    assert.match(
      r,
      /AzureIdentityBinding analytics\/unused-binding \(selector `nobody`\): no workload .*delete the binding/,
    );
    assert.match(
      r,
      /Deployment analytics\/orphan: its label `aadpodidbinding: gone` matches no binding/,
    );
  });

  it("says what replaces AzurePodIdentityException: nothing", () => {
    assert.match(
      before16.report,
      /AzurePodIdentityException kube-system\/metrics-exception\n\nNothing replaces them/,
    );
  });

  it("writes config the stack accepts", () => {
    const yaml = identitiesYaml(since16.identities);
    const list = (YAML.parse(yaml) as Record<string, unknown>)[
      "azure-workload-identity:identities"
    ];
    const cfg = parseStackConfig({ identities: JSON.stringify(list) }, "dev");
    assert.equal(
      cfg.identities[0].existingIdentity?.clientId,
      "00000000-0000-4000-8000-0000000000c2",
    );
  });

  describe("malformed input: a clear error naming the object and field, nothing written", () => {
    const refuse = async (yaml: string, pattern: RegExp) => {
      const out = fs.mkdtempSync(path.join(os.tmpdir(), "wi-migrate-"));
      const input = path.join(out, "in.yaml");
      fs.writeFileSync(input, yaml);
      const errors: string[] = [];
      const original = console.error;
      console.error = (m: string) => errors.push(m);
      try {
        assert.equal(
          await main(["migrate", "pod-identity", "--out", path.join(out, "plan"), input]),
          1,
        );
      } finally {
        console.error = original;
      }
      assert.equal(errors.length, 1);
      assert.match(errors[0], pattern);
      assert.doesNotMatch(errors[0], /\n\s+at /);
      assert.equal(fs.existsSync(path.join(out, "plan")), false, "nothing written");
      fs.rmSync(out, { recursive: true, force: true });
    };
    const binding = (spec: string) =>
      `apiVersion: aadpodidentity.k8s.io/v1\nkind: AzureIdentityBinding\nmetadata: { name: b, namespace: ns }\nspec: ${spec}\n`;
    const identity = (spec: string) =>
      `apiVersion: aadpodidentity.k8s.io/v1\nkind: AzureIdentity\nmetadata: { name: i, namespace: ns }\nspec: ${spec}\n---\n${binding("{ azureIdentity: i, selector: s }")}`;

    it("a binding without a selector", () =>
      refuse(
        binding("{ azureIdentity: i }"),
        /^error: spec\.selector \(AzureIdentityBinding ns\/b\): undefined is not valid/,
      ));
    it("an identity whose resource id is not one", () =>
      refuse(
        identity("{ type: 0, resourceID: /subscriptions/x, clientID: c }"),
        /^error: spec\.resourceID \(AzureIdentity ns\/i\): "\/subscriptions\/x" is not valid/,
      ));
    it("an unknown identity type", () =>
      refuse(
        identity("{ type: 7, resourceID: r, clientID: c }"),
        /^error: spec\.type \(AzureIdentity ns\/i\): 7 is not valid; expected 0, 1 or 2/,
      ));
    it("YAML that does not parse", () => refuse("kind: [\n", /^error: .*in\.yaml:\d+:\d+: /));
    it("objects without a kind", () =>
      refuse("metadata: { name: x }\n", /expected Kubernetes objects with kind/));
  });

  describe("only config the stack accepts, or nothing", () => {
    const azureIdentity = (ns: string, name: string, rg: string, clientId: string) =>
      `apiVersion: aadpodidentity.k8s.io/v1\nkind: AzureIdentity\nmetadata: { name: ${name}, namespace: ${ns} }\nspec: { type: 0, resourceID: "/subscriptions/00000000-0000-4000-8000-0000000000aa/resourceGroups/${rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/app-mi", clientID: "${clientId}" }\n`;
    const binding = (ns: string, identity: string, selector: string) =>
      `apiVersion: aadpodidentity.k8s.io/v1\nkind: AzureIdentityBinding\nmetadata: { name: ${identity}-b, namespace: ${ns} }\nspec: { azureIdentity: ${identity}, selector: ${selector} }\n`;
    const deployment = (ns: string, name: string, selector: string) =>
      `apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: ${name}, namespace: ${ns} }\nspec: { template: { metadata: { labels: { aadpodidbinding: ${selector} } }, spec: {} } }\n`;
    const GUID_1 = "00000000-0000-4000-8000-0000000000d1";
    const GUID_2 = "00000000-0000-4000-8000-0000000000d2";

    /** Runs the command on the documents; its exit status, what it printed, what it wrote. */
    async function migrate(...docs: string[]) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wi-migrate-"));
      const input = path.join(dir, "in.yaml");
      fs.writeFileSync(input, docs.join("---\n"));
      const printed: string[] = [];
      const [log, error] = [console.log, console.error];
      console.log = console.error = (m: string) => printed.push(m);
      try {
        const code = await main(["migrate", "pod-identity", "--out", path.join(dir, "out"), input]);
        const file = path.join(dir, "out", "identities.yaml");
        const written = fs.existsSync(file)
          ? ((YAML.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>)[
              "azure-workload-identity:identities"
            ] as { name: string; serviceAccounts: unknown[] }[])
          : undefined;
        const report = written
          ? fs.readFileSync(path.join(dir, "out", "MIGRATION.md"), "utf8")
          : "";
        return { code, printed: printed.join("\n"), written, report };
      } finally {
        [console.log, console.error] = [log, error];
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }

    it("refuses input with nothing to migrate (what a failed kubectl get pipes in)", async () => {
      const empty = await migrate("");
      assert.equal(empty.code, 1);
      assert.match(empty.printed, /^error: no AzureIdentity or AzureIdentityBinding in the input/);
      assert.equal(empty.written, undefined);
    });

    it("writes no entry for a binding no workload uses, and says so", async () => {
      const r = await migrate(azureIdentity("ns", "i", "rg", GUID_1), binding("ns", "i", "nobody"));
      assert.equal(r.code, 0);
      assert.deepEqual(r.written, []);
      assert.match(r.printed, /0 identities, 0 ServiceAccounts: .*; 1 not migrated/);
      assert.match(r.report, /no workload in the input uses it; delete the binding/);
    });

    it("gives two identities of one Azure name in two groups two entry names", async () => {
      const r = await migrate(
        azureIdentity("a", "one", "rg-a", GUID_1),
        binding("a", "one", "sa"),
        deployment("a", "app", "sa"),
        azureIdentity("b", "two", "rg-b", GUID_2),
        binding("b", "two", "sb"),
        deployment("b", "app", "sb"),
      );
      assert.equal(r.code, 0, r.printed);
      assert.deepEqual(
        r.written!.map((e) => e.name),
        ["app-mi", "app-mi-rg-b"],
      );
    });

    it("does not write an identity whose client id is no GUID, and says why", async () => {
      const r = await migrate(
        azureIdentity("ns", "i", "rg", "not-a-guid"),
        binding("ns", "i", "s"),
        deployment("ns", "app", "s"),
      );
      assert.equal(r.code, 0, r.printed);
      assert.deepEqual(r.written, []);
      assert.match(r.report, /its clientID `not-a-guid` is not a GUID/);
    });
  });

  it("the stack run with that config does what the report promises (simulated cloud)", async () => {
    const sim = simulator();
    const list = (
      YAML.parse(identitiesYaml([...before16.identities, ...since16.identities])) as Record<
        string,
        unknown
      >
    )["azure-workload-identity:identities"];
    const raw = {
      ...projectConfig(readStackFiles("dev").config, "azure-workload-identity"),
      identities: JSON.stringify(list),
    };
    await pulumi.runtime.runInPulumiStack(() =>
      Promise.resolve(deployStack(parseStackConfig(raw, "dev"))),
    );
    await settled(sim);
    assert.deepEqual(
      sim.byType("azure-native:managedidentity:UserAssignedIdentity"),
      [],
      "no new identity",
    );
    // The identities' roles, that is: the issuer grants its own documents' writer one.
    assert.deepEqual(
      sim
        .byType("azure-native:authorization:RoleAssignment")
        .filter((r) => !r.parent.endsWith("azure-wi:index:OidcIssuer::oidc")),
      [],
      "roles stay as they are",
    );
    const fics = sim
      .byType("azure-native:managedidentity:FederatedIdentityCredential")
      .map((f) => [f.inputs.resourceGroupName, f.inputs.resourceName, f.inputs.subject]);
    assert.deepEqual(fics.sort(), [
      ["identities", "billing-mi", "system:serviceaccount:billing:invoices"],
      ["identities", "reports-mi", "system:serviceaccount:analytics:nightly-report"],
      ["identities", "reports-mi", "system:serviceaccount:analytics:warehouse-sa"],
    ]);
    // The ServiceAccounts the report says the stack creates, annotated with the existing client ids.
    const sas = sim.byType("kubernetes:core/v1:ServiceAccount").map((s) => {
      const m = s.inputs.metadata as {
        namespace: string;
        name: string;
        annotations: Record<string, string>;
      };
      return [`${m.namespace}/${m.name}`, m.annotations["azure.workload.identity/client-id"]];
    });
    assert.deepEqual(sas.sort(), [
      ["analytics/nightly-report", "00000000-0000-4000-8000-0000000000c2"],
      ["billing/invoices", "00000000-0000-4000-8000-0000000000c1"],
    ]);
  });
});
