/**
 * A small Kubernetes API client from a kubeconfig's current context: a client certificate, a
 * bearer token, or an exec credential plugin (kubelogin on AKS), as kubectl reads them.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

import * as YAML from "yaml";

import { HttpsResponse, httpsRequest } from "./https";

interface NamedCluster {
  name: string;
  cluster: {
    server: string;
    "certificate-authority-data"?: string;
    "certificate-authority"?: string;
    "insecure-skip-tls-verify"?: boolean;
  };
}
interface NamedUser {
  name: string;
  user: {
    "client-certificate-data"?: string;
    "client-key-data"?: string;
    "client-certificate"?: string;
    "client-key"?: string;
    token?: string;
    exec?: {
      command: string;
      args?: string[];
      env?: { name: string; value: string }[] | null;
    };
  };
}
interface Kubeconfig {
  "current-context"?: string;
  contexts?: { name: string; context: { cluster: string; user: string } }[];
  clusters?: NamedCluster[];
  users?: NamedUser[];
}

export class KubeconfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KubeconfigError";
  }
}

export class KubeClient {
  private constructor(
    readonly server: string,
    private readonly tls: { ca?: Buffer; cert?: Buffer; key?: Buffer; insecure?: boolean },
    private readonly token: string | undefined,
  ) {}

  /** From kubeconfig text; `dir` resolves relative file references. */
  static fromKubeconfig(text: string, dir = process.cwd()): KubeClient {
    let cfg: Kubeconfig;
    try {
      cfg = YAML.parse(text) as Kubeconfig;
    } catch (err) {
      // The parser's first line: the rest is a code frame of the file.
      throw new KubeconfigError(
        `the kubeconfig is not YAML: ${(err as Error).message.split("\n")[0]}`,
      );
    }
    const ctx = cfg?.contexts?.find((c) => c.name === cfg["current-context"]);
    if (!ctx) {
      throw new KubeconfigError(
        `the kubeconfig has no context named by current-context (${String(cfg?.["current-context"])})`,
      );
    }
    const cluster = cfg.clusters?.find((c) => c.name === ctx.context.cluster)?.cluster;
    const user = cfg.users?.find((u) => u.name === ctx.context.user)?.user ?? {};
    if (!cluster?.server) {
      throw new KubeconfigError(`the kubeconfig has no server for cluster ${ctx.context.cluster}`);
    }
    const data = (inline: string | undefined, file: string | undefined): Buffer | undefined =>
      inline !== undefined
        ? Buffer.from(inline, "base64")
        : file !== undefined
          ? fs.readFileSync(path.resolve(dir, file))
          : undefined;
    let cert = data(user["client-certificate-data"], user["client-certificate"]);
    let key = data(user["client-key-data"], user["client-key"]);
    let token = user.token;
    if (user.exec) {
      const cred = execCredential(user.exec);
      token = cred.token ?? token;
      if (cred.clientCertificateData) cert = Buffer.from(cred.clientCertificateData);
      if (cred.clientKeyData) key = Buffer.from(cred.clientKeyData);
    }
    return new KubeClient(
      cluster.server.replace(/\/$/, ""),
      {
        ca: data(cluster["certificate-authority-data"], cluster["certificate-authority"]),
        cert,
        key,
        insecure: cluster["insecure-skip-tls-verify"],
      },
      token,
    );
  }

  static fromFile(file: string): KubeClient {
    return KubeClient.fromKubeconfig(fs.readFileSync(file, "utf8"), path.dirname(file));
  }

  request(
    method: string,
    apiPath: string,
    body?: unknown,
    accept = "application/json",
  ): Promise<HttpsResponse> {
    return httpsRequest(this.server + apiPath, {
      method,
      headers: {
        Accept: accept,
        ...(body !== undefined ? { "Content-Type": "application/json" } : {}),
        ...(this.token ? { Authorization: `Bearer ${this.token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      ...this.tls,
    });
  }

  /** GET, POST or DELETE returning the parsed body, or an error with the API's message. */
  async json<T>(method: string, apiPath: string, body?: unknown): Promise<T> {
    const res = await this.request(method, apiPath, body);
    if (res.status >= 300) throw new KubeApiError(res.status, apiMessage(res.body, res.status));
    return JSON.parse(res.body) as T;
  }
}

export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function apiMessage(body: string, status: number): string {
  try {
    const m = (JSON.parse(body) as { message?: string }).message;
    if (m) return m;
  } catch {
    // not a Status object
  }
  return `HTTP ${status}`;
}

function execCredential(exec: NonNullable<NamedUser["user"]["exec"]>): {
  token?: string;
  clientCertificateData?: string;
  clientKeyData?: string;
} {
  const env = { ...process.env };
  for (const e of exec.env ?? []) env[e.name] = e.value;
  let out: string;
  try {
    out = execFileSync(exec.command, exec.args ?? [], {
      env,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (err) {
    throw new KubeconfigError(
      `the kubeconfig's credential plugin ${exec.command} failed: ${(err as Error).message.split("\n")[0]}`,
    );
  }
  return (JSON.parse(out) as { status?: Record<string, string> }).status ?? {};
}
