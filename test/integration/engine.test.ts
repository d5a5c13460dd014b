/**
 * Day 2 through the real Pulumi CLI and engine, against the local cloud: every operation the
 * README documents, one after another on one stack, as a user would run them. After each
 * `up`, a `preview` must show no change and the trust chain must hold: one issuer string in the
 * stack output, the discovery document, the cluster's API server flag and every federated
 * credential; the signing key's kid published; every ServiceAccount annotated with the client id
 * of an identity that trusts it; no private key or kubeconfig in plain state.
 */
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

import { Stack } from "@pulumi/pulumi/automation";
import * as YAML from "yaml";

import { keyId } from "../../components/issuer/keys";
import { expectNoChanges, plannedSteps, up as upThenNoChanges } from "../harness/day2";
import { LiveCloud } from "../harness/liveCloud";
import { CloudObject, LocalCloud, ROOT, engineBin, identitiesOf } from "../harness/localCloud";
import { checkTrustChain, document, outputsOf, stateOf } from "../harness/trustChain";

/** `pulumi up`, which must succeed, then the checks every up is held to. */
async function up(cloud: LocalCloud, stack: Stack, what: string, flavor: "kind" | "aks" = "kind") {
  await upThenNoChanges(stack, what);
  await checkTrustChain(cloud, stack, flavor);
}

describe("day 2 through the real Pulumi engine (kind stack)", function () {
  // The first run builds the Pulumi CLI from the Go module proxy (about 9 minutes cold).
  this.timeout(1_800_000);
  // Azure's storage data plane served (Azurite): the stack's issuer writes its documents with
  // Entra auth, as it does by default. The clusters and their objects stay the stand-ins' files.
  let cloud: LiveCloud;
  let checkout: string;
  let stack: Stack;

  before(async () => {
    engineBin();
    cloud = await LiveCloud.create({ controlPlane: false });
    await cloud.serve();
    checkout = cloud.checkout("clone-a");
    stack = await cloud.stack("dev", checkout);
  });
  after(async () => cloud?.shutdown());

  it("`pulumi stack init` leaves the committed stack file as it is, but for the salt it adds", () => {
    const committed = fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8");
    const after = fs.readFileSync(path.join(checkout, "Pulumi.dev.yaml"), "utf8");
    assert.equal(after.replace(/^encryptionsalt: .*\n/m, ""), committed);
  });

  it("first up, then a preview and a refresh that change nothing", async () => {
    await up(cloud, stack, "first up");
    const refresh = await stack.refresh();
    const changed = Object.entries(refresh.summary.resourceChanges ?? {}).filter(
      ([op, n]) => op !== "same" && n,
    );
    assert.deepEqual(changed, [], "refresh found drift");
    await expectNoChanges(stack, "refresh");
  });

  it("finds drift made in the portal with a refresh, and the next up puts it right", async () => {
    const fic = (o: CloudObject) =>
      o.type === "azure-native:managedidentity:FederatedIdentityCredential" &&
      o.state.subject === "system:serviceaccount:apps:secrets-reader";
    const issuer = String((await outputsOf(stack)).issuerUrl);
    assert.equal(
      cloud.editObjects("azure", fic, (st) => (st.subject = "system:serviceaccount:apps:other")),
      1,
    );
    const refresh = await stack.refresh();
    assert.equal(refresh.summary.resourceChanges?.update, 1, "refresh saw the edit");
    await up(cloud, stack, "after a refresh found drift");
    const restored = cloud.objects("azure").filter(fic);
    assert.equal(restored.length, 1);
    assert.equal(restored[0].state.issuer, issuer);
  });

  it("adds an identity", async () => {
    cloud.editStackFile(checkout, "dev", (config) =>
      identitiesOf(config).push({
        name: "wi-dev-queue-reader",
        namespace: "jobs",
        serviceAccount: "queue-reader",
      }),
    );
    await up(cloud, stack, "add an identity");
    assert.ok(
      cloud
        .objects("azure")
        .some((o) => String(o.key).endsWith("/userAssignedIdentities/wi-dev-queue-reader")),
    );
  });

  it("adds a second ServiceAccount to an identity (its FIC chain grows)", async () => {
    cloud.editStackFile(checkout, "dev", (config) => {
      const reader = identitiesOf(config).find((i) => i.name === "wi-dev-queue-reader")!;
      delete reader.namespace;
      delete reader.serviceAccount;
      reader.serviceAccounts = [
        { namespace: "jobs", name: "queue-reader" },
        { namespace: "jobs", name: "queue-reader-2" },
      ];
    });
    await up(cloud, stack, "add a ServiceAccount");
    const fics = cloud
      .objects("azure")
      .filter((o) =>
        String(o.key).includes(
          "/userAssignedIdentities/wi-dev-queue-reader/federatedIdentityCredentials/",
        ),
      );
    assert.equal(fics.length, 2);
  });

  it("removes an identity, and the local cloud forgets it", async () => {
    cloud.editStackFile(checkout, "dev", (config) => {
      config["azure-workload-identity:identities"] = identitiesOf(config).filter(
        (i) => i.name !== "wi-dev-queue-reader",
      );
    });
    await up(cloud, stack, "remove an identity");
    assert.ok(!cloud.objects("azure").some((o) => String(o.key).includes("wi-dev-queue-reader")));
    assert.ok(
      !cloud.objects("kubernetes").some((o) => String(o.key).includes("queue-reader")),
      "its ServiceAccounts are gone",
    );
  });

  it("rotates the signing key as declared: publish, switch, retire, the cluster kept", async () => {
    const before = await outputsOf(stack);
    const pair = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
    const broughtPub = pair.publicKey.export({ type: "spki", format: "pem" }).toString();
    const broughtKey = pair.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const issuer = String(before.issuerUrl);
    const kids = async () =>
      (
        JSON.parse(await document(cloud, issuer, "openid/v1/jwks")) as { keys: { kid: string }[] }
      ).keys.map((k) => k.kid);
    const keys = [{ name: "initial" }, { name: "theirs", publicKeyPem: broughtPub }];
    await stack.removeConfig("signingKeyBits");
    await stack.setAllConfig({
      signingKeys: { value: JSON.stringify(keys) },
      signingKey: { value: "initial" },
    });
    // Each step republishes the JWKS; the trust chain (every FIC) must not look like it moves.
    const FIC = "azure-native:managedidentity:FederatedIdentityCredential";
    assert.deepEqual(await plannedSteps(stack, FIC), [], "rotation step 1's preview");
    await up(cloud, stack, "rotation: publish a brought key");
    assert.deepEqual(await kids(), [before.keyId, keyId(broughtPub)]);
    await stack.setAllConfig({
      signingKey: { value: "theirs" },
      signingPrivateKeyPem: { value: broughtKey, secret: true },
    });
    assert.deepEqual(await plannedSteps(stack, FIC), [], "rotation step 2's preview");
    await up(cloud, stack, "rotation: sign with it");
    assert.equal((await outputsOf(stack)).keyId, keyId(broughtPub));
    assert.deepEqual(await kids(), [keyId(broughtPub), before.keyId]);
    await stack.setAllConfig({
      signingKeys: { value: JSON.stringify([keys[1]]) },
      allowEarlyKeyRetirement: { value: "true" },
    });
    assert.deepEqual(await plannedSteps(stack, FIC), [], "rotation step 3's preview");
    await up(cloud, stack, "rotation: retire the old key");
    assert.deepEqual(await kids(), [keyId(broughtPub)]);
    assert.equal((await outputsOf(stack)).clusterName, before.clusterName, "the same cluster");
  });

  it("changes the kind worker count and the Kubernetes version", async () => {
    await stack.setConfig("kindWorkerCount", { value: "1" });
    await up(cloud, stack, "one more worker");
    await stack.setConfig("kubernetesVersion", { value: "1.36.1" });
    await up(cloud, stack, "Kubernetes 1.36.1");
    const cluster = cloud.objects("clusters")[0];
    assert.match(String(cluster.type), /^kind:wi-dev-[0-9a-f]{6}$/);
  });

  it("plans no change from a second clone of the repository", async () => {
    const other = cloud.checkout("clone-b");
    fs.copyFileSync(path.join(checkout, "Pulumi.dev.yaml"), path.join(other, "Pulumi.dev.yaml"));
    const there = await cloud.stack("dev", other);
    await expectNoChanges(there, "second clone");
  });

  it("destroys everything: nothing in state, in the local cloud or on disk", async () => {
    await stack.destroy();
    const { resources } = stateOf(cloud, stack);
    assert.deepEqual(
      resources.map((r) => r.type),
      [],
    );
    for (const area of ["azure", "kubernetes", "clusters"]) {
      assert.deepEqual(
        cloud.objects(area).map((o: CloudObject) => o.key),
        [],
        `the local cloud still holds ${area} objects`,
      );
    }
    const kindDir = path.join(cloud.stateHome, "azure-workload-identity", "kind");
    assert.deepEqual(fs.existsSync(kindDir) ? fs.readdirSync(kindDir) : [], [], "key folders left");
  });
});

describe("day 2 through the real Pulumi engine (aks stack)", function () {
  this.timeout(1_800_000);
  const cloud = new LocalCloud();
  let stack: Stack;

  before(async () => {
    engineBin();
    stack = await cloud.stack("aks", cloud.checkout("clone-a"));
  });
  after(() => cloud.dispose());

  it("`pulumi stack init` leaves the committed stack file as it is, but for the salt", () => {
    const committed = fs.readFileSync(path.join(ROOT, "Pulumi.aks.yaml"), "utf8");
    const after = fs.readFileSync(
      path.join(cloud.root, "checkouts", "clone-a", "Pulumi.aks.yaml"),
      "utf8",
    );
    assert.equal(after.replace(/^encryptionsalt: .*\n/m, ""), committed);
  });

  it("first up, an identity added, then destroy", async () => {
    await up(cloud, stack, "first up", "aks");
    const file = path.join(cloud.root, "checkouts", "clone-a", "Pulumi.aks.yaml");
    const doc = YAML.parseDocument(fs.readFileSync(file, "utf8"));
    (doc.getIn(["config", "azure-workload-identity:identities"]) as YAML.YAMLSeq).add(
      doc.createNode({ name: "wi-aks-second", namespace: "apps", serviceAccount: "second" }),
    );
    fs.writeFileSync(file, doc.toString({ lineWidth: 0 }));
    await up(cloud, stack, "add an identity", "aks");
    await stack.destroy();
    for (const area of ["azure", "kubernetes", "clusters"]) {
      assert.deepEqual(
        cloud.objects(area).map((o) => o.key),
        [],
        `${area} objects left`,
      );
    }
  });
});
