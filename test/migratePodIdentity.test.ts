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
import { readStackFiles } from "../scripts/stackFiles";
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
    assert.deepEqual(
      sim.byType("azure-native:authorization:RoleAssignment"),
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
