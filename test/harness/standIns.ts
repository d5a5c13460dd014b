/**
 * What sits between a user's tools and the cloud on their machine, stood in for the doctor's
 * tests: a corporate HTTPS proxy, and the Azure CLI's login. The real `az` (Debian's azure-cli)
 * installs here but cannot sign in without login.microsoftonline.com, so the stand-in answers
 * `az account get-access-token` as a signed-in CLI does, with a token of the local Entra.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";

import { LiveCloud, SIMULATED_TENANT } from "./liveCloud";

export interface ConnectProxy {
  url: string;
  /** Every `host:port` a client asked to be connected to. */
  seen: Set<string>;
  close(): Promise<void>;
}

/**
 * An HTTPS proxy (HTTP CONNECT) that resolves every name to 127.0.0.1: names such as
 * cluster.wi.test reach the local cloud only through it, so a client that ignores the proxy
 * fails instead of passing by.
 */
export async function connectProxy(): Promise<ConnectProxy> {
  const seen = new Set<string>();
  const sockets = new Set<net.Socket>();
  const server = http.createServer((_req, res) => res.writeHead(405).end());
  server.on("connect", (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    const target = req.url ?? "";
    seen.add(target);
    const port = Number(/:(\d+)$/.exec(target)?.[1]);
    const upstream = net.connect(port, "127.0.0.1", () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
    }
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * Writes an `az` that answers `az account get-access-token --resource R` as the tests' app
 * registration signed in with `az login --service-principal` would (a token of the local Entra
 * for R), or, `loggedOut`, as a CLI nobody signed in to.
 */
export function writeAzStandIn(file: string, cloud: LiveCloud, loggedOut: boolean): void {
  const script = `#!${process.execPath}
const args = process.argv.slice(2);
if (${loggedOut}) {
  console.error("ERROR: Please run 'az login' to setup account.");
  process.exit(1);
}
if (args[0] !== "account" || args[1] !== "get-access-token" || !args.includes("--resource")) {
  console.error("az stand-in: only account get-access-token --resource is served: " + args.join(" "));
  process.exit(2);
}
const resource = args[args.indexOf("--resource") + 1];
const form = new URLSearchParams({
  grant_type: "client_credentials",
  client_id: ${JSON.stringify(cloud.app.clientId)},
  client_secret: ${JSON.stringify(cloud.app.secret)},
  scope: resource.replace(/\\/$/, "") + "/.default",
});
fetch(${JSON.stringify(`${cloud.armEndpoint}/${SIMULATED_TENANT}/oauth2/v2.0/token`)}, { method: "POST", body: form })
  .then(async (res) => {
    const body = await res.json();
    if (!res.ok) throw new Error(body.error_description);
    const expires = Math.floor(Date.now() / 1000) + body.expires_in;
    process.stdout.write(JSON.stringify({
      accessToken: body.access_token,
      expiresOn: new Date(expires * 1000).toISOString().replace("T", " ").slice(0, 26),
      expires_on: expires,
      subscription: "00000000-0000-4000-8000-000000000001",
      tenant: ${JSON.stringify(SIMULATED_TENANT)},
      tokenType: "Bearer",
    }, null, 2) + "\\n");
  })
  .catch((err) => {
    console.error("ERROR: " + err.message);
    process.exit(1);
  });
`;
  fs.writeFileSync(file, script, { mode: 0o755 });
}
