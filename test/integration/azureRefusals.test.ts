/**
 * What Azure refuses, refused by the local cloud as Azure refuses it, through the real Pulumi
 * engine: each time a bare program that makes the mistake meets Azure's error, and the
 * components, which do not make it, pass. The local cloud is not kinder than Azure, so the tests
 * that pass on it could not pass on leniency.
 */
import * as assert from "node:assert/strict";

import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import * as resources from "@pulumi/azure-native/resources";
import { PulumiFn } from "@pulumi/pulumi/automation";

import { WorkloadIdentity } from "../../components";
import { LocalCloud, engineBin } from "../harness/localCloud";

const ISSUER = "https://issuer.example/";
const AUDIENCE = ["api://AzureADTokenExchange"];
const SCOPE = "/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/data";

/** A resource group and an identity in it. */
function identityIn(): { rg: resources.ResourceGroup; id: managedidentity.UserAssignedIdentity } {
  const rg = new resources.ResourceGroup("rg");
  const id = new managedidentity.UserAssignedIdentity("id", {
    resourceGroupName: rg.name,
    resourceName: "reader",
  });
  return { rg, id };
}

/** A bare federated credential on the identity. */
function credential(
  id: managedidentity.UserAssignedIdentity,
  rg: resources.ResourceGroup,
  name: string,
  over: Partial<managedidentity.FederatedIdentityCredentialArgs> = {},
  opts: pulumi.CustomResourceOptions = {},
) {
  return new managedidentity.FederatedIdentityCredential(
    name,
    {
      resourceGroupName: rg.name,
      resourceName: id.name,
      federatedIdentityCredentialResourceName: name,
      issuer: ISSUER,
      subject: `system:serviceaccount:apps:${name}`,
      audiences: AUDIENCE,
      ...over,
    },
    opts,
  );
}

describe("Azure's refusals in the local cloud, through the real engine", function () {
  this.timeout(900_000);
  let cloud: LocalCloud;
  let stackNo = 0;

  before(() => engineBin());
  beforeEach(() => (cloud = new LocalCloud()));
  afterEach(() => cloud.dispose());

  /** Runs `program` as a fresh stack's `pulumi up`: the error text when it fails. */
  async function up(program: PulumiFn): Promise<string | undefined> {
    const stack = await cloud.stack(`s${++stackNo}`, cloud.checkout(`c${stackNo}`), program);
    await stack.setConfig("azure-native:location", { value: "westeurope" });
    try {
      await stack.up();
      return undefined;
    } catch (err) {
      return String((err as Error).message);
    }
  }

  it("concurrent credential writes on one identity: 409, where WorkloadIdentity's chain passes", async () => {
    const bare = await up(() => {
      const { rg, id } = identityIn();
      for (const n of ["a", "b", "c", "d"]) credential(id, rg, n);
      return Promise.resolve({});
    });
    assert.match(
      bare ?? "accepted",
      /RESPONSE 409: 409 Conflict\s+ERROR CODE: ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity/,
    );
    const chained = await up(() => {
      const rg = new resources.ResourceGroup("rg");
      new WorkloadIdentity("reader", {
        issuerUrl: ISSUER,
        resourceGroupName: rg.name,
        serviceAccounts: ["a", "b", "c", "d", "e"].map((n) => ({
          namespace: "apps",
          name: n,
          create: false,
        })),
      });
      return Promise.resolve({});
    });
    assert.equal(chained, undefined, chained);
  });

  it("a role for an identity without its principal type: refused, where the components give it", async () => {
    const bare = await up(() => {
      const { id } = identityIn();
      new authorization.RoleAssignment("ra", {
        principalId: id.principalId,
        roleDefinitionId: `${SCOPE}/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6`,
        scope: SCOPE,
      });
      return Promise.resolve({});
    });
    // pulumi-azure-native sends principalType "User" when none is given.
    assert.match(bare ?? "accepted", /ERROR CODE: UnmatchedPrincipalType/);
    const component = await up(() => {
      const rg = new resources.ResourceGroup("rg");
      new WorkloadIdentity("reader", {
        issuerUrl: ISSUER,
        resourceGroupName: rg.name,
        serviceAccounts: [{ namespace: "apps", name: "a", create: false }],
        roleAssignments: [{ scope: SCOPE, role: "Key Vault Secrets User" }],
      });
      return Promise.resolve({});
    });
    assert.equal(component, undefined, component);
  });

  const invalid: [string, Partial<managedidentity.FederatedIdentityCredentialArgs>, RegExp][] = [
    [
      "an issuer that is not https",
      { issuer: "http://issuer.example/" },
      /ERROR CODE: InvalidFederatedIdentityCredentialValue/,
    ],
    [
      "two audiences",
      { audiences: [...AUDIENCE, "api://other"] },
      /ERROR CODE: InvalidFederatedIdentityCredentialsAudienceLength/,
    ],
    [
      "an issuer and subject the identity already trusts",
      { subject: "system:serviceaccount:apps:first" },
      /ERROR CODE: BadRequest[\s\S]*Issuer and subject combination already exists/,
    ],
  ];
  for (const [what, over, refusal] of invalid) {
    it(`a credential with ${what}: refused by Azure (the component refuses it before anything)`, async () => {
      const error = await up(() => {
        const { rg, id } = identityIn();
        const first = credential(id, rg, "first");
        credential(id, rg, "second", over, { dependsOn: [first] });
        return Promise.resolve({});
      });
      assert.match(error ?? "accepted", refusal);
    });
  }
});
