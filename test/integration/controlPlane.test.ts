/**
 * The stack against real programs: `pulumi up` through the real Pulumi CLI and engine, with kind
 * clusters whose control plane is a real kube-apiserver, etcd, kube-controller-manager and
 * kube-scheduler (v1.37.2, v3.7.3) started with the flags of the rendered kind config and the key
 * files the create script wrote, kwok's fake nodes in the kubelet's place, and every Kubernetes
 * and Helm resource through the real pulumi-kubernetes provider (the webhook chart from a chart
 * repository on loopback); the issuer's documents in Azurite, served by the static website
 * endpoint over HTTPS on loopback; the real azure-workload-identity webhook (v1.6.0) run as the
 * installed Deployment runs it. Then the checks a user's cluster would face: tokens from the
 * TokenRequest API against the published JWKS and the federated credentials, the API server's
 * own documents against the published ones, the webhook's mutation, `doctor` on a healthy setup
 * and on each planted fault, a key rotation, and day 2.
 */
import * as assert from "node:assert/strict";
import { execFile, execFileSync, spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

import * as azure from "@pulumi/azure-native";
import * as pulumi from "@pulumi/pulumi";
import { Stack } from "@pulumi/pulumi/automation";
import * as YAML from "yaml";

import { httpsRequest } from "../../cli/doctor/https";
import { KubeClient } from "../../cli/doctor/kubeClient";
import { keyId } from "../../components/issuer/keys";
import { WEBHOOK_CHART, WEBHOOK_CHART_VERSION } from "../../components/webhook";
import { CloudObject, ROOT, engineBin, identitiesOf } from "../harness/localCloud";
import {
  LiveCloud,
  SIMULATED_TENANT,
  WEBHOOK_DEPLOYMENT,
  controlPlaneBin,
  freePort,
} from "../harness/liveCloud";
import { connectProxy, writeAzStandIn } from "../harness/standIns";
import { up } from "../harness/day2";
import { Outputs, outputsOf, stateOf } from "../harness/trustChain";

const AUDIENCE = "api://AzureADTokenExchange";
const CLI = path.join(ROOT, "dist", "cli", "main.js");

interface Fic {
  issuer: string;
  subject: string;
  audiences: string[];
}

/** An anonymous HTTPS GET trusting the tests' CA, as Entra reads the issuer. */
async function anonymous(cloud: LiveCloud, url: string): Promise<string> {
  const res = await httpsRequest(url, { ca: fs.readFileSync(cloud.caFile) });
  assert.equal(res.status, 200, `GET ${url}`);
  return res.body;
}

const isFic = (o: CloudObject) =>
  o.type === "azure-native:managedidentity:FederatedIdentityCredential";

async function tokenFor(kube: KubeClient, sa: string, expirationSeconds = 3600): Promise<string> {
  const [ns, name] = sa.split("/");
  const r = await kube.json<{ status: { token: string } }>(
    "POST",
    `/api/v1/namespaces/${ns}/serviceaccounts/${name}/token`,
    { spec: { audiences: [AUDIENCE], expirationSeconds } },
  );
  return r.status.token;
}

async function verify(cloud: LiveCloud, issuer: string, token: string) {
  // jose is an ES module, and this test is CommonJS: loaded as Node loads ES modules.
  const { createLocalJWKSet, jwtVerify } = await import("jose");
  const jwks = JSON.parse(
    await anonymous(cloud, `${issuer.replace(/\/$/, "")}/openid/v1/jwks`),
  ) as Parameters<typeof createLocalJWKSet>[0];
  return jwtVerify(token, createLocalJWKSet(jwks), { issuer, audience: AUDIENCE });
}

describe("against a real control plane, the real Kubernetes provider, Azurite and the real webhook", function () {
  // npm test builds the real programs first (npm run build:programs); do the same before running
  // this file alone: cold, the builds take longer than this timeout.
  this.timeout(1_800_000);
  let cloud: LiveCloud;
  let checkout: string;
  let stack: Stack;
  let outputs: Outputs;
  let kube: KubeClient;
  let kubeconfig: string;
  let issuer: string;
  const trusted: string[] = [];
  /** The storage account the issuer's documents are in. */
  const issuerAccount = () =>
    String(
      cloud.objects("azure").find((o) => o.type === "azure-native:storage:StorageAccount")?.state
        .accountName,
    );
  /** The running kind cluster's name (wi-dev-<suffix>), which names its nodes. */
  const kindName = () => String(cloud.objects("clusters")[0].type).replace(/^kind:/, "");

  /**
   * The doctor's command line and environment: the stack's outputs, Resource Manager, and by
   * default the kubeconfig file and a service principal's sign-in (DefaultAzureCredential's
   * environment source); `env` replaces the sign-in, `kubeconfigFile: false` leaves the
   * kubeconfig to $KUBECONFIG.
   */
  /**
   * The stack's outputs as a user hands them to the doctor (`pulumi stack output --json`), read
   * again only when the stack's state has changed since: most doctor runs plant faults in the
   * cloud, not in the stack.
   */
  let outputsRead: { stateMtimeMs: number; outputs: Record<string, unknown> } | undefined;
  const cliOutputs = () => {
    const stateMtimeMs = fs.statSync(stateOf(cloud, stack).file).mtimeMs;
    if (outputsRead?.stateMtimeMs !== stateMtimeMs) {
      const out = spawnSync(
        path.join(engineBin(), "pulumi"),
        ["stack", "output", "--json", "--stack", "dev"],
        { cwd: checkout, env: { ...process.env, ...cloud.env() }, encoding: "utf8" },
      );
      assert.equal(out.status, 0, out.stderr);
      outputsRead = { stateMtimeMs, outputs: JSON.parse(out.stdout) as Record<string, unknown> };
    }
    return outputsRead.outputs;
  };
  const doctorCall = (
    opts: {
      env?: Record<string, string>;
      kubeconfigFile?: boolean;
      armEndpoint?: string;
      /** Changes the stack's outputs before the doctor reads them. */
      outputs?: (o: Record<string, unknown>) => void;
    },
    extra: string[],
  ) => {
    const outputsFile = path.join(cloud.root, "outputs.json");
    const read = structuredClone(cliOutputs());
    opts.outputs?.(read);
    fs.writeFileSync(outputsFile, JSON.stringify(read));
    const kubeconfigFile = path.join(cloud.root, "kubeconfig");
    fs.writeFileSync(kubeconfigFile, kubeconfig, { mode: 0o600 });
    const args = [CLI, "doctor", "--outputs", outputsFile];
    if (opts.kubeconfigFile !== false) args.push("--kubeconfig", kubeconfigFile);
    args.push("--arm-endpoint", opts.armEndpoint ?? cloud.armEndpoint, ...extra);
    const env = {
      PATH: process.env.PATH ?? "",
      HOME: cloud.root,
      NODE_EXTRA_CA_CERTS: cloud.caFile,
      ...(opts.env ?? cloud.servicePrincipalEnv()),
    };
    return { args, env };
  };
  const doctor = (...extra: string[]) => {
    const { args, env } = doctorCall({}, extra);
    const run = spawnSync(process.execPath, args, { encoding: "utf8", env });
    return { status: run.status, stdout: run.stdout, stderr: run.stderr };
  };
  /** The doctor as a child that leaves this process free (to serve the proxy it goes through). */
  const doctorAsync = (
    opts: Parameters<typeof doctorCall>[0],
    ...extra: string[]
  ): Promise<{ status: number | null; stdout: string; stderr: string }> => {
    const { args, env } = doctorCall(opts, extra);
    return new Promise((resolve, reject) => {
      execFile(process.execPath, args, { encoding: "utf8", env }, (err, stdout, stderr) => {
        const status = err ? (typeof err.code === "number" ? err.code : null) : 0;
        if (err && status === null) reject(new Error(err.message));
        else resolve({ status, stdout, stderr });
      });
    });
  };

  before(async () => {
    assert.ok(fs.existsSync(CLI), "build first (npm run build): the doctor runs from dist/");
    cloud = await LiveCloud.create();
    await cloud.serve();
    await cloud.serveCharts();
    checkout = cloud.checkout("main");
    stack = await cloud.stack("dev", checkout);
    await stack.setConfig("azure-workload-identity:webhookRepository", {
      value: cloud.chartRepository,
    });
    await up(stack, "first up");
    outputs = await outputsOf(stack);
    issuer = String(outputs.issuerUrl);
    kubeconfig = String(outputs.kubeconfig);
    kube = await KubeClient.fromKubeconfig(kubeconfig);
    for (const id of Object.values(
      outputs.identities as Record<string, { serviceAccounts: string[] }>,
    )) {
      trusted.push(...id.serviceAccounts);
    }
    // jobs/nightly-export is made by another tool (create: false in Pulumi.dev.yaml): made here
    // as that tool would, annotated with the identity's client id.
    const blobWriter = (outputs.identities as Record<string, { clientId: string }>)[
      "wi-dev-blob-writer"
    ];
    await kube.json("POST", "/api/v1/namespaces", { metadata: { name: "jobs" } });
    await kube.json("POST", "/api/v1/namespaces/jobs/serviceaccounts", {
      metadata: {
        name: "nightly-export",
        annotations: { "azure.workload.identity/client-id": blobWriter.clientId },
      },
    });
    await cloud.startWebhook(kubeconfig, String(outputs.webhookNamespace));
  });
  after(async () => cloud?.shutdown());

  it("the cluster is a real API server started with the kind config's issuer", async () => {
    const version = await kube.json<{ gitVersion: string }>("GET", "/version");
    assert.equal(version.gitVersion, "v1.37.2");
    const cluster = cloud.objects("clusters")[0];
    assert.equal(cluster.state.issuer, issuer);
  });

  it("the webhook chart comes from its repository at the pinned version, through the real provider's Helm, and its Deployment becomes available on kwok's nodes", async () => {
    const namespace = String(outputs.webhookNamespace);
    const kubeconfigFile = path.join(cloud.root, "helm-kubeconfig");
    fs.writeFileSync(kubeconfigFile, kubeconfig, { mode: 0o600 });
    const releases = JSON.parse(
      execFileSync(
        path.join(controlPlaneBin(), "helm"),
        ["list", "-n", namespace, "-o", "json", "--kubeconfig", kubeconfigFile],
        { encoding: "utf8", env: { PATH: process.env.PATH ?? "", HOME: cloud.root } },
      ),
    ) as { name: string; status: string; chart: string }[];
    assert.deepEqual(
      releases.map((r) => [r.name, r.status, r.chart]),
      [[WEBHOOK_CHART, "deployed", `${WEBHOOK_CHART}-${WEBHOOK_CHART_VERSION}`]],
    );

    const deployment = await kube.json<{
      status: { availableReplicas?: number; conditions: { type: string; status: string }[] };
    }>("GET", `/apis/apps/v1/namespaces/${namespace}/deployments/${WEBHOOK_DEPLOYMENT}`);
    assert.equal(deployment.status.availableReplicas, 2);
    assert.ok(
      deployment.status.conditions.some((c) => c.type === "Available" && c.status === "True"),
    );
    const pods = await kube.json<{
      items: { spec: { nodeName?: string }; status: { phase: string } }[];
    }>("GET", `/api/v1/namespaces/${namespace}/pods`);
    assert.equal(pods.items.length, 2);
    for (const pod of pods.items) {
      assert.equal(pod.status.phase, "Running");
      assert.equal(pod.spec.nodeName, `${kindName()}-control-plane`);
    }
  });

  it("the webhook's namespace enforces the restricted pod-security profile: the chart's pods pass, a pod without its securityContext is refused", async () => {
    const namespace = String(outputs.webhookNamespace);
    await assert.rejects(
      kube.json("POST", `/api/v1/namespaces/${namespace}/pods`, {
        metadata: { name: "unconfined" },
        spec: { containers: [{ name: "app", image: "app:1" }] },
      }),
      /violates PodSecurity "restricted:latest"/,
    );
  });

  it("the documents are in Azurite: served by the static website to anyone, never to an anonymous reader of the blob endpoint", async () => {
    const account = issuerAccount();
    const jwks = cloud.azuriteBlob(account, "$web", "openid/v1/jwks");
    const stored = (await jwks.downloadToBuffer()).toString();
    assert.equal(await anonymous(cloud, `${issuer.replace(/\/$/, "")}/openid/v1/jwks`), stored);
    const direct = await httpsRequest(`${cloud.azuriteBlobEndpoint(account)}/$web/openid/v1/jwks`, {
      ca: fs.readFileSync(cloud.caFile),
    });
    // Refused: Azure answers 404 ResourceNotFound here, Azurite 403.
    assert.ok([403, 404].includes(direct.status), `an anonymous read got ${direct.status}`);
    assert.doesNotMatch(direct.body, /"keys"/);
    // Why: the account allows no public blob access (the default hosting), so the local cloud
    // keeps every container of it private in Azurite (localcloud/azurite.go), as Azure does.
    const state = cloud
      .objects("azure")
      .find(
        (o) => o.type === "azure-native:storage:StorageAccount" && o.state.accountName === account,
      )!.state;
    assert.equal(state.allowBlobPublicAccess, false);
  });

  it("Azurite lets anonymous readers into a public container only while its account allows public blob access", async () => {
    // A bare program beside the stack: an account, a public container, one blob.
    const program = (allow: boolean) => () => {
      const rg = new azure.resources.ResourceGroup("rg", { resourceGroupName: "public-docs" });
      const account = new azure.storage.StorageAccount("account", {
        accountName: "publicdocs1",
        resourceGroupName: rg.name,
        kind: "StorageV2",
        sku: { name: "Standard_LRS" },
        allowBlobPublicAccess: allow,
      });
      const container = new azure.storage.BlobContainer("oidc", {
        accountName: account.name,
        resourceGroupName: rg.name,
        containerName: "oidc",
        publicAccess: "Blob",
      });
      new azure.storage.Blob("doc", {
        accountName: account.name,
        resourceGroupName: rg.name,
        containerName: container.name,
        blobName: "doc.json",
        source: new pulumi.asset.StringAsset('{"public":true}'),
        contentType: "application/json",
      });
      return Promise.resolve();
    };
    const read = () =>
      httpsRequest(`${cloud.azuriteBlobEndpoint("publicdocs1")}/oidc/doc.json`, {
        ca: fs.readFileSync(cloud.caFile),
      });
    const dir = cloud.checkout("public-docs");
    const allowed = await cloud.stack("public", dir, program(true));
    await up(allowed, "a public container", false);
    const open = await read();
    assert.equal(open.status, 200);
    assert.equal(open.body, '{"public":true}');

    // The account stops allowing it: the container is closed, as Azure closes it.
    const closed = await cloud.stack("public", dir, program(false));
    await up(closed, "public access off on the account", false);
    const refused = await read();
    assert.ok([403, 404].includes(refused.status), `an anonymous read got ${refused.status}`);
    await closed.destroy();
  });

  it("the API server's own discovery document and JWKS equal the published ones, byte for byte", async () => {
    const published = {
      discovery: await anonymous(
        cloud,
        `${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`,
      ),
      jwks: await anonymous(cloud, `${issuer.replace(/\/$/, "")}/openid/v1/jwks`),
    };
    const own = {
      discovery: (await kube.request("GET", "/.well-known/openid-configuration")).body,
      jwks: (await kube.request("GET", "/openid/v1/jwks", undefined, "application/jwk-set+json"))
        .body,
    };
    assert.equal(published.discovery, own.discovery);
    assert.equal(published.jwks, own.jwks);
  });

  it("tokens of every trusted ServiceAccount verify against the published JWKS, claims byte-equal to the FICs", async () => {
    const fics = cloud
      .objects("azure")
      .filter(isFic)
      .map((o) => o.state as unknown as Fic);
    assert.equal(trusted.length, 3);
    for (const sa of trusted) {
      const token = await tokenFor(kube, sa);
      const { payload, protectedHeader } = await verify(cloud, issuer, token);
      assert.equal(protectedHeader.kid, outputs.keyId);
      const [ns, name] = sa.split("/");
      const fic = fics.find((f) => f.subject === `system:serviceaccount:${ns}:${name}`);
      assert.ok(fic, `a FIC for ${sa}`);
      assert.equal(payload.iss, fic.issuer);
      assert.equal(payload.sub, fic.subject);
      assert.deepEqual([payload.aud].flat(), fic.audiences);
    }
  });

  it("the webhook mutates a labelled pod of a stack ServiceAccount and leaves an unlabelled one alone", async () => {
    const identities = outputs.identities as Record<string, { clientId: string }>;
    const pod = (name: string, labels: Record<string, string>) => ({
      metadata: { name, labels },
      spec: { serviceAccountName: "secrets-reader", containers: [{ name: "app", image: "app:1" }] },
    });
    type Pod = {
      spec: {
        containers: { env?: { name: string; value: string }[] }[];
        volumes?: {
          projected?: {
            sources: { serviceAccountToken?: { audience: string; expirationSeconds: number } }[];
          };
        }[];
      };
    };
    const labelled = await kube.json<Pod>(
      "POST",
      "/api/v1/namespaces/apps/pods",
      pod("labelled", { "azure.workload.identity/use": "true" }),
    );
    const env = Object.fromEntries(
      (labelled.spec.containers[0].env ?? []).map((e) => [e.name, e.value]),
    );
    assert.equal(env.AZURE_CLIENT_ID, identities["wi-dev-secrets-reader"].clientId);
    assert.equal(env.AZURE_TENANT_ID, outputs.tenantId);
    assert.equal(env.AZURE_AUTHORITY_HOST, "https://login.microsoftonline.com/");
    assert.equal(
      env.AZURE_FEDERATED_TOKEN_FILE,
      "/var/run/secrets/azure/wi/token/azure-identity-token",
    );
    const token = (labelled.spec.volumes ?? [])
      .flatMap((v) => v.projected?.sources ?? [])
      .find((s) => s.serviceAccountToken?.audience === AUDIENCE)?.serviceAccountToken;
    assert.deepEqual(token, {
      audience: AUDIENCE,
      expirationSeconds: 3600,
      path: "token/azure-identity-token",
    });

    const plain = await kube.json<Pod>("POST", "/api/v1/namespaces/apps/pods", pod("plain", {}));
    assert.deepEqual(plain.spec.containers[0].env, undefined);
    assert.ok(!(plain.spec.volumes ?? []).some((v) => JSON.stringify(v).includes(AUDIENCE)));
    for (const name of ["labelled", "plain"]) {
      await kube.request("DELETE", `/api/v1/namespaces/apps/pods/${name}`);
    }
  });

  describe("doctor", () => {
    it("passes every check on the healthy setup", () => {
      const run = doctor();
      assert.equal(run.status, 0, run.stdout + run.stderr);
      assert.doesNotMatch(run.stdout, /^(FAIL|warn)/m);
      assert.match(run.stdout, /all checks passed/);
      for (const sa of trusted) assert.match(run.stdout, new RegExp(`^ok +token ${sa}:`, "m"));
      transcript("healthy", run.stdout);
    });

    /** Keeps what the doctor printed, for the README, when WI_DOCTOR_TRANSCRIPTS names a folder. */
    let faults = 0;
    function transcript(name: string, text: string) {
      const dir = process.env.WI_DOCTOR_TRANSCRIPTS;
      if (dir) fs.writeFileSync(path.join(dir, `${name}.txt`), text);
    }

    /** Plants a fault, runs the doctor, undoes the fault; returns the doctor's failures. */
    const withFault = async (
      plant: () => Promise<void> | void,
      undo: () => Promise<void> | void,
    ) => {
      await plant();
      if (process.env.WI_DOCTOR_TRANSCRIPTS) transcript(`fault-${++faults}`, doctor().stdout);
      try {
        const run = doctor("--json");
        assert.equal(
          run.status,
          1,
          `the doctor passed a planted fault:\n${run.stdout}${run.stderr}`,
        );
        const report = JSON.parse(run.stdout) as {
          results: {
            check: string;
            status: string;
            detail: string;
            aadsts?: string;
            fix?: string;
          }[];
        };
        return report.results.filter((r) => r.status === "fail");
      } finally {
        await undo();
        assert.equal(doctor().status, 0, "the setup is healthy again after the fault is undone");
      }
    };
    const ficOf = (subject: string) => (o: CloudObject) => isFic(o) && o.state.subject === subject;
    const editFic = (subject: string, edit: (fic: Record<string, unknown>) => void) =>
      assert.equal(cloud.editObjects("azure", ficOf(subject), edit), 1);
    const SECRETS_READER = "system:serviceaccount:apps:secrets-reader";

    it("a federated credential whose issuer has a trailing slash: AADSTS700211", async () => {
      const failures = await withFault(
        () =>
          editFic(
            SECRETS_READER,
            (f) => (f.issuer = issuer.endsWith("/") ? issuer.slice(0, -1) : `${issuer}/`),
          ),
        () => editFic(SECRETS_READER, (f) => (f.issuer = issuer)),
      );
      assert.deepEqual(
        failures.map((f) => [f.check, f.aadsts]),
        [["federated credential wi-dev-secrets-reader apps/secrets-reader", "AADSTS700211"]],
      );
      assert.match(failures[0].detail, /trailing slash/);
    });

    it("a federated credential whose issuer differs in case: AADSTS700211", async () => {
      const upper = issuer
        .replace("https://127.0.0.1", "HTTPS://127.0.0.1")
        .replace(/\/([a-z]+)/, (m) => m.toUpperCase());
      const failures = await withFault(
        () => editFic(SECRETS_READER, (f) => (f.issuer = upper)),
        () => editFic(SECRETS_READER, (f) => (f.issuer = issuer)),
      );
      assert.deepEqual(
        failures.map((f) => [f.check, f.aadsts]),
        [["federated credential wi-dev-secrets-reader apps/secrets-reader", "AADSTS700211"]],
      );
      assert.match(failures[0].detail, /differs in letter case/);
    });

    it("a federated credential with the wrong audience: AADSTS700212", async () => {
      const failures = await withFault(
        () => editFic(SECRETS_READER, (f) => (f.audiences = ["api://AzureADTokenExchange/"])),
        () => editFic(SECRETS_READER, (f) => (f.audiences = [AUDIENCE])),
      );
      assert.deepEqual(
        failures.map((f) => [f.check, f.aadsts]),
        [["federated credential wi-dev-secrets-reader apps/secrets-reader", "AADSTS700212"]],
      );
    });

    it("--map: the access map, the one broken link in red", () => {
      const mermaidOf = (out: string) => /```mermaid\n([\s\S]*?)```/.exec(out)?.[1] ?? "";
      const healthy = mermaidOf(doctor("--map").stdout);
      for (const sa of trusted) assert.ok(healthy.includes(`ServiceAccount ${sa}`), sa);
      assert.doesNotMatch(healthy, /FAIL|linkStyle/);
      editFic(SECRETS_READER, (f) => (f.audiences = ["api://AzureADTokenExchange/"]));
      try {
        const run = doctor("--map");
        assert.equal(run.status, 1);
        const broken = mermaidOf(run.stdout);
        const failing = broken.split("\n").filter((l) => l.includes("FAIL"));
        assert.equal(failing.length, 1, broken);
        assert.match(failing[0], /^ {2}sa\d+ -->\|FAIL federated credential\| id\d+$/);
        const sa = /^ {2}(sa\d+)/.exec(failing[0])?.[1];
        assert.ok(broken.includes(`${sa}["ServiceAccount apps/secrets-reader"]`), broken);
        assert.equal((broken.match(/linkStyle \d+ stroke:#d00/g) ?? []).length, 1);
      } finally {
        editFic(SECRETS_READER, (f) => (f.audiences = [AUDIENCE]));
      }
    });

    it("a JWKS without the signing key's kid: AADSTS7000272 for every token", async () => {
      const other = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey;
      const jwk = {
        use: "sig",
        kty: "RSA",
        kid: keyId(other.export({ type: "spki", format: "pem" }).toString()),
        alg: "RS256",
        ...other.export({ format: "jwk" }),
      };
      // Edited in the storage account itself (Azurite), as by hand in the portal.
      const jwks = cloud.azuriteBlob(issuerAccount(), "$web", "openid/v1/jwks");
      const original = (await jwks.downloadToBuffer()).toString();
      const write = (text: string) =>
        jwks.upload(text, text.length, {
          blobHTTPHeaders: { blobContentType: "application/json" },
        });
      const failures = await withFault(
        () => write(JSON.stringify({ keys: [jwk] })).then(() => undefined),
        () => write(original).then(() => undefined),
      );
      assert.deepEqual(
        failures.map((f) => [f.check, f.aadsts]),
        trusted.map((sa) => [`token ${sa}`, "AADSTS7000272"]),
      );
      assert.match(failures[0].detail, /kid .* is not in the published JWKS/);
    });

    it("a ServiceAccount without the client-id annotation", async () => {
      const path = "/api/v1/namespaces/apps/serviceaccounts/secrets-reader";
      let clientId = "";
      const failures = await withFault(
        async () => {
          const sa = await kube.json<{ metadata: { annotations: Record<string, string> } }>(
            "GET",
            path,
          );
          clientId = sa.metadata.annotations["azure.workload.identity/client-id"];
          delete sa.metadata.annotations["azure.workload.identity/client-id"];
          await kube.json("PUT", path, sa);
        },
        async () => {
          const sa = await kube.json<{ metadata: { annotations: Record<string, string> } }>(
            "GET",
            path,
          );
          sa.metadata.annotations["azure.workload.identity/client-id"] = clientId;
          await kube.json("PUT", path, sa);
        },
      );
      assert.deepEqual(
        failures.map((f) => f.check),
        ["serviceaccount apps/secrets-reader", "webhook apps/secrets-reader"],
      );
      assert.match(failures[0].detail, /no azure.workload.identity\/client-id annotation/);
      assert.match(failures[1].detail, /no AZURE_CLIENT_ID/);
    });

    it("the webhook absent: labelled pods are not mutated", async () => {
      const failures = await withFault(
        () => cloud.stopWebhook(kubeconfig),
        async () => {
          await cloud.startWebhook(kubeconfig, String(outputs.webhookNamespace));
        },
      );
      assert.deepEqual(
        failures.map((f) => f.check),
        trusted.map((sa) => `webhook ${sa}`),
      );
      assert.match(failures[0].detail, /is not mutated: the webhook is not installed/);
    });

    it("the issuer's documents unreachable: AADSTS90061/AADSTS50166", async () => {
      const failures = await withFault(
        () => cloud.stopStorage(),
        () => cloud.restartStorage(),
      );
      assert.deepEqual(
        failures.map((f) => [f.check, f.aadsts]),
        [
          ["issuer discovery", "AADSTS90061/AADSTS50166"],
          ["issuer jwks", "AADSTS7000272"],
          ...trusted.map((sa) => [`token ${sa}`, "AADSTS7000272"]),
        ],
      );
      assert.match(
        failures[0].detail,
        /cannot be read anonymously over HTTPS: connect ECONNREFUSED/,
      );
    });

    it("the static website disabled on the account: AADSTS90061/AADSTS50166", async () => {
      let restore = () => {};
      const failures = await withFault(
        () => {
          restore = cloud.hideObjects(
            "azure",
            (o) => o.type === "azure-native:storage:StorageAccountStaticWebsite",
          );
        },
        () => restore(),
      );
      assert.deepEqual(failures.map((f) => f.check).slice(0, 2), [
        "issuer discovery",
        "issuer jwks",
      ]);
      assert.match(failures[0].detail, /cannot be read anonymously over HTTPS: HTTP 404/);
    });

    it("a pod that reads the token where webhooks before v1.6.0 put it: named, with the fix", async () => {
      const pod = {
        metadata: { name: "exporter", labels: { "azure.workload.identity/use": "true" } },
        spec: {
          serviceAccountName: "secrets-reader",
          containers: [
            {
              name: "exporter",
              image: "exporter:1",
              args: ["--token-file=/var/run/secrets/azure/tokens/azure-identity-token"],
            },
          ],
        },
      };
      const failures = await withFault(
        async () => void (await kube.json("POST", "/api/v1/namespaces/apps/pods", pod)),
        async () => void (await kube.request("DELETE", "/api/v1/namespaces/apps/pods/exporter")),
      );
      assert.deepEqual(
        failures.map((f) => f.check),
        ["pods apps/secrets-reader"],
      );
      assert.match(
        failures[0].detail,
        /exporter container exporter reads the token at \/var\/run\/secrets\/azure\/tokens\/, where webhook v1\.6\.0 no longer puts it/,
      );
      assert.match(failures[0].fix ?? "", /AZURE_FEDERATED_TOKEN_FILE/);
    });

    it("an identity used through an AKS identity binding: its credential, and RBAC as the API server judges it", async () => {
      const ids = outputs.identities as Record<
        string,
        { clientId: string; serviceAccounts: string[] }
      >;
      const [name, id] = Object.entries(ids)[0];
      const asBinding = (o: Record<string, unknown>) => {
        const all = o.identities as Record<string, Record<string, unknown>>;
        o.identities = { [name]: { ...all[name], mechanism: "identityBinding" } };
      };
      const lines = async () =>
        (await doctorAsync({ outputs: asBinding })).stdout
          .split("\n")
          .filter((l) => /identity binding/.test(l));
      // No binding was ever made (the dev stack trusts by FIC), and no RBAC lets them use it.
      const before = await lines();
      assert.ok(
        before.some((l) =>
          /^FAIL +identity binding credential .*no aks-identity-binding credential.*AADSTS700211/.test(
            l,
          ),
        ),
        before.join("\n"),
      );
      for (const sa of id.serviceAccounts) {
        assert.ok(
          before.some((l) => new RegExp(`^FAIL +identity binding access ${sa}:`).test(l)),
          before.join("\n"),
        );
      }
      // The ClusterRole FleetIdentity makes, bound to the first ServiceAccount only.
      const [ns, sa] = id.serviceAccounts[0].split("/");
      const rbac = "/apis/rbac.authorization.k8s.io/v1";
      await kube.json("POST", `${rbac}/clusterroles`, {
        metadata: { name: "use-identity-test" },
        rules: [
          {
            apiGroups: ["cid.wi.aks.azure.com"],
            resources: [id.clientId],
            verbs: ["use-managed-identity"],
          },
        ],
      });
      await kube.json("POST", `${rbac}/clusterrolebindings`, {
        metadata: { name: "use-identity-test" },
        roleRef: {
          apiGroup: "rbac.authorization.k8s.io",
          kind: "ClusterRole",
          name: "use-identity-test",
        },
        subjects: [{ kind: "ServiceAccount", name: sa, namespace: ns }],
      });
      try {
        const after = await lines();
        assert.ok(
          after.some((l) =>
            new RegExp(
              `^ok +identity binding access ${ns}/${sa}: may use-managed-identity ${id.clientId}`,
            ).test(l),
          ),
          after.join("\n"),
        );
        for (const other of id.serviceAccounts.slice(1)) {
          assert.ok(
            after.some((l) => new RegExp(`^FAIL +identity binding access ${other}:`).test(l)),
            after.join("\n"),
          );
        }
        // Another identity's client id is not granted by this role.
        assert.equal(
          await kube.allows(ns, sa, {
            group: "cid.wi.aks.azure.com",
            resource: "00000000-0000-4000-8000-00000000beef",
            verb: "use-managed-identity",
          }),
          false,
        );
      } finally {
        await kube.json("DELETE", `${rbac}/clusterrolebindings/use-identity-test`);
        await kube.json("DELETE", `${rbac}/clusterroles/use-identity-test`);
      }
    });

    it("Azure Policy's allowed-issuer policy denying the kind issuer: named, with the parameter to set; unreadable: cannot tell", async () => {
      const assign = (parameters?: Record<string, unknown>) =>
        cloud.assignIssuerPolicy("federated credentials from AKS only", parameters);
      const deny = { effect: "Deny", allowFederatedCredentials: true, allowAKS: true };
      const failures = await withFault(
        () => assign(deny),
        () => assign(undefined),
      );
      assert.ok(failures.length > 0);
      for (const f of failures) {
        assert.match(f.check, /^issuer policy /);
        assert.match(
          f.detail,
          /"federated credentials from AKS only" denies federated credentials under https:\/\//,
        );
        assert.ok(
          (f.fix ?? "").includes(`set ${JSON.stringify(issuer)} in allowedIssuerExceptions`),
          f.fix,
        );
      }
      // The issuer listed as an exception: allowed.
      assign({ ...deny, allowedIssuerExceptions: [issuer] });
      try {
        const run = doctor();
        assert.match(run.stdout, /^ok +issuer policy .*allowed by 1 assignment/m);
      } finally {
        assign(undefined);
      }
      // Not allowed to read the assignments: a warning that says so, not a pass.
      const knobs = cloud.armKnobs;
      await cloud.restartArm({
        ...knobs,
        LOCALCLOUD_ARM_FORBIDDEN: "/providers/Microsoft\\.Authorization/policyAssignments$",
      });
      try {
        const run = doctor();
        assert.match(
          run.stdout,
          /^warn +issuer policy .*cannot tell whether an Azure Policy restricts this issuer: no permission/m,
        );
      } finally {
        await cloud.restartArm(knobs);
      }
    });

    it("no permission to read role assignments: says so, and never calls them missing", async () => {
      const knobs = cloud.armKnobs;
      const failures = await withFault(
        () =>
          cloud.restartArm({
            ...knobs,
            LOCALCLOUD_ARM_FORBIDDEN: "/providers/Microsoft\\.Authorization/roleAssignments$",
          }),
        () => cloud.restartArm(knobs),
      );
      assert.ok(failures.length > 0);
      for (const f of failures) {
        assert.match(f.check, /^role assignments /);
        assert.match(
          f.detail,
          /no permission to read the role assignments at \/subscriptions\/.* \(AuthorizationFailed\)/,
        );
        assert.doesNotMatch(f.detail, /missing/);
      }
    });
  });

  // Last: it changes the keys. (Mocha runs a suite's own tests before its nested suites.)
  describe("doctor, where users run it: each sign-in of DefaultAzureCredential, kubeconfigs as kubectl reads them, a proxy", () => {
    const identities = () => outputs.identities as Record<string, { clientId: string }>;
    const signIn = (extra: Record<string, string>) => ({
      AZURE_TENANT_ID: SIMULATED_TENANT,
      AZURE_AUTHORITY_HOST: cloud.armEndpoint,
      ...extra,
    });
    /** The report's failing lines, when the doctor failed as it should. */
    const failing = (run: { status: number | null; stdout: string; stderr: string }) => {
      assert.equal(run.status, 1, run.stdout + run.stderr);
      return run.stdout.split("\n").filter((l) => l.startsWith("FAIL"));
    };
    const passes = (run: { status: number | null; stdout: string; stderr: string }) => {
      assert.equal(run.status, 0, run.stdout + run.stderr);
      assert.match(run.stdout, /all checks passed/);
    };

    it("a workload identity's token file (AZURE_FEDERATED_TOKEN_FILE), exchanged under its federated credential", async () => {
      const tokenFile = path.join(cloud.root, "azure-identity-token");
      const asReader = signIn({
        AZURE_CLIENT_ID: identities()["wi-dev-secrets-reader"].clientId,
        AZURE_FEDERATED_TOKEN_FILE: tokenFile,
      });
      fs.writeFileSync(tokenFile, await tokenFor(kube, "apps/secrets-reader"), { mode: 0o600 });
      passes(await doctorAsync({ env: asReader }));
      // A token of a ServiceAccount the identity does not trust: Entra's refusal, in one line.
      await kube.json("POST", "/api/v1/namespaces/apps/serviceaccounts", {
        metadata: { name: "stranger" },
      });
      fs.writeFileSync(tokenFile, await tokenFor(kube, "apps/stranger"), { mode: 0o600 });
      const lines = failing(await doctorAsync({ env: asReader }));
      assert.equal(lines.length, 1, lines.join("\n"));
      assert.match(
        lines[0],
        /^FAIL +azure: https:\/\/127\.0\.0\.1:\d+: no Azure credential: .*AADSTS700213/,
      );
    });

    it("a managed identity (App Service's IDENTITY_ENDPOINT and IDENTITY_HEADER)", async () => {
      const managed = (header: string) =>
        signIn({
          AZURE_CLIENT_ID: identities()["wi-dev-blob-writer"].clientId,
          IDENTITY_ENDPOINT: `${cloud.armEndpoint}/.msi/token`,
          IDENTITY_HEADER: header,
        });
      passes(await doctorAsync({ env: managed(cloud.identityHeader) }));
      const lines = failing(await doctorAsync({ env: managed("not-the-header") }));
      assert.equal(lines.length, 1, lines.join("\n"));
      assert.match(lines[0], /^FAIL +azure: .*no Azure credential/);
    });

    it("the Azure CLI's login (a stand-in az: the real one cannot sign in offline)", async () => {
      const bin = path.join(cloud.root, "az-bin");
      fs.mkdirSync(bin, { recursive: true });
      writeAzStandIn(path.join(bin, "az"), cloud, false);
      const env = {
        PATH: `${bin}:${process.env.PATH ?? ""}`,
        AZURE_AUTHORITY_HOST: cloud.armEndpoint,
      };
      passes(await doctorAsync({ env }));
      writeAzStandIn(path.join(bin, "az"), cloud, true);
      const lines = failing(await doctorAsync({ env }));
      assert.equal(lines.length, 1, lines.join("\n"));
      assert.match(lines[0], /^FAIL +azure: .*no Azure credential: .*az login/);
    });

    it("an API server that cannot be reached: one line naming it, the cluster's checks left out", async () => {
      const dead = `https://127.0.0.1:${await freePort()}`;
      const file = path.join(cloud.root, "dead-kubeconfig");
      fs.writeFileSync(
        file,
        kubeconfig.replace(/server: https:\/\/127\.0\.0\.1:\d+/, `server: ${dead}`),
        {
          mode: 0o600,
        },
      );
      const run = await doctorAsync({
        kubeconfigFile: false,
        env: { ...cloud.servicePrincipalEnv(), KUBECONFIG: file },
      });
      const lines = failing(run);
      assert.deepEqual(lines.length, 1, run.stdout);
      assert.match(
        lines[0],
        new RegExp(
          `^FAIL +cluster: the API server ${dead.replace(/\./g, "\\.")} cannot be reached: connect ECONNREFUSED`,
        ),
      );
      assert.doesNotMatch(run.stdout, /^\S+ +(token|serviceaccount|webhook|pods) /m);
      assert.match(run.stdout, /^ok +federated credential /m, "the Azure checks still ran");
    });

    it("a $KUBECONFIG list, --context, tls-server-name, and everything through $HTTPS_PROXY", async () => {
      const proxy = await connectProxy();
      try {
        const parsed = YAML.parse(kubeconfig) as {
          clusters: { name: string; cluster: Record<string, unknown> }[];
          contexts: { name: string; context: { cluster: string; user: string } }[];
          users: { name: string }[];
        };
        const port = /:(\d+)$/.exec(String(parsed.clusters[0].cluster.server))?.[1];
        // The first file's current context is a cluster that is gone; the second file has the
        // stack's cluster under a name only a proxy can resolve, its certificate's name given.
        const gone = path.join(cloud.root, "kubeconfig-1");
        fs.writeFileSync(
          gone,
          YAML.stringify({
            apiVersion: "v1",
            kind: "Config",
            "current-context": "old",
            clusters: [
              { name: "old", cluster: { server: `https://127.0.0.1:${await freePort()}` } },
            ],
            contexts: [{ name: "old", context: { cluster: "old", user: "old" } }],
            users: [{ name: "old", user: { token: "x" } }],
          }),
          { mode: 0o600 },
        );
        const viaProxy = path.join(cloud.root, "kubeconfig-2");
        parsed.clusters[0].cluster.server = `https://cluster.wi.test:${port}`;
        parsed.clusters[0].cluster["tls-server-name"] = "kubernetes";
        parsed.contexts[0].name = "wi-dev";
        fs.writeFileSync(viaProxy, YAML.stringify({ ...parsed, "current-context": "" }), {
          mode: 0o600,
        });
        const armViaProxy = cloud.armEndpoint.replace("127.0.0.1", "arm.wi.test");
        const env = {
          ...cloud.servicePrincipalEnv(),
          AZURE_AUTHORITY_HOST: armViaProxy,
          KUBECONFIG: [gone, viaProxy].join(path.delimiter),
          HTTPS_PROXY: proxy.url,
        };
        const opts = { kubeconfigFile: false, armEndpoint: armViaProxy, env };
        const current = failing(await doctorAsync(opts));
        assert.match(
          current[0],
          /^FAIL +cluster: the API server https:\/\/127\.0\.0\.1:\d+ cannot be reached/,
        );
        passes(await doctorAsync(opts, "--context", "wi-dev"));
        assert.ok(proxy.seen.has(`cluster.wi.test:${port}`), [...proxy.seen].join(" "));
        assert.ok(proxy.seen.has(armViaProxy.replace("https://", "")), [...proxy.seen].join(" "));
        const unknown = await doctorAsync(opts, "--context", "wi-prod");
        assert.equal(unknown.status, 1);
        assert.equal(
          unknown.stderr.trim(),
          "error: the kubeconfig has no context wi-prod (it has old, wi-dev)",
        );
      } finally {
        await proxy.close();
      }
    });
  });

  describe("key rotation as declared: three ups, the running cluster kept", () => {
    const published = async () =>
      (
        JSON.parse(await anonymous(cloud, `${issuer.replace(/\/$/, "")}/openid/v1/jwks`)) as {
          keys: { kid: string }[];
        }
      ).keys.map((k) => k.kid);
    /** What the API server itself accepts: its own JWKS, byte for byte the published one. */
    const acceptsExactlyThePublished = async () => {
      const own = await kube.request(
        "GET",
        "/openid/v1/jwks",
        undefined,
        "application/jwk-set+json",
      );
      assert.equal(own.body, await anonymous(cloud, `${issuer.replace(/\/$/, "")}/openid/v1/jwks`));
    };
    const reviewed = async (token: string) =>
      (
        await kube.json<{ status: { authenticated?: boolean } }>(
          "POST",
          "/apis/authentication.k8s.io/v1/tokenreviews",
          { spec: { token, audiences: [AUDIENCE] } },
        )
      ).status.authenticated === true;
    const clusterCommand = async () => {
      const state = await stack.exportStack();
      const r = (
        state.deployment as { resources: { type: string; urn: string; id?: string }[] }
      ).resources.find(
        (x) => x.type === "command:local:Command" && x.urn.endsWith("::cluster-kind"),
      );
      return r?.id;
    };
    /** The cluster is the same one: same command, same name, and what another tool made in it. */
    const sameCluster = async (before: { id?: string; name: unknown }) => {
      assert.equal(await clusterCommand(), before.id);
      assert.equal((await outputsOf(stack)).clusterName, before.name);
      await kube.json("GET", "/api/v1/namespaces/jobs/serviceaccounts/nightly-export");
    };
    /**
     * Reads both documents as Entra fetches them, anonymously and over and over, until stopped:
     * a read that is not a 200 with a JSON document is a miss (a rotation must have none).
     */
    const pollDocuments = () => {
      const misses: string[] = [];
      let reads = 0;
      let stopped = false;
      const base = issuer.replace(/\/$/, "");
      const ca = fs.readFileSync(cloud.caFile);
      const loop = (async () => {
        while (!stopped) {
          for (const url of [
            `${base}/.well-known/openid-configuration`,
            `${base}/openid/v1/jwks`,
          ]) {
            const res = await httpsRequest(url, { ca }).catch((e: Error) => ({
              status: 0,
              body: e.message,
            }));
            reads++;
            if (res.status !== 200 || !res.body.startsWith("{")) {
              misses.push(`${url}: ${res.status} ${res.body.slice(0, 80)}`);
            }
          }
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })();
      return {
        stop: async () => {
          stopped = true;
          await loop;
          return { reads, misses };
        },
      };
    };
    const refused = async (what: RegExp) => {
      await assert.rejects(stack.up(), (err: Error) => what.test(err.message));
    };

    it("publishes, switches and retires, with tokens in flight verifying and the documents never missing", async () => {
      const poller = pollDocuments();
      try {
        const before = { id: await clusterCommand(), name: outputs.clusterName };
        assert.ok(before.id);
        const kidA = String(outputs.keyId);
        const tokenA = await tokenFor(kube, "apps/secrets-reader");
        await stack.removeConfig("signingKeyBits");
        const declare = (keys: object[], signing: string) =>
          stack.setAllConfig({
            signingKeys: { value: JSON.stringify(keys) },
            signingKey: { value: signing },
          });
        const both = [{ name: "initial" }, { name: "next", bits: 2048 }];

        // Signing with a key no earlier up published is refused, and changes nothing.
        await declare(both, "next");
        await refused(
          /signingKey: "next" is not valid; it was not published by an earlier pulumi up/,
        );
        assert.deepEqual(await published(), [kidA]);

        // 1. publish: the new key beside the old; the old one still signs.
        await declare(both, "initial");
        await up(stack, "rotation 1: publish");
        let outs = await outputsOf(stack);
        const kidB = (outs.signingKeys as { keys: Record<string, { kid: string }> }).keys.next.kid;
        assert.deepEqual(await published(), [kidA, kidB]);
        assert.equal((outs.keyRotation as { phase: string }).phase, "published");
        await sameCluster(before);
        await acceptsExactlyThePublished();
        assert.equal((await verify(cloud, issuer, tokenA)).protectedHeader.kid, kidA);
        assert.equal(
          (await verify(cloud, issuer, await tokenFor(kube, "apps/secrets-reader"))).protectedHeader
            .kid,
          kidA,
        );

        // 2. switch: the new key signs; the old one is still published and accepted.
        await declare(both, "next");
        await up(stack, "rotation 2: switch");
        outs = await outputsOf(stack);
        assert.equal(outs.keyId, kidB);
        assert.equal((outs.keyRotation as { phase: string }).phase, "switched");
        assert.deepEqual(await published(), [kidB, kidA]);
        await sameCluster(before);
        await acceptsExactlyThePublished();
        const tokenB = await tokenFor(kube, "apps/secrets-reader");
        assert.equal((await verify(cloud, issuer, tokenB)).protectedHeader.kid, kidB);
        assert.equal((await verify(cloud, issuer, tokenA)).protectedHeader.kid, kidA);
        assert.ok(await reviewed(tokenA), "the API server still accepts the old key's tokens");

        // Dropping the old key now, with its tokens alive, is refused.
        await declare([{ name: "next", bits: 2048 }], "next");
        await refused(
          /signingKeys: without key "initial" is not valid; "initial" stopped signing at .*allowEarlyKeyRetirement/,
        );
        assert.deepEqual(await published(), [kidB, kidA]);

        // 3. retire (here without waiting 24 hours, by the explicit override).
        await stack.setConfig("allowEarlyKeyRetirement", { value: "true" });
        await up(stack, "rotation 3: retire");
        assert.deepEqual(await published(), [kidB]);
        assert.equal(((await outputsOf(stack)).keyRotation as { phase: string }).phase, "steady");
        await sameCluster(before);
        await acceptsExactlyThePublished();
        await assert.rejects(verify(cloud, issuer, tokenA), /no applicable key found/);
        assert.equal(await reviewed(tokenA), false, "the API server no longer accepts the old key");
        assert.equal((await verify(cloud, issuer, tokenB)).protectedHeader.kid, kidB);
        assert.ok(await reviewed(tokenB));
      } finally {
        const { reads, misses } = await poller.stop();
        assert.deepEqual(misses, [], `${misses.length} of ${reads} reads missed a document`);
        assert.ok(reads > 20, `the poller read ${reads} times`);
      }
    });
  });

  describe("day 2 on the real parts: an identity added and removed, the cluster changed, destroy", () => {
    const exists = async (apiPath: string) => (await kube.request("GET", apiPath)).status === 200;

    it("adds an identity: its namespace and annotated ServiceAccount appear in the cluster", async () => {
      cloud.editStackFile(checkout, "dev", (config) =>
        identitiesOf(config).push({
          name: "wi-dev-queue-reader",
          namespace: "queues",
          serviceAccount: "queue-reader",
        }),
      );
      await up(stack, "add an identity");
      const identities = (await outputsOf(stack)).identities as Record<
        string,
        { clientId: string }
      >;
      const sa = await kube.json<{ metadata: { annotations: Record<string, string> } }>(
        "GET",
        "/api/v1/namespaces/queues/serviceaccounts/queue-reader",
      );
      assert.equal(
        sa.metadata.annotations["azure.workload.identity/client-id"],
        identities["wi-dev-queue-reader"].clientId,
      );
    });

    it("removes it: the namespace controller finalizes its namespace before the up ends", async () => {
      cloud.editStackFile(checkout, "dev", (config) => {
        config["azure-workload-identity:identities"] = identitiesOf(config).filter(
          (i) => i.name !== "wi-dev-queue-reader",
        );
      });
      await up(stack, "remove an identity");
      assert.equal(await exists("/api/v1/namespaces/queues"), false);
      assert.equal(await exists("/api/v1/namespaces/apps/serviceaccounts/secrets-reader"), true);
    });

    it("adds a worker: a new cluster, the chart installed again, its pods on the worker only (the control plane is tainted)", async () => {
      await stack.setConfig("kindWorkerCount", { value: "1" });
      await up(stack, "one more worker");
      kubeconfig = String((await outputsOf(stack)).kubeconfig);
      kube = await KubeClient.fromKubeconfig(kubeconfig);
      const nodes = await kube.json<{ items: { metadata: { name: string } }[] }>(
        "GET",
        "/api/v1/nodes",
      );
      const name = kindName();
      assert.deepEqual(nodes.items.map((n) => n.metadata.name).sort(), [
        `${name}-control-plane`,
        `${name}-worker`,
      ]);
      const namespace = String(outputs.webhookNamespace);
      const pods = await kube.json<{ items: { spec: { nodeName?: string } }[] }>(
        "GET",
        `/api/v1/namespaces/${namespace}/pods`,
      );
      assert.deepEqual(
        pods.items.map((p) => p.spec.nodeName),
        [`${name}-worker`, `${name}-worker`],
      );
    });

    it("destroys everything: nothing in state, no cluster, no control plane left running", async () => {
      await stack.destroy();
      assert.deepEqual(stateOf(cloud, stack).resources, []);
      assert.deepEqual(cloud.objects("clusters"), []);
      const planes = path.join(cloud.cloud, "controlplanes");
      assert.deepEqual(fs.existsSync(planes) ? fs.readdirSync(planes) : [], []);
    });
  });
});
