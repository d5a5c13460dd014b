/**
 * The local cloud with real programs behind it: for each kind cluster a real kube-apiserver,
 * etcd, kube-controller-manager, kube-scheduler and kwok's fake nodes (started by the stand-in
 * kind, .ci/build-control-plane.sh builds them); the real pulumi-kubernetes provider for every
 * Kubernetes and Helm resource, installing the webhook chart from a chart repository on loopback;
 * Azurite as the storage data plane, its static websites and Azure Resource Manager reads served
 * over HTTPS on loopback (`localcloud serve`); and the real azure-workload-identity webhook, run
 * with the args and configuration of the Deployment Helm installed. What cannot run here is a
 * container (kwok's pods are Running and Ready without one) and Azure itself. With
 * `controlPlane: false` it serves Azure alone (Resource Manager, Entra and the storage data
 * plane), for suites whose clusters may stay the stand-ins' files. The process using it is signed
 * in as the tests' service principal until shutdown, as a user is before `pulumi up`.
 */
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as https from "node:https";
import * as net from "node:net";
import * as path from "node:path";
import * as tls from "node:tls";

import {
  BlobServiceClient,
  BlockBlobClient,
  StorageSharedKeyCredential,
} from "@azure/storage-blob";

import { KubeClient } from "../../cli/doctor/kubeClient";
import { LocalCloud, ROOT, engineBin } from "./localCloud";

let controlPlane: string | undefined;

/** The directory holding the control plane's programs, the webhook manager, helm and the real
 * pulumi-resource-kubernetes (built once). */
export function controlPlaneBin(): string {
  controlPlane ??= execFileSync("bash", [path.join(ROOT, ".ci", "build-control-plane.sh")], {
    cwd: ROOT,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  }).trim();
  return controlPlane;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, "127.0.0.1", () => {
        s.end();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`${what} did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The webhook's fixed port (controller-runtime's default; the manager has no flag for it). */
export const WEBHOOK_PORT = 9443;

/** What the webhook chart names its Deployment and its MutatingWebhookConfiguration. */
export const WEBHOOK_DEPLOYMENT = "azure-wi-webhook-controller-manager";
const WEBHOOK_MWC = "azure-wi-webhook-mutating-webhook-configuration";

/** The programs of a cluster's control plane (localcloud/controlplane.go, controllers.go). */
const CONTROL_PLANE_PROGRAMS = [
  "kwok",
  "kube-scheduler",
  "kube-controller-manager",
  "kube-apiserver",
  "etcd",
];

interface MutatingWebhookConfiguration {
  metadata: { name: string; labels?: unknown; annotations?: unknown; resourceVersion?: string };
  webhooks: {
    clientConfig: { service?: { path: string }; url?: string; caBundle?: string };
  }[];
}

/** The tenant of the local cloud's identities and of its Entra (localcloud/azure.go). */
export const SIMULATED_TENANT = "00000000-0000-4000-8000-000000000002";

export class LiveCloud extends LocalCloud {
  readonly tlsDir = path.join(this.root, "tls");
  readonly caFile = path.join(this.tlsDir, "ca.crt");
  private readonly processes = new Map<string, ChildProcess>();

  /** The CLI, beside the plugins the engine finds before the local cloud's: the real
   * pulumi-resource-kubernetes. */
  private readonly realBin = path.join(this.root, "real", "bin");

  private constructor(
    readonly storagePort: number,
    readonly armPort: number,
    readonly chartPort: number,
    readonly azuritePort: number,
    /** Clusters are real control planes, their objects applied by the real Kubernetes provider;
     * false: only Azure is served (the stand-in kind and Kubernetes provider keep files). */
    readonly controlPlane: boolean,
  ) {
    super(LiveCloud.storageEnv(storagePort, azuritePort, controlPlane));
    // Resource Manager and Entra answer as arm.wi.test too: a name that is not loopback, which
    // a proxy must carry (the doctor's proxy test maps it to 127.0.0.1).
    this.localcloud("tls", this.tlsDir, "storage", "127.0.0.1", "arm.wi.test");
    this.localcloud("tls", this.tlsDir, "webhook", "127.0.0.1");
    fs.mkdirSync(this.realBin, { recursive: true });
    fs.symlinkSync(path.join(engineBin(), "pulumi"), path.join(this.realBin, "pulumi"));
    if (controlPlane) {
      const provider = "pulumi-resource-kubernetes";
      fs.symlinkSync(path.join(controlPlaneBin(), provider), path.join(this.realBin, provider));
    }
  }

  /** The variables of the sign-in this process had before a LiveCloud signed it in. */
  private signedOut?: Record<string, string | undefined>;

  /** `controlPlane: false`: Azure only; `env`: more environment for the CLI and the plugins. */
  static async create(
    opts: { controlPlane?: boolean; env?: Record<string, string> } = {},
  ): Promise<LiveCloud> {
    const cloud = new LiveCloud(
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
      opts.controlPlane ?? true,
    );
    Object.assign(cloud.extraEnv, opts.env);
    // This process's clients of Azurite (the Azure SDK's) trust the tests' CA, as the tools the
    // tests start do through NODE_EXTRA_CA_CERTS.
    tls.setDefaultCACertificates([
      ...tls.getCACertificates("default"),
      fs.readFileSync(cloud.caFile, "utf8"),
    ]);
    // Signed in as the tests' service principal, as a user is before `pulumi up`: the stack's
    // programs run in this process, and an issuer finds whom to grant its documents' writer
    // role from the Azure SDK's sign-in.
    const signIn = cloud.servicePrincipalEnv();
    cloud.signedOut = Object.fromEntries(Object.keys(signIn).map((k) => [k, process.env[k]]));
    Object.assign(process.env, signIn);
    return cloud;
  }

  /** Where the local cloud's processes find the control plane and the storage data plane. */
  private static storageEnv(
    storagePort: number,
    azuritePort: number,
    controlPlane: boolean,
  ): Record<string, string> {
    return {
      ...(controlPlane ? { LOCALCLOUD_CONTROL_PLANE: controlPlaneBin() } : {}),
      LOCALCLOUD_STORAGE_ENDPOINT: `https://127.0.0.1:${storagePort}`,
      LOCALCLOUD_AZURITE: `https://127.0.0.1:${azuritePort}`,
    };
  }

  /** The storage accounts Azurite knows, as the local cloud lists them (localcloud/azurite.go). */
  get azuriteAccounts(): string {
    return path.join(this.root, "azurite-accounts");
  }

  /** Where Azurite serves an account's blobs (path style, as it serves accounts on an IP). */
  azuriteBlobEndpoint(account: string): string {
    return `https://127.0.0.1:${this.azuritePort}/${account}`;
  }

  /** A blob of Azurite as its account's owner reaches it: with the account key, as someone
   * editing it in the portal or with the Azure CLI would. */
  azuriteBlob(account: string, container: string, blob: string): BlockBlobClient {
    const listed = fs.readFileSync(this.azuriteAccounts, "utf8").split(";");
    const key = listed.find((e) => e.startsWith(`${account}:`))?.slice(account.length + 1);
    if (!key) throw new Error(`Azurite has no account ${account}`);
    const service = new BlobServiceClient(
      this.azuriteBlobEndpoint(account),
      new StorageSharedKeyCredential(account, key),
    );
    return service.getContainerClient(container).getBlockBlobClient(blob);
  }

  /** The engine's environment: the real Kubernetes provider first on PATH, the tests' CA as
   * the one Go programs (Helm in the provider fetches the chart repository over HTTPS) and Node
   * programs (the azure-wi plugin writing the issuer's documents) trust, and the tests' service
   * principal's sign-in, which the plugins read as the CLI's environment. */
  override env(): Record<string, string> {
    const env = super.env();
    return {
      ...env,
      PATH: `${this.realBin}:${env.PATH}`,
      SSL_CERT_FILE: this.caFile,
      NODE_EXTRA_CA_CERTS: this.caFile,
      LOCALCLOUD_AZURITE_ACCOUNTS: this.azuriteAccounts,
      ...this.servicePrincipalEnv(),
    };
  }

  protected override cliRoot(): string {
    return path.dirname(this.realBin);
  }

  /** The webhook chart's repository on loopback (serveCharts): set as the stack's
   * webhookRepository, as a user behind a mirror would. */
  get chartRepository(): string {
    return `https://127.0.0.1:${this.chartPort}/charts`;
  }

  /** Where the tools of the tests find Azure Resource Manager (doctor's --arm-endpoint). */
  get armEndpoint(): string {
    return `https://127.0.0.1:${this.armPort}`;
  }

  /** The app registration the tests' tools sign in as, with its secret (localcloud/entra.go). */
  readonly app = { clientId: "7e57c11e-0000-4000-8000-00000000d0c7", secret: crypto.randomUUID() };
  /** The secret header of the local managed identity endpoint (App Service's IDENTITY_HEADER). */
  readonly identityHeader = crypto.randomUUID();

  /**
   * A service principal's sign-in as DefaultAzureCredential reads it from the environment,
   * against the local Entra (served beside Resource Manager).
   */
  servicePrincipalEnv(): Record<string, string> {
    return {
      AZURE_TENANT_ID: SIMULATED_TENANT,
      AZURE_CLIENT_ID: this.app.clientId,
      AZURE_CLIENT_SECRET: this.app.secret,
      AZURE_AUTHORITY_HOST: this.armEndpoint,
    };
  }

  private localcloud(...args: string[]): void {
    execFileSync(path.join(engineBin(), "localcloud"), args, {
      env: { ...process.env, LOCALCLOUD_DIR: this.cloud },
      stdio: ["ignore", "inherit", "inherit"],
    });
  }

  private start(name: string, command: string, args: string[], env: Record<string, string>) {
    const log = fs.openSync(path.join(this.root, `${name}.log`), "a");
    const child = spawn(command, args, { env: { ...env }, stdio: ["ignore", log, log] });
    fs.closeSync(log);
    this.processes.set(name, child);
    return child;
  }

  private stop(name: string): Promise<void> {
    const child = this.processes.get(name);
    this.processes.delete(name);
    if (!child || child.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      child.on("exit", () => resolve());
      child.kill("SIGTERM");
    });
  }

  /**
   * How Resource Manager answers the tests' tools (localcloud/serve.go): a page holds one
   * entry, so every list has pages to follow, and every seventh request is throttled, so every
   * doctor run meets a 429 it must retry after Retry-After.
   */
  armKnobs: Record<string, string> = { LOCALCLOUD_PAGE_SIZE: "1", LOCALCLOUD_THROTTLE_EVERY: "7" };

  private chartServer?: https.Server;

  /**
   * A chart repository as Helm reads one, made by real Helm from the chart source of the webhook
   * release the control plane builds (`helm package`, `helm repo index`), served over HTTPS.
   */
  async serveCharts(): Promise<void> {
    const dir = path.join(this.root, "charts");
    fs.mkdirSync(dir, { recursive: true });
    const helm = (...args: string[]) =>
      execFileSync(path.join(controlPlaneBin(), "helm"), args, {
        env: { PATH: process.env.PATH ?? "", HOME: this.root },
        stdio: ["ignore", "ignore", "inherit"],
      });
    helm("package", path.join(controlPlaneBin(), "..", "workload-identity-webhook"), "-d", dir);
    helm("repo", "index", dir, "--url", this.chartRepository);
    const server = https.createServer(
      {
        cert: fs.readFileSync(path.join(this.tlsDir, "storage.crt")),
        key: fs.readFileSync(path.join(this.tlsDir, "storage.key")),
      },
      (req, res) => {
        const name = new URL(req.url ?? "/", this.chartRepository).pathname.replace(
          /^\/charts\//,
          "",
        );
        const file = path.join(dir, name);
        if (req.method !== "GET" || name.includes("/") || !fs.existsSync(file)) {
          res.writeHead(404).end();
          return;
        }
        res.writeHead(200).end(fs.readFileSync(file));
      },
    );
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.chartPort, "127.0.0.1", resolve);
    });
    this.chartServer = server;
  }

  /**
   * Azurite, the Azure Storage emulator, as the storage data plane: over HTTPS with the tests'
   * certificate, OAuth bearer tokens accepted (`--oauth basic`), the local cloud's accounts.
   */
  private async serveAzurite(): Promise<void> {
    if (this.processes.get("azurite")?.exitCode === null) return;
    const data = path.join(this.root, "azurite");
    fs.mkdirSync(data, { recursive: true });
    this.start(
      "azurite",
      process.execPath,
      [
        "-r",
        "ts-node/register/transpile-only",
        path.join(__dirname, "azuriteHost.ts"),
        this.azuriteAccounts,
        ...["--blobHost", "127.0.0.1", "--blobPort", String(this.azuritePort)],
        ...["--cert", path.join(this.tlsDir, "storage.crt")],
        ...["--key", path.join(this.tlsDir, "storage.key")],
        ...["--oauth", "basic", "--location", data, "--silent", "--disableTelemetry"],
        // @azure/storage-blob 12.34 speaks a newer service version than Azurite 3.37 knows.
        "--skipApiVersionCheck",
      ],
      { PATH: process.env.PATH ?? "", TS_NODE_PROJECT: path.join(ROOT, "tsconfig.json") },
    );
    await waitForPort(this.azuritePort, "Azurite", 60_000);
  }

  /** Serves Azurite, the static websites, and the Resource Manager reads on a port of its own. */
  async serve(): Promise<void> {
    await this.serveAzurite();
    for (const [name, port] of [
      ["storage", this.storagePort],
      ["arm", this.armPort],
    ] as const) {
      if (this.processes.get(name)?.exitCode === null) continue; // already serving
      this.start(
        name,
        path.join(engineBin(), "localcloud"),
        [
          "serve",
          `127.0.0.1:${port}`,
          path.join(this.tlsDir, "storage.crt"),
          path.join(this.tlsDir, "storage.key"),
        ],
        {
          LOCALCLOUD_DIR: this.cloud,
          PATH: process.env.PATH ?? "",
          LOCALCLOUD_CA_FILE: this.caFile,
          SSL_CERT_FILE: this.caFile,
          ...LiveCloud.storageEnv(this.storagePort, this.azuritePort, this.controlPlane),
          LOCALCLOUD_AZURITE_ACCOUNTS: this.azuriteAccounts,
          LOCALCLOUD_ENTRA_CLIENTS: `${this.app.clientId}=${this.app.secret}`,
          LOCALCLOUD_IDENTITY_HEADER: this.identityHeader,
          // Federated credentials honoured at once: the stack's are minutes old by the time a
          // test exchanges a token; localcloud/entra_test.go holds the delay Entra has.
          LOCALCLOUD_FIC_PROPAGATION_MS: "0",
          ...this.armKnobs,
        },
      );
      await waitForPort(port, `localcloud serve (${name})`);
    }
  }

  /** Restarts Resource Manager with other knobs (LOCALCLOUD_ARM_FORBIDDEN, ...). */
  async restartArm(knobs: Record<string, string>): Promise<void> {
    await this.stop("arm");
    this.armKnobs = knobs;
    await this.serve();
  }

  /** Takes the issuer's documents off the network (the storage endpoint stops answering). */
  stopStorage(): Promise<void> {
    return this.stop("storage");
  }

  /** Starts the storage endpoint again after stopStorage. */
  restartStorage(): Promise<void> {
    return this.serve();
  }

  /** The MutatingWebhookConfiguration as Helm installed it, kept for a start after stopWebhook
   * took it away. */
  private installedMwc?: MutatingWebhookConfiguration;

  /**
   * Runs the webhook as the Deployment Helm installed runs it: the manager with that container's
   * args and the ConfigMap's environment, on loopback; then points the installed
   * MutatingWebhookConfiguration at it (no Service routing without kube-proxy) with a
   * certificate of the tests' CA, as the chart's own certificate rotation would provide. kwok's
   * pods of that Deployment are Ready without running anything; this process does the work.
   */
  async startWebhook(
    kubeconfig: string,
    namespace: string,
  ): Promise<{ args: string[]; env: Record<string, string> }> {
    const kube = await KubeClient.fromKubeconfig(kubeconfig);
    const deployment = await kube.json<{
      spec: { template: { spec: { containers: { args: string[] }[] } } };
    }>("GET", `/apis/apps/v1/namespaces/${namespace}/deployments/${WEBHOOK_DEPLOYMENT}`);
    const config = await kube.json<{ data: Record<string, string> }>(
      "GET",
      `/api/v1/namespaces/${namespace}/configmaps/azure-wi-webhook-config`,
    );
    const env: Record<string, string> = { ...config.data, POD_NAMESPACE: namespace };
    const certDir = path.join(this.root, "webhook-certs");
    fs.mkdirSync(certDir, { recursive: true });
    fs.copyFileSync(path.join(this.tlsDir, "webhook.crt"), path.join(certDir, "tls.crt"));
    fs.copyFileSync(path.join(this.tlsDir, "webhook.key"), path.join(certDir, "tls.key"));
    const kubeconfigFile = path.join(this.root, "webhook-kubeconfig");
    fs.writeFileSync(kubeconfigFile, kubeconfig, { mode: 0o600 });
    const args = [
      ...deployment.spec.template.spec.containers[0].args,
      "--disable-cert-rotation",
      `--webhook-cert-dir=${certDir}`,
      "--health-addr=127.0.0.1:9440",
    ];
    this.start("webhook", path.join(controlPlaneBin(), "azure-wi-webhook-manager"), args, {
      ...env,
      KUBECONFIG: kubeconfigFile,
      PATH: process.env.PATH ?? "",
    });
    await waitForPort(WEBHOOK_PORT, "the webhook");

    // The chart's configuration, pointed here; after stopWebhook, made again as Helm made it.
    const mwcPath = `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${WEBHOOK_MWC}`;
    const live = await kube.request("GET", mwcPath);
    const current =
      live.status === 200 ? (JSON.parse(live.body) as MutatingWebhookConfiguration) : undefined;
    // As Helm made it (not yet pointed here by an earlier start).
    if (current?.webhooks.every((h) => h.clientConfig.service)) this.installedMwc = current;
    if (!this.installedMwc) {
      throw new Error(`no ${WEBHOOK_MWC} (${live.status}): is the chart installed?`);
    }
    const { metadata, webhooks } = structuredClone(this.installedMwc);
    const caBundle = fs.readFileSync(this.caFile).toString("base64");
    for (const hook of webhooks) {
      hook.clientConfig = {
        url: `https://127.0.0.1:${WEBHOOK_PORT}${hook.clientConfig.service?.path ?? ""}`,
        caBundle,
      };
    }
    const { name, labels, annotations } = metadata;
    const body = {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "MutatingWebhookConfiguration",
      metadata: { name, labels, annotations, resourceVersion: current?.metadata.resourceVersion },
      webhooks,
    };
    if (current) await kube.json("PUT", mwcPath, body);
    else await kube.json("POST", path.dirname(mwcPath), body);
    return { args, env };
  }

  /** Takes the webhook away: its configuration and its process, as an uninstall would. */
  async stopWebhook(kubeconfig: string): Promise<void> {
    const kube = await KubeClient.fromKubeconfig(kubeconfig);
    await kube.request(
      "DELETE",
      `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${WEBHOOK_MWC}`,
    );
    await this.stop("webhook");
  }

  /** Stops everything this cloud started, control planes included, then deletes it. */
  async shutdown(): Promise<void> {
    for (const [k, v] of Object.entries(this.signedOut ?? {})) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    this.signedOut = undefined;
    for (const name of [...this.processes.keys()]) await this.stop(name);
    this.chartServer?.close();
    const planes = path.join(this.cloud, "controlplanes");
    for (const dir of fs.existsSync(planes) ? fs.readdirSync(planes) : []) {
      for (const prog of CONTROL_PLANE_PROGRAMS) {
        const pidFile = path.join(planes, dir, `${prog}.pid`);
        if (!fs.existsSync(pidFile)) continue;
        try {
          process.kill(Number(fs.readFileSync(pidFile, "utf8")), "SIGKILL");
        } catch {
          // already gone
        }
      }
    }
    this.dispose();
  }
}
