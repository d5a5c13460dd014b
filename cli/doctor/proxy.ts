/**
 * Which proxy a request goes through, decided from the environment as kubectl, curl and the
 * Azure SDKs do, so that the doctor reaches what the user's own tools reach. Pure.
 */
import * as net from "node:net";

import { getProxyForUrl } from "proxy-from-env";

/** Whether a host is this machine: client-go never sends those through a proxy. */
function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "");
  if (bare === "localhost" || bare.endsWith(".localhost")) return true;
  if (net.isIPv4(bare)) return bare.startsWith("127.");
  return net.isIPv6(bare) && (bare === "::1" || bare === "0:0:0:0:0:0:0:1");
}

/**
 * The proxy for a URL from $HTTPS_PROXY / $HTTP_PROXY / $NO_PROXY (and their lower-case forms),
 * as Go's http.ProxyFromEnvironment decides it for kubectl: loopback addresses go direct.
 * Undefined: no proxy.
 */
export function proxyFromEnvironment(url: string): string | undefined {
  const target = new URL(url);
  if (isLoopback(target.hostname)) return undefined;
  return getProxyForUrl(url) || undefined;
}
