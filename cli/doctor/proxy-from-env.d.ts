// proxy-from-env 2.x ships no declarations (its @types package describes 1.x).
declare module "proxy-from-env" {
  /** The proxy URL for `url` from *_PROXY and NO_PROXY, or "" for a direct connection. */
  export function getProxyForUrl(url: string | URL): string;
}
