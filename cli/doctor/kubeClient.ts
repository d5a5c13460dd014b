/**
 * The doctor's view of a cluster, through @kubernetes/client-node: the kubeconfig kubectl would
 * read (./kubeconfig.ts), a context by name, client certificates, bearer tokens, credential
 * plugins (kubelogin on AKS), tls-server-name, proxy-url, $HTTPS_PROXY, and in-cluster access.
 *
 * client-node is an ES module; it is imported when a client is made, so that the command line
 * answers --help without it.
 */
import * as fs from "node:fs";
import * as https from "node:https";
import * as path from "node:path";

import type * as k8s from "@kubernetes/client-node" with { "resolution-mode": "import" };

import * as YAML from "yaml";

import { readInput } from "../args";
import { describeYamlError } from "../yamlErrors";
import { kubeconfigSource, mergeKubeconfigs } from "./kubeconfig";
import { proxyFromEnvironment } from "./proxy";
import { HttpsResponse, send } from "./https";
import type { PodObject, ServiceAccountObject } from "./checks";

export class KubeconfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KubeconfigError";
  }
}

/** An answer of the API server that is not a success: its status and its message. */
export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface KubeClientOptions {
  /** A kubeconfig file; default: $KUBECONFIG's files merged, ~/.kube/config, or in-cluster. */
  kubeconfig?: string;
  /** A context of the kubeconfig; default: its current-context. */
  context?: string;
}

type ClientNode = typeof k8s;

/** The first line of an error, for a one-line report. */
const firstLine = (err: unknown) =>
  (err instanceof Error ? err.message : String(err)).split("\n")[0];

/**
 * A kubeconfig file's text, with one-line errors naming the file (a directory, missing, not
 * YAML) before client-node's parser, whose errors come with a code frame.
 */
function readKubeconfig(file: string, label: string): string {
  const text = readInput(file, label);
  try {
    YAML.parse(text);
  } catch (err) {
    const detail =
      err instanceof YAML.YAMLError
        ? Object.values(describeYamlError(err, file)).join(": ")
        : firstLine(err);
    throw new KubeconfigError(`the kubeconfig is not YAML: ${detail}`);
  }
  return text;
}

/** Loads the kubeconfig, each failure as one line naming what failed. */
function loadConfig(
  lib: ClientNode,
  source: { files?: string[]; label?: string; text?: string; inCluster?: boolean },
): k8s.KubeConfig {
  const kc = new lib.KubeConfig();
  const parts = (source.files ?? []).map((file) => ({
    file,
    text: readKubeconfig(file, source.label ?? file),
  }));
  try {
    if (source.text !== undefined) {
      kc.loadFromString(source.text);
    } else if (source.inCluster) {
      kc.loadFromCluster();
    } else {
      const configs = parts.map(({ file, text }) => {
        const one = new lib.KubeConfig();
        one.loadFromString(text);
        one.makePathsAbsolute(path.dirname(file)); // certificate paths are relative to the file
        return one;
      });
      kc.loadFromOptions(mergeKubeconfigs(configs));
    }
  } catch (err) {
    throw new KubeconfigError(`the kubeconfig cannot be read: ${firstLine(err)}`);
  }
  return kc;
}

/** The context's cluster with $HTTPS_PROXY applied where its kubeconfig names no proxy-url. */
function withEnvironmentProxy(kc: k8s.KubeConfig): void {
  const cluster = kc.getCurrentCluster();
  if (!cluster || cluster.proxyUrl) return;
  const proxyUrl = proxyFromEnvironment(cluster.server);
  if (proxyUrl === undefined) return;
  kc.clusters = kc.clusters.map((c) => (c === cluster ? { ...c, proxyUrl } : c));
}

export class KubeClient {
  private constructor(
    private readonly lib: ClientNode,
    private readonly kc: k8s.KubeConfig,
  ) {}

  /** The API server's URL, as the kubeconfig names it. */
  get server(): string {
    return this.kc.getCurrentCluster()?.server ?? "";
  }

  /** The context in use. */
  get context(): string {
    return this.kc.getCurrentContext();
  }

  /** From the kubeconfig kubectl would read (or `options.kubeconfig`), at a context. */
  static async load(options: KubeClientOptions = {}): Promise<KubeClient> {
    const source = kubeconfigSource(options.kubeconfig, process.env, fs.existsSync);
    if (source.kind === "none") {
      throw new KubeconfigError(
        `no kubeconfig: give --kubeconfig, set KUBECONFIG, or write ~/.kube/config (looked at ${source.looked.join(", ")})`,
      );
    }
    const lib = await import("@kubernetes/client-node");
    const kc = loadConfig(
      lib,
      source.kind === "in-cluster"
        ? { inCluster: true }
        : { files: source.files, label: options.kubeconfig ? "--kubeconfig" : "kubeconfig" },
    );
    return KubeClient.at(lib, kc, options.context);
  }

  /** From kubeconfig text (a stack's kubeconfig output), at a context. */
  static async fromKubeconfig(text: string, context?: string): Promise<KubeClient> {
    const lib = await import("@kubernetes/client-node");
    return KubeClient.at(lib, loadConfig(lib, { text }), context);
  }

  private static at(lib: ClientNode, kc: k8s.KubeConfig, context: string | undefined) {
    if (context !== undefined) {
      if (!kc.getContextObject(context)) {
        const known = kc.getContexts().map((c) => c.name);
        throw new KubeconfigError(
          `the kubeconfig has no context ${context} (it has ${known.join(", ") || "none"})`,
        );
      }
      kc.setCurrentContext(context);
    }
    const ctx = kc.getContextObject(kc.getCurrentContext());
    if (!ctx) {
      throw new KubeconfigError(
        `the kubeconfig has no context named by current-context (${JSON.stringify(kc.getCurrentContext())}); give --context`,
      );
    }
    if (!kc.getCurrentCluster()?.server) {
      throw new KubeconfigError(`the kubeconfig has no server for cluster ${ctx.cluster}`);
    }
    withEnvironmentProxy(kc);
    return new KubeClient(lib, kc);
  }

  private core(): k8s.CoreV1Api {
    return this.kc.makeApiClient(this.lib.CoreV1Api);
  }

  /** Turns client-node's errors into one line: the API's message, or why no answer came. */
  private async call<T>(what: () => Promise<T>): Promise<T> {
    try {
      return await what();
    } catch (err) {
      throw kubeError(err, this.server);
    }
  }

  /** The API server's version: the first request, which tells whether it can be reached. */
  async version(): Promise<string> {
    const info = await this.call(() => this.kc.makeApiClient(this.lib.VersionApi).getCode());
    return info.gitVersion;
  }

  async createToken(namespace: string, name: string, audience: string): Promise<string> {
    const r = await this.call(() =>
      this.core().createNamespacedServiceAccountToken({
        namespace,
        name,
        body: { spec: { audiences: [audience], expirationSeconds: 3600 } },
      }),
    );
    return r.status?.token ?? "";
  }

  /** The ServiceAccount, or undefined where it does not exist. */
  async serviceAccount(namespace: string, name: string): Promise<ServiceAccountObject | undefined> {
    try {
      return await this.call(() => this.core().readNamespacedServiceAccount({ namespace, name }));
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) return undefined;
      throw err;
    }
  }

  /** Creates the pod as a server-side dry run: what admission (the webhook) makes of it. */
  async dryRunPod(pod: PodObject & { apiVersion: string; kind: string }): Promise<PodObject> {
    const namespace = pod.metadata?.namespace ?? "default";
    return await this.call(() =>
      this.core().createNamespacedPod({ namespace, body: pod as k8s.V1Pod, dryRun: "All" }),
    );
  }

  /**
   * Whether the API server's authorizer lets the ServiceAccount do `verb` on `resource` of
   * `group` (a SubjectAccessReview, as the ServiceAccount's own token would be judged): what
   * an AKS identity binding asks of a pod's ServiceAccount.
   */
  async allows(
    namespace: string,
    name: string,
    attributes: { group: string; resource: string; verb: string },
  ): Promise<boolean> {
    const review = await this.call(() =>
      this.kc.makeApiClient(this.lib.AuthorizationV1Api).createSubjectAccessReview({
        body: {
          apiVersion: "authorization.k8s.io/v1",
          kind: "SubjectAccessReview",
          spec: {
            user: `system:serviceaccount:${namespace}:${name}`,
            groups: [
              "system:serviceaccounts",
              `system:serviceaccounts:${namespace}`,
              "system:authenticated",
            ],
            resourceAttributes: attributes,
          },
        },
      }),
    );
    return review.status?.allowed === true;
  }

  async pods(namespace: string): Promise<PodObject[]> {
    const list = await this.call(() => this.core().listNamespacedPod({ namespace }));
    return list.items;
  }

  /**
   * Any request, with the kubeconfig's credentials, TLS and proxy (client-node's https options):
   * for what the typed API does not cover, such as the issuer's documents the API server serves.
   */
  async request(
    method: string,
    apiPath: string,
    body?: unknown,
    accept = "application/json",
  ): Promise<HttpsResponse> {
    const opts: https.RequestOptions = {};
    await this.kc.applyToHTTPSOptions(opts);
    const url = new URL(this.server.replace(/\/$/, "") + apiPath);
    const headers = {
      ...(opts.headers as Record<string, string>),
      Accept: accept,
      ...(body !== undefined ? { "Content-Type": "application/json" } : {}),
    };
    try {
      return await send(
        url,
        { ...opts, method, headers },
        body === undefined ? undefined : JSON.stringify(body),
      );
    } catch (err) {
      throw kubeError(err, this.server);
    }
  }

  /** `request`, parsed; a status of 300 or more is a KubeApiError with the API's message. */
  async json<T>(method: string, apiPath: string, body?: unknown): Promise<T> {
    const res = await this.request(method, apiPath, body);
    if (res.status >= 300) throw new KubeApiError(res.status, apiMessage(res.body, res.status));
    return JSON.parse(res.body) as T;
  }
}

/** The message of a Kubernetes Status body (text or parsed), or the HTTP status. */
function apiMessage(body: unknown, status: number): string {
  try {
    const parsed = (typeof body === "string" ? JSON.parse(body) : body) as { message?: string };
    if (parsed?.message) return parsed.message;
  } catch {
    // not a Status object
  }
  return `HTTP ${status}`;
}

/** Why a connection to the API server failed, in one line naming it. */
export class KubeUnreachableError extends Error {
  constructor(
    readonly server: string,
    reason: string,
  ) {
    super(`the API server ${server} cannot be reached: ${reason}`);
    this.name = "KubeUnreachableError";
  }
}

/** client-node's error as a KubeApiError (the API answered) or a KubeUnreachableError. */
function kubeError(err: unknown, server: string): Error {
  const e = err as { code?: unknown; body?: unknown; cause?: { code?: string; message?: string } };
  if (typeof e.code === "number") return new KubeApiError(e.code, apiMessage(e.body, e.code));
  const cause = e.cause ?? (err as { code?: string; message?: string });
  const message = firstLine(cause.message ?? err);
  const reason =
    cause.code && !message.includes(cause.code) ? `${cause.code}: ${message}` : message;
  return new KubeUnreachableError(server, reason);
}
