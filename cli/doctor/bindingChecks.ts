/**
 * The doctor's checks of an identity that AKS clusters use through identity bindings: the one
 * credential AKS writes for all of an identity's bindings, under the identity's own issuer, and
 * the Kubernetes RBAC that lets a ServiceAccount use the identity. Pure, as checks.ts.
 */
import {
  IDENTITY_BINDING_CREDENTIAL as BINDING_CREDENTIAL,
  IDENTITY_BINDING_RBAC,
  identityBindingIssuer as bindingIssuer,
} from "../../components/identity/workloadIdentityNames";
import { ArmFederatedCredential } from "./arm";
import { CheckResult, Fetched, credentialBudget } from "./checks";

const BINDING_RBAC = { group: IDENTITY_BINDING_RBAC.apiGroup, verb: IDENTITY_BINDING_RBAC.verb };

/**
 * The identity's binding credential: present, under the issuer AKS gives this identity (a
 * credential of that name with another issuer was edited by hand, which AKS warns against).
 */
export function checkBindingCredential(
  identity: string,
  ids: { clientId?: string; tenantId?: string },
  fetched: Fetched<ArmFederatedCredential[]>,
): CheckResult[] {
  const check = `identity binding credential ${identity}`;
  if (!fetched.ok) {
    return [
      {
        check,
        status: "fail",
        detail: `cannot read the federated credentials from Azure Resource Manager: ${fetched.error}`,
        fix: "check the identity's resource id and your Azure access (az login, Reader on the identity)",
      },
    ];
  }
  const found = fetched.value.find((f) => f.name === BINDING_CREDENTIAL);
  const budget = credentialBudget(identity, fetched.value.length);
  if (!found) {
    return [
      {
        check,
        status: "fail",
        detail: `the identity has no ${BINDING_CREDENTIAL} credential: no identity binding was ever made for it`,
        fix: "bind the identity to the AKS cluster (FleetIdentity with identityBinding, or az aks identity-binding create) and pulumi up",
        aadsts: "AADSTS700211",
      },
      budget,
    ];
  }
  if (ids.clientId === undefined || ids.tenantId === undefined) {
    return [
      {
        check,
        status: "skip",
        detail: "the identity's ids are unknown: the issuer cannot be checked",
      },
      budget,
    ];
  }
  const expected = bindingIssuer(ids.tenantId, ids.clientId);
  if (found.issuer !== expected) {
    return [
      {
        check,
        status: "fail",
        detail: `its issuer ${JSON.stringify(found.issuer)} is not the identity's binding issuer ${JSON.stringify(expected)}`,
        fix: `AKS owns ${BINDING_CREDENTIAL}: delete it and every binding of the identity, then pulumi up to bind again`,
        aadsts: "AADSTS700211",
      },
      budget,
    ];
  }
  return [{ check, status: "pass", detail: `${BINDING_CREDENTIAL} under ${expected}` }, budget];
}

/** Whether the cluster's RBAC lets the ServiceAccount use the identity through its binding. */
export function checkBindingAccess(
  sa: string,
  clientId: string | undefined,
  allowed: Fetched<boolean> | undefined,
): CheckResult {
  const check = `identity binding access ${sa}`;
  if (clientId === undefined || allowed === undefined) {
    return { check, status: "skip", detail: "the identity's client id is unknown" };
  }
  if (!allowed.ok) {
    return {
      check,
      status: "fail",
      detail: `cannot ask the API server (SubjectAccessReview): ${allowed.error}`,
      fix: "use a kubeconfig allowed to create subjectaccessreviews",
    };
  }
  return allowed.value
    ? {
        check,
        status: "pass",
        detail: `may ${BINDING_RBAC.verb} ${clientId} (${BINDING_RBAC.group})`,
      }
    : {
        check,
        status: "fail",
        detail: `may not ${BINDING_RBAC.verb} ${clientId} (${BINDING_RBAC.group}): the binding's token proxy refuses its pods`,
        fix: `bind a ClusterRole granting ${BINDING_RBAC.verb} on resource ${clientId} of ${BINDING_RBAC.group} to ${sa} (FleetIdentity makes it for the cluster's serviceAccounts)`,
      };
}
