/** One HTTPS request with a deadline, for the doctor's reads (node:https: it honours
 * NODE_EXTRA_CA_CERTS and takes a client certificate), through $HTTPS_PROXY where the
 * environment names one for the URL, as curl and kubectl would go. */
import * as https from "node:https";

import { HttpsProxyAgent } from "hpagent";

import { proxyFromEnvironment } from "./proxy";

export interface HttpsResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface HttpsRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** TLS: the CA to trust instead of the system's, and a client certificate. */
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  insecure?: boolean;
  timeoutMs?: number;
}

export function httpsRequest(url: string, req: HttpsRequest = {}): Promise<HttpsResponse> {
  const target = new URL(url);
  if (target.protocol !== "https:") {
    return Promise.reject(new Error(`${url}: not an https URL`));
  }
  const proxy = proxyFromEnvironment(url);
  return send(
    target,
    {
      agent: proxy ? new HttpsProxyAgent({ proxy }) : undefined,
      method: req.method ?? "GET",
      headers: req.headers,
      ca: req.ca,
      cert: req.cert,
      key: req.key,
      rejectUnauthorized: req.insecure !== true,
    },
    req.body,
    req.timeoutMs,
  );
}

/**
 * One request with the options given whole (the kubeconfig's TLS and credentials, as
 * client-node hands them over, or httpsRequest's), its body read to the end, within a deadline.
 */
export function send(
  target: URL,
  options: https.RequestOptions,
  body?: string,
  timeoutMs = 10_000,
): Promise<HttpsResponse> {
  return new Promise((resolve, reject) => {
    const r = https.request(target, { ...options, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString("utf8"),
        }),
      );
      res.on("error", reject);
    });
    r.on("timeout", () => r.destroy(new Error(`${target.href}: no answer in ${timeoutMs} ms`)));
    r.on("error", reject);
    if (body !== undefined) r.write(body);
    r.end();
  });
}

/** A short reason for a failed connection: the error code and message, one line. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: string }).code;
    return code && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}
