/**
 * The doctor's checks of an identity's credential budget and of identities that AKS clusters use
 * through identity bindings (pure: what was read in, one result per check out).
 */
import * as assert from "node:assert/strict";

import { ArmFederatedCredential } from "../cli/doctor/arm";
import { checkBindingAccess, checkBindingCredential } from "../cli/doctor/bindingChecks";
import { credentialBudget } from "../cli/doctor/checks";
import { targetFromOutputs } from "../cli/doctor/target";

const TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const CLIENT = "6b4d5b4f-0000-4000-8000-000000000001";
const BINDING_ISSUER = `https://ib.oic.prod-aks.azure.com/${TENANT}/${CLIENT}`;
const fic = (name: string, issuer: string): ArmFederatedCredential => ({
  id: `/x/federatedIdentityCredentials/${name}`,
  name,
  issuer,
  subject: "s",
  audiences: ["api://AzureADTokenExchange"],
});

describe("doctor: the credential budget", () => {
  it("passes below 18, warns at 18 with the room left, and at 20 with none", () => {
    assert.equal(credentialBudget("wi", 17).status, "pass");
    const at18 = credentialBudget("wi", 18);
    assert.equal(at18.status, "warn");
    assert.match(at18.detail, /^18 of 20 federated credentials used: room for 2 more$/);
    assert.match(at18.fix ?? "", /identity binding/);
    assert.match(
      credentialBudget("wi", 20).detail,
      /no room for another ServiceAccount or cluster/,
    );
  });
});

describe("doctor: identities used through AKS identity bindings", () => {
  const ids = { clientId: CLIENT, tenantId: TENANT };

  it("passes the binding credential under the identity's binding issuer, and counts", () => {
    const [credential, budget] = checkBindingCredential("wi", ids, {
      ok: true,
      value: [fic("aks-identity-binding", BINDING_ISSUER), fic("dev", "https://x/")],
    });
    assert.equal(credential.status, "pass");
    assert.equal(credential.detail, `aks-identity-binding under ${BINDING_ISSUER}`);
    assert.equal(budget.detail, "2 of 20 federated credentials used");
  });

  it("fails an identity never bound, and a binding credential edited by hand", () => {
    const [none] = checkBindingCredential("wi", ids, {
      ok: true,
      value: [fic("dev", "https://x/")],
    });
    assert.equal(none.status, "fail");
    assert.equal(none.aadsts, "AADSTS700211");
    assert.match(none.fix ?? "", /identityBinding|identity-binding create/);
    const [edited] = checkBindingCredential("wi", ids, {
      ok: true,
      value: [fic("aks-identity-binding", "https://ib.oic.prod-aks.azure.com/other/x")],
    });
    assert.equal(edited.status, "fail");
    assert.match(edited.detail, /is not the identity's binding issuer/);
  });

  it("fails closed when Resource Manager cannot be read, and skips the issuer when ids are unknown", () => {
    const [unread] = checkBindingCredential("wi", ids, {
      ok: false,
      error: "403 AuthorizationFailed",
    });
    assert.equal(unread.status, "fail");
    const [unknown] = checkBindingCredential(
      "wi",
      {},
      {
        ok: true,
        value: [fic("aks-identity-binding", BINDING_ISSUER)],
      },
    );
    assert.equal(unknown.status, "skip");
  });

  it("passes a ServiceAccount the RBAC allows, fails one it does not, naming the ClusterRole to make", () => {
    assert.equal(checkBindingAccess("apps/api", CLIENT, { ok: true, value: true }).status, "pass");
    const denied = checkBindingAccess("apps/api", CLIENT, { ok: true, value: false });
    assert.equal(denied.status, "fail");
    assert.match(
      denied.fix ?? "",
      new RegExp(
        `use-managed-identity on resource ${CLIENT} of cid\\.wi\\.aks\\.azure\\.com to apps/api`,
      ),
    );
    const unasked = checkBindingAccess("apps/api", CLIENT, { ok: false, error: "forbidden" });
    assert.equal(unasked.status, "fail", "a review the doctor could not make is no pass");
    assert.equal(checkBindingAccess("apps/api", undefined, undefined).status, "skip");
  });

  it("reads a binding-based identity from outputs, and refuses an unknown mechanism", () => {
    const identity =
      "/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/wi";
    const outputs = (mechanism: unknown) =>
      JSON.stringify({
        issuerUrl: "https://westeurope.oic.prod-aks.azure.com/t/i/",
        identities: { wi: { identityId: identity, serviceAccounts: ["apps/api"], mechanism } },
      });
    assert.equal(targetFromOutputs(outputs("identityBinding")).identities[0].identityBinding, true);
    assert.equal(targetFromOutputs(outputs(undefined)).identities[0].identityBinding, undefined);
    assert.throws(
      () => targetFromOutputs(outputs("binding")),
      /^InvalidArgumentError: identities\.wi\.mechanism: "binding" is not valid; expected "federatedCredential" \(the default\) or "identityBinding"/,
    );
  });
});
