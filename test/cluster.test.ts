import * as assert from "node:assert/strict";

import * as pulumi from "@pulumi/pulumi";

import { KindOrAksCluster, OidcIssuer } from "../components";
import { ENV } from "../components/cluster/kindCommands";
import { SIMULATED, isSecretValue, plainStrings } from "../testing/simulator";
import { apiServerFlag, fixture, isSecret, settled, simulator, valueOf } from "./helpers";

const CMD = "command:local:Command";
const AKS = "azure-native:containerservice:ManagedCluster";
const PROVIDER = "pulumi:providers:kubernetes";
const ISSUER = "https://oidcab12cd34.z6.web.core.windows.net/";

describe("KindOrAksCluster (kind)", () => {
  const sim = simulator();
  let cluster: KindOrAksCluster;
  let issuer: OidcIssuer;

  before(async () => {
    sim.reset();
    issuer = new OidcIssuer("dev", { rsaBits: 2048 });
    cluster = new KindOrAksCluster("dev", {
      flavor: "kind",
      clusterName: "wi-dev",
      issuerUrl: issuer.issuerUrl,
      signingKey: { privateKeyPem: issuer.privateKeyPem, publicKeyPem: issuer.publicKeyPem },
      additionalPublicKeysPem: [fixture("rotated.pub")],
      workerCount: 1,
    });
    await valueOf(cluster.kubeconfig);
    await settled(sim);
  });

  it("renders a config whose issuer is byte-equal to OidcIssuer's", async () => {
    const issuerUrl = await valueOf(issuer.issuerUrl);
    const flag = apiServerFlag(await valueOf(cluster.kindConfig!), "service-account-issuer");
    assert.equal(flag, issuerUrl);
    assert.equal(await valueOf(cluster.issuerUrl), issuerUrl);
    const discovery = JSON.parse(await valueOf(issuer.discoveryDocument)) as { issuer: string };
    assert.equal(discovery.issuer, flag);
  });

  it("runs kind through one command with create and delete scripts", () => {
    const cmd = sim.one(CMD, "dev-kind");
    assert.equal(cmd.name, "dev-kind");
    assert.match(String(cmd.inputs.create), /create cluster --name "\$WI_KIND_CLUSTER_NAME"/);
    assert.match(String(cmd.inputs.delete), /delete cluster --name "\$WI_KIND_CLUSTER_NAME"/);
    assert.deepEqual(cmd.inputs.interpreter, ["/bin/sh", "-c"]);
    assert.equal(cmd.inputs.logging, "stderr");
    assert.deepEqual(cmd.options.additionalSecretOutputs, ["stdout"]);
    assert.ok(cmd.options.replaceOnChanges.includes("*"));
    // A new cluster (under a new name) before the old one goes: see kindClusterName.
    assert.equal(cmd.options.deleteBeforeReplace, false);
    assert.ok(cmd.dependencies.includes(sim.one(CMD, "dev-kind-keys").urn));
    assert.doesNotMatch(JSON.stringify(cmd.inputs.environment), /WI_SA_/, "no key in its inputs");
  });

  it("writes the keys with a command of their own, updated in place, replaced with the cluster", () => {
    const keys = sim.one(CMD, "dev-kind-keys");
    assert.match(String(keys.inputs.create), /> "sa\.key"/);
    assert.match(String(keys.inputs.update), /crictl stop/);
    assert.equal(keys.inputs.delete, undefined, "the cluster's delete removes the folder");
    const env = keys.inputs.environment as Record<string, string>;
    // pulumi-command replaces a command whose triggers change: a new cluster, new key files.
    assert.deepEqual(keys.inputs.triggers, [env[ENV.clusterName]]);
    assert.equal(env[ENV.docker], "docker");
    assert.ok(!keys.options.replaceOnChanges.includes("*"), "a key change is an update");
  });

  it("names the kind cluster after what it is made from, and keeps no checkout path", () => {
    const env = sim.one(CMD, "dev-kind").inputs.environment as Record<string, string>;
    assert.match(env[ENV.clusterName], /^wi-dev-[0-9a-f]{6}$/);
    assert.equal(env[ENV.stateDir], undefined, "the script finds the folder at run time");
    assert.equal(env[ENV.kind], "kind");
    assert.doesNotMatch(JSON.stringify(sim.one(CMD, "dev-kind").inputs), new RegExp(process.cwd()));
  });

  it("hands the private key to the command only as a secret", () => {
    const cmd = sim.one(CMD, "dev-kind-keys");
    const env = cmd.raw.environment as Record<string, unknown>;
    assert.ok(
      isSecretValue(env[ENV.privateKey]),
      "the private key must reach the command as a secret",
    );
    const plain = cmd.inputs.environment as Record<string, string>;
    assert.match(plain[ENV.privateKey], /BEGIN RSA PRIVATE KEY/);
    assert.equal(
      plain[ENV.privateKey],
      String(sim.one("tls:index/privateKey:PrivateKey").outputs.privateKeyPem),
    );
    for (const r of sim.resources) {
      for (const [where, text] of plainStrings(r.raw)) {
        assert.ok(
          !text.includes("PRIVATE KEY"),
          `${r.name}.${where} holds a private key in the clear`,
        );
      }
    }
  });

  it("writes every accepted public key into sa.pub, the signing key's first", async () => {
    const plain = sim.one(CMD, "dev-kind-keys").inputs.environment as Record<string, string>;
    const signing = String(sim.one("tls:index/privateKey:PrivateKey").outputs.publicKeyPem);
    assert.equal(plain.WI_SA_PUB, `${signing}${fixture("rotated.pub")}`);
    // Kind v0.33's own default image, pinned by digest.
    const config = await valueOf(cluster.kindConfig!);
    assert.match(config, /image: kindest\/node:v1\.37\.0@sha256:[0-9a-f]{64}/);
  });

  it("exposes the kubeconfig as a secret and builds a provider from it", async () => {
    assert.equal(await isSecret(cluster.kubeconfig), true);
    assert.match(await valueOf(cluster.kubeconfig), /current-context: kind-wi-dev/);
    const provider = sim.one(PROVIDER);
    assert.equal(provider.name, "dev-k8s");
    assert.ok(
      isSecretValue(provider.raw.kubeconfig),
      "the provider's kubeconfig input must be secret",
    );
    assert.equal(provider.parent, sim.one("azure-wi:index:KindOrAksCluster").urn);
  });

  it("creates nothing in Azure for the cluster itself", () => {
    assert.equal(sim.byType(AKS).length, 0);
  });
});

describe("KindOrAksCluster (kind, before 1.36)", () => {
  const sim = simulator();

  it("bundles the rotation key into sa.pub there too (v1beta3)", async () => {
    sim.reset();
    const older = new KindOrAksCluster("older", {
      flavor: "kind",
      kubernetesVersion: "1.35.1",
      issuerUrl: ISSUER,
      signingKey: {
        privateKeyPem: pulumi.secret(fixture("signing.key")),
        publicKeyPem: fixture("signing.pub"),
      },
      additionalPublicKeysPem: [fixture("rotated.pub")],
    });
    await valueOf(older.kubeconfig);
    await settled(sim);
    const cmd = sim.one(CMD, "older-kind-keys");
    const env = cmd.inputs.environment as Record<string, string>;
    assert.equal(env.WI_SA_PUB, `${fixture("signing.pub")}${fixture("rotated.pub")}`);
    assert.match(await valueOf(older.kindConfig!), /image: kindest\/node:v1\.35\.1\n/);
  });
});

describe("KindOrAksCluster (aks)", () => {
  const sim = simulator();
  let cluster: KindOrAksCluster;

  before(async () => {
    sim.reset();
    cluster = new KindOrAksCluster("prod", {
      flavor: "aks",
      clusterName: "wi-aks",
      resourceGroupName: "platform-rg",
      location: "westeurope",
      kubernetesVersion: "1.33",
      nodeCount: 3,
    });
    await valueOf(cluster.kubeconfig);
    await settled(sim);
  });

  it("turns on the OIDC issuer and workload identity", () => {
    const aks = sim.one(AKS).inputs;
    assert.deepEqual(aks.oidcIssuerProfile, { enabled: true });
    assert.deepEqual(aks.securityProfile, { workloadIdentity: { enabled: true } });
    assert.deepEqual(aks.identity, { type: "SystemAssigned" });
    assert.equal(aks.enableRBAC, true);
    assert.equal(aks.resourceName, "wi-aks");
    assert.equal(aks.resourceGroupName, "platform-rg");
    assert.equal(aks.kubernetesVersion, "1.33");
  });

  it("has one system node pool of the size asked for", () => {
    assert.deepEqual(sim.one(AKS).inputs.agentPoolProfiles, [
      {
        name: "system",
        mode: "System",
        count: 3,
        vmSize: "Standard_D2s_v5",
        osType: "Linux",
        type: "VirtualMachineScaleSets",
      },
    ]);
  });

  it("takes the issuer from oidcIssuerProfile.issuerURL, unchanged", async () => {
    const issuerURL = String(
      (sim.one(AKS).outputs.oidcIssuerProfile as { issuerURL: string }).issuerURL,
    );
    assert.match(
      issuerURL,
      new RegExp(
        `^https://westeurope\\.oic\\.prod-aks\\.azure\\.com/${SIMULATED.tenantId}/[0-9a-f-]{36}/$`,
      ),
    );
    assert.equal(await valueOf(cluster.issuerUrl), issuerURL);
  });

  it("reads the user kubeconfig, decoded and secret", async () => {
    const invoke = sim.invokes.find(
      (i) => i.token === "azure-native:containerservice:listManagedClusterUserCredentials",
    );
    assert.deepEqual(invoke?.inputs, { resourceGroupName: "platform-rg", resourceName: "wi-aks" });
    assert.equal(await isSecret(cluster.kubeconfig), true);
    assert.match(
      await valueOf(cluster.kubeconfig),
      /server: https:\/\/wi-aks-dns-[a-z0-9]{8}\.hcp\.westeurope\.azmk8s\.io:443/,
    );
    assert.ok(isSecretValue(sim.one(PROVIDER).raw.kubeconfig));
  });

  it("runs no kind command and renders no kind config", () => {
    assert.equal(sim.byType(CMD).length, 0);
    assert.equal(cluster.kindConfig, undefined);
  });
});
