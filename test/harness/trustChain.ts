/**
 * What the integration tests read of a deployment: its outputs, its state as the file backend
 * keeps it, the documents as published, and the trust chain every up is held to.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

import { Stack } from "@pulumi/pulumi/automation";

import { httpsRequest } from "../../cli/doctor/https";
import { LiveCloud } from "./liveCloud";
import { LocalCloud, PROJECT } from "./localCloud";

export type Outputs = Record<string, unknown>;

/** A stack's outputs as plain values (secrets in the clear). */
export async function outputsOf(stack: Stack): Promise<Outputs> {
  const raw = await stack.outputs();
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, v.value as unknown]));
}

export interface StateResource {
  type: string;
  urn: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
}

/** The stack's state as the file backend keeps it on disk (the Automation API's export shows
 * secrets in the clear, so it cannot tell whether they are kept secret). */
export function stateOf(
  cloud: LocalCloud,
  stack: Stack,
  project = PROJECT,
): { resources: StateResource[]; text: string; file: string } {
  const file = path.join(cloud.backend, ".pulumi", "stacks", project, `${stack.name}.json`);
  const text = fs.readFileSync(file, "utf8");
  const checkpoint = JSON.parse(text) as {
    checkpoint: { latest?: { resources?: StateResource[] } };
  };
  return { resources: checkpoint.checkpoint.latest?.resources ?? [], text, file };
}

/**
 * A document of the issuer: where the cloud serves a data plane (LiveCloud), as Entra reads it,
 * anonymously from under the issuer URL; else the source of the blob the account key wrote.
 */
export async function document(cloud: LocalCloud, issuer: string, name: string): Promise<string> {
  if (cloud instanceof LiveCloud) {
    const res = await httpsRequest(`${issuer}${name}`, { ca: fs.readFileSync(cloud.caFile) });
    assert.equal(res.status, 200, `${issuer}${name}: ${res.status} ${res.body.slice(0, 80)}`);
    return res.body;
  }
  const blob = cloud
    .objects("azure")
    .find((o) => o.type === "azure-native:storage:Blob" && o.state.blobName === name);
  assert.ok(blob, `no blob ${name} in the local cloud`);
  return String((blob.state.source as { text: string }).text);
}

/**
 * The checks every up is held to: one issuer string in the stack output (`issuerUrl`), the
 * discovery document, the cluster's API server flag and every federated credential; the signing
 * key's kid (`keyId`) published; every ServiceAccount annotated with the client id of an identity
 * (`identities`: name to client id and ServiceAccounts) that trusts it; no private key or
 * kubeconfig in plain state.
 */
export async function checkTrustChain(
  cloud: LocalCloud,
  stack: Stack,
  flavor: "kind" | "aks",
  project = PROJECT,
) {
  const outputs = await outputsOf(stack);
  const issuer = String(outputs.issuerUrl);
  const azure = cloud.objects("azure");
  const fics = azure.filter(
    (o) => o.type === "azure-native:managedidentity:FederatedIdentityCredential",
  );
  assert.ok(fics.length > 0);
  for (const fic of fics) assert.equal(fic.state.issuer, issuer, "a FIC's issuer");

  if (flavor === "kind") {
    const discovery = JSON.parse(
      await document(cloud, issuer, ".well-known/openid-configuration"),
    ) as {
      issuer: string;
      jwks_uri: string;
    };
    assert.equal(discovery.issuer, issuer, "the discovery document's issuer");
    const jwks = JSON.parse(await document(cloud, issuer, "openid/v1/jwks")) as {
      keys: { kid: string }[];
    };
    assert.ok(
      jwks.keys.some((k) => k.kid === outputs.keyId),
      "the signing key's kid is published",
    );
    const clusters = cloud.objects("clusters");
    assert.equal(clusters.length, 1, "one kind cluster runs");
    assert.equal(clusters[0].state.issuer, issuer, "the API server's --service-account-issuer");
  }

  // Every ServiceAccount the stack made: annotated with the client id of an identity that has a
  // FIC for exactly its subject.
  const identities = outputs.identities as Record<
    string,
    { clientId: string; serviceAccounts: string[] }
  >;
  const sas = cloud
    .objects("kubernetes")
    .filter((o) => o.type === "kubernetes:core/v1:ServiceAccount");
  assert.ok(sas.length > 0);
  for (const sa of sas) {
    const meta = sa.state.metadata as {
      name: string;
      namespace: string;
      annotations: Record<string, string>;
    };
    const clientId = meta.annotations["azure.workload.identity/client-id"];
    const owner = Object.entries(identities).find(([, id]) => id.clientId === clientId);
    assert.ok(owner, `${meta.namespace}/${meta.name} is annotated with no identity's client id`);
    assert.ok(owner[1].serviceAccounts.includes(`${meta.namespace}/${meta.name}`));
    const subject = `system:serviceaccount:${meta.namespace}:${meta.name}`;
    assert.ok(
      fics.some(
        (f) =>
          f.state.subject === subject &&
          String(f.key).includes(`/userAssignedIdentities/${owner[0]}/`),
      ),
      `no FIC of ${owner[0]} for ${subject}`,
    );
  }

  const { text } = stateOf(cloud, stack, project);
  assert.doesNotMatch(text, /PRIVATE KEY/, "a private key in plain state");
  assert.doesNotMatch(text, /client-key-data/, "a kubeconfig in plain state");
}
