/**
 * The local cloud with real programs behind it: a real kube-apiserver and etcd for each kind
 * cluster (started by the stand-in kind, .ci/build-control-plane.sh builds them), the
 * issuer's documents and Azure Resource Manager reads over HTTPS on loopback (`localcloud
 * serve`), and the real azure-workload-identity webhook, configured from the chart rendered by
 * real Helm with the stack's values. What cannot run here is the kubelet (no pod starts) and
 * Azure itself.
 */
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";

import * as YAML from "yaml";

import { KubeClient } from "../../cli/doctor/kubeClient";
import { LocalCloud, ROOT, engineBin } from "./localCloud";

let controlPlane: string | undefined;

/** The directory holding kube-apiserver, etcd, the webhook manager and helm (built once). */
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

/** The tenant of the local cloud's identities and of its Entra (localcloud/azure.go). */
export const SIMULATED_TENANT = "00000000-0000-4000-8000-000000000002";

export class LiveCloud extends LocalCloud {
  readonly tlsDir = path.join(this.root, "tls");
  readonly caFile = path.join(this.tlsDir, "ca.crt");
  private readonly processes = new Map<string, ChildProcess>();

  private constructor(
    readonly storagePort: number,
    readonly armPort: number,
  ) {
    super({
      LOCALCLOUD_CONTROL_PLANE: controlPlaneBin(),
      LOCALCLOUD_STORAGE_ENDPOINT: `https://127.0.0.1:${storagePort}`,
    });
    // Resource Manager and Entra answer as arm.wi.test too: a name that is not loopback, which
    // a proxy must carry (the doctor's proxy test maps it to 127.0.0.1).
    this.localcloud("tls", this.tlsDir, "storage", "127.0.0.1", "arm.wi.test");
    this.localcloud("tls", this.tlsDir, "webhook", "127.0.0.1");
  }

  static async create(): Promise<LiveCloud> {
    return new LiveCloud(await freePort(), await freePort());
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

  /** Serves the storage accounts' blobs, and the Resource Manager reads on a port of its own. */
  async serve(): Promise<void> {
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

  /** The chart's manifests as `helm template` renders them with these values. */
  renderChart(
    values: Record<string, unknown>,
    release: string,
    namespace: string,
  ): Record<string, unknown>[] {
    const valuesFile = path.join(this.root, "webhook-values.json");
    fs.writeFileSync(valuesFile, JSON.stringify(values));
    const out = execFileSync(
      path.join(controlPlaneBin(), "helm"),
      [
        "template",
        release,
        path.join(controlPlaneBin(), "..", "workload-identity-webhook"),
        "--namespace",
        namespace,
        "--values",
        valuesFile,
      ],
      { encoding: "utf8", env: { PATH: process.env.PATH ?? "", HOME: this.root } },
    );
    return YAML.parseAllDocuments(out)
      .map((d) => d.toJS() as Record<string, unknown> | null)
      .filter((d): d is Record<string, unknown> => d !== null);
  }

  /**
   * Runs the webhook as the chart deploys it: the manager's args and environment from the rendered
   * Deployment and ConfigMap, its MutatingWebhookConfiguration applied as rendered except that
   * the API server calls it at a URL on loopback (no Service routing without kube-proxy) with a
   * certificate of the tests' CA, as the chart's own certificate rotation would provide.
   */
  async startWebhook(
    kubeconfig: string,
    values: Record<string, unknown>,
    release: string,
    namespace: string,
  ): Promise<{ args: string[]; env: Record<string, string> }> {
    const manifests = this.renderChart(values, release, namespace);
    const find = (kind: string) => {
      const m = manifests.find((o) => o.kind === kind);
      if (!m) throw new Error(`the chart rendered no ${kind}`);
      return m as { metadata: { name: string }; [k: string]: unknown };
    };
    const deployment = find("Deployment") as unknown as {
      spec: {
        template: {
          spec: { containers: { args: string[]; envFrom?: unknown[]; env?: { name: string }[] }[] };
        };
      };
    };
    const container = deployment.spec.template.spec.containers[0];
    const config = find("ConfigMap") as unknown as { data: Record<string, string> };
    const env: Record<string, string> = { ...config.data, POD_NAMESPACE: namespace };
    const certDir = path.join(this.root, "webhook-certs");
    fs.mkdirSync(certDir, { recursive: true });
    fs.copyFileSync(path.join(this.tlsDir, "webhook.crt"), path.join(certDir, "tls.crt"));
    fs.copyFileSync(path.join(this.tlsDir, "webhook.key"), path.join(certDir, "tls.key"));
    const kubeconfigFile = path.join(this.root, "webhook-kubeconfig");
    fs.writeFileSync(kubeconfigFile, kubeconfig, { mode: 0o600 });
    const args = [
      ...container.args,
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

    const kube = await KubeClient.fromKubeconfig(kubeconfig);
    const mwc = find("MutatingWebhookConfiguration") as unknown as {
      metadata: { name: string };
      webhooks: { clientConfig: Record<string, unknown> }[];
    };
    for (const hook of mwc.webhooks) {
      const service = hook.clientConfig.service as { path: string };
      hook.clientConfig = {
        url: `https://127.0.0.1:${WEBHOOK_PORT}${service.path}`,
        caBundle: fs.readFileSync(this.caFile).toString("base64"),
      };
    }
    await kube.json(
      "POST",
      "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations",
      mwc,
    );
    return { args, env };
  }

  /** Takes the webhook away: its configuration and its process, as an uninstall would. */
  async stopWebhook(kubeconfig: string): Promise<void> {
    const kube = await KubeClient.fromKubeconfig(kubeconfig);
    await kube.request(
      "DELETE",
      "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/azure-wi-webhook-mutating-webhook-configuration",
    );
    await this.stop("webhook");
  }

  /** Stops everything this cloud started, control planes included, then deletes it. */
  async shutdown(): Promise<void> {
    for (const name of [...this.processes.keys()]) await this.stop(name);
    const planes = path.join(this.cloud, "controlplanes");
    for (const dir of fs.existsSync(planes) ? fs.readdirSync(planes) : []) {
      for (const prog of ["kube-apiserver", "etcd"]) {
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
