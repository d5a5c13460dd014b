/**
 * OpenShiftCredentials: what `ccoctl azure create-all` creates for CredentialsRequests, and the
 * manifests it writes, under the simulated cloud; malformed requests are refused naming the
 * request and field, with nothing registered.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

import * as YAML from "yaml";

import { OpenShiftCredentials } from "../components";
import { SIMULATED } from "../testing/simulator";
import { expectRejected, settled, simulator, valueOf } from "./helpers";

const ISSUER = "https://oidcab12cd34.blob.core.windows.net/oidc";
const SCOPE = `/subscriptions/${SIMULATED.subscriptionId}/resourceGroups/mycluster-rg`;
const requests = () =>
  YAML.parse(
    fs.readFileSync(
      path.join(__dirname, "fixtures", "openshift", "credentials-requests.yaml"),
      "utf8",
    ),
  ) as Record<string, unknown>[];
const base = {
  issuerUrl: ISSUER,
  resourceGroupName: "mycluster-identities",
  location: "westeurope",
  roleScope: SCOPE,
  namePrefix: "mycluster-x7k2p",
};

describe("OpenShiftCredentials (ccoctl azure create-all)", function () {
  this.timeout(60_000);
  const sim = simulator();
  let creds: OpenShiftCredentials;
  before(async () => {
    sim.reset();
    creds = new OpenShiftCredentials("ocp", { ...base, credentialsRequests: requests() });
    await valueOf(creds.secretManifests);
    await settled(sim);
  });

  it("makes one identity per request, named after its secret", () => {
    const names = sim
      .byType("azure-native:managedidentity:UserAssignedIdentity")
      .map((r) => r.inputs.resourceName);
    assert.deepEqual(names, [
      "mycluster-x7k2p-openshift-image-registry-installer-cloud-credentials",
      "mycluster-x7k2p-openshift-ingress-operator-cloud-credentials",
    ]);
  });

  it("trusts each ServiceAccount with audience openshift under the issuer, one after another per identity", () => {
    const fics = sim.byType("azure-native:managedidentity:FederatedIdentityCredential");
    const bySubject = (sa: string) =>
      fics.find((f) => f.inputs.subject === `system:serviceaccount:${sa}`)!;
    const registry = "mycluster-x7k2p-openshift-image-registry-installer-cloud-credentials";
    const ingress = "mycluster-x7k2p-openshift-ingress-operator-cloud-credentials";
    const expected: [string, string][] = [
      ["openshift-image-registry:cluster-image-registry-operator", registry],
      ["openshift-image-registry:registry", registry],
      ["openshift-ingress-operator:ingress-operator", ingress],
    ];
    assert.equal(fics.length, expected.length);
    for (const [sa, identity] of expected) {
      const fic = bySubject(sa);
      assert.deepEqual(
        [fic.inputs.resourceName, fic.inputs.audiences, fic.inputs.issuer],
        [identity, ["openshift"], ISSUER],
      );
    }
    const [first, second, other] = expected.map(([sa]) => bySubject(sa));
    assert.ok(second.dependencies.includes(first.urn), "serial within one identity");
    assert.ok(
      !other.dependencies.some((d) => d === first.urn || d === second.urn),
      "parallel across identities",
    );
    assert.deepEqual(
      sim.byType("kubernetes:core/v1:ServiceAccount"),
      [],
      "the operators' ServiceAccounts are OpenShift's",
    );
  });

  it("grants the requests' roles at the scope given", () => {
    for (const ra of sim.byType("azure-native:authorization:RoleAssignment")) {
      assert.equal(ra.inputs.scope, SCOPE);
      assert.match(String(ra.inputs.roleDefinitionId), /b24988ac-6180-42a0-ab88-20f7382dd24c$/);
    }
    assert.equal(sim.byType("azure-native:authorization:RoleAssignment").length, 2);
  });

  it("writes the Secrets in ccoctl's format and the Authentication with the issuer", async () => {
    const secrets = (await valueOf(creds.secretManifests)).map(
      (m) => YAML.parse(m) as Record<string, never>,
    );
    const ids = await valueOf(creds.clientIds);
    assert.deepEqual(secrets[0], {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "installer-cloud-credentials", namespace: "openshift-image-registry" },
      type: "Opaque",
      stringData: {
        azure_client_id: ids["openshift-cloud-credential-operator/openshift-image-registry-azure"],
        azure_tenant_id: SIMULATED.tenantId,
        azure_region: "westeurope",
        azure_subscription_id: SIMULATED.subscriptionId,
        azure_federated_token_file: "/var/run/secrets/openshift/serviceaccount/token",
      },
    });
    const auth = YAML.parse(await valueOf(creds.authenticationManifest)) as {
      spec: { serviceAccountIssuer: string };
    };
    assert.equal(auth.spec.serviceAccountIssuer, ISSUER);
  });
});

describe("OpenShiftCredentials refuses malformed requests, naming the request and field", () => {
  const sim = simulator();
  beforeEach(() => sim.reset());
  const broken = (edit: (r: Record<string, Record<string, unknown>>) => void) => () => {
    const list = requests() as Record<string, Record<string, unknown>>[];
    edit(list[1]);
    return new OpenShiftCredentials("ocp", { ...base, credentialsRequests: list });
  };
  const cases: [string, string, (r: Record<string, Record<string, unknown>>) => void, RegExp][] = [
    [
      "no secretRef",
      "credentialsRequests[1].spec.secretRef",
      (r) => delete r.spec.secretRef,
      /\(CredentialsRequest openshift-cloud-credential-operator\/openshift-ingress-azure\)/,
    ],
    [
      "no ServiceAccounts",
      "credentialsRequests[1].spec.serviceAccountNames",
      (r) => (r.spec.serviceAccountNames = []),
      /at least one/,
    ],
    [
      "another cloud's request",
      "credentialsRequests[1].spec.providerSpec.kind",
      (r) => ((r.spec.providerSpec as Record<string, unknown>).kind = "AWSProviderSpec"),
      /"AWSProviderSpec"/,
    ],
    [
      "an unknown role",
      "credentialsRequests[1].spec.providerSpec.roleBindings[0].role",
      (r) =>
        ((r.spec.providerSpec as Record<string, unknown>).roleBindings = [
          { role: "Owner of everything" },
        ]),
      /Owner of everything/,
    ],
    [
      "custom permissions",
      "credentialsRequests[1].spec.providerSpec.permissions",
      (r) =>
        ((r.spec.providerSpec as Record<string, unknown>).permissions = ["Microsoft.Network/*"]),
      /custom role/,
    ],
    [
      "not a CredentialsRequest",
      "credentialsRequests[1]",
      (r) => ((r as Record<string, unknown>).kind = "Secret"),
      /expected a CredentialsRequest/,
    ],
  ];
  for (const [what, field, edit, pattern] of cases) {
    it(`refuses ${what}`, () => expectRejected(sim, field, broken(edit), pattern));
  }
});
