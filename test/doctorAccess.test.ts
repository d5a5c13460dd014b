/**
 * How the doctor reaches the cluster and Azure, as the user's own tools do: which kubeconfig
 * (kubectl's order, a list merged as client-go merges it, --context), which proxy, and what it
 * says when the cluster or Resource Manager cannot be reached. Through the real client-node and
 * Azure SDK clients against closed ports; the passing paths run against a real API server, the
 * local Entra and a proxy in test/integration/controlPlane.test.ts.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import * as YAML from "yaml";

import { accessMapMermaid, brokenLinks, roleName } from "../cli/accessMap";
import { ArmClient, armCredential } from "../cli/doctor/arm";
import { nearMiss, oldTokenReaders } from "../cli/doctor/checks";
import { doctor } from "../cli/doctor/doctor";
import { KubeClient } from "../cli/doctor/kubeClient";
import { kubeconfigSource, mergeKubeconfigs } from "../cli/doctor/kubeconfig";
import { proxyFromEnvironment } from "../cli/doctor/proxy";
import { freePort } from "./harness/liveCloud";

function kubeconfigText(contexts: { name: string; server: string }[], current: string): string {
  return YAML.stringify({
    apiVersion: "v1",
    kind: "Config",
    "current-context": current,
    clusters: contexts.map((c) => ({ name: c.name, cluster: { server: c.server } })),
    contexts: contexts.map((c) => ({ name: c.name, context: { cluster: c.name, user: c.name } })),
    users: contexts.map((c) => ({ name: c.name, user: { token: `token-${c.name}` } })),
  });
}

/** Runs `fn` with environment variables set, then puts them back. */
async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>) {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const apply = (v: Record<string, string | undefined>) => {
    for (const [k, value] of Object.entries(v)) {
      if (value === undefined) delete process.env[k];
      else process.env[k] = value;
    }
  };
  apply(vars);
  try {
    return await fn();
  } finally {
    apply(saved);
  }
}

describe("doctor: which kubeconfig, as kubectl reads it", () => {
  const home = path.join(os.tmpdir(), "no-such-home");
  const homeConfig = path.join(home, ".kube", "config");

  it("--kubeconfig, else every existing file of $KUBECONFIG, else ~/.kube/config, else in-cluster", () => {
    const exists = (files: string[]) => (f: string) => files.includes(f);
    const env = { HOME: home, KUBECONFIG: ["/a", "/missing", "/b"].join(path.delimiter) };
    assert.deepEqual(kubeconfigSource("/x", env, exists(["/a"])), { kind: "files", files: ["/x"] });
    assert.deepEqual(kubeconfigSource(undefined, env, exists(["/a", "/b", homeConfig])), {
      kind: "files",
      files: ["/a", "/b"],
    });
    assert.deepEqual(kubeconfigSource(undefined, env, exists([homeConfig])), {
      kind: "none",
      looked: ["/a", "/missing", "/b"],
    });
    assert.deepEqual(kubeconfigSource(undefined, { HOME: home }, exists([homeConfig])), {
      kind: "files",
      files: [homeConfig],
    });
    const inPod = {
      HOME: home,
      KUBERNETES_SERVICE_HOST: "10.0.0.1",
      KUBERNETES_SERVICE_PORT: "443",
    };
    assert.deepEqual(kubeconfigSource(undefined, inPod, exists([])), { kind: "in-cluster" });
    assert.equal(kubeconfigSource(undefined, { HOME: home }, exists([])).kind, "none");
  });

  it("merges a list as client-go does: the first file to name a thing wins, and its current-context", () => {
    const file = (name: string, server: string, current: string) => ({
      clusters: [{ name, server }],
      users: [{ name }],
      contexts: [{ name, cluster: name }],
      currentContext: current,
    });
    const merged = mergeKubeconfigs([
      file("dev", "https://first", ""),
      file("dev", "https://second", "dev"),
      file("prod", "https://third", "prod"),
    ]);
    assert.deepEqual(merged.clusters, [
      { name: "dev", server: "https://first" },
      { name: "prod", server: "https://third" },
    ]);
    assert.equal(merged.currentContext, "dev");
  });

  it("loads the list and picks --context; a context it lacks is one line naming the ones it has", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wi-kubeconfig-"));
    const first = path.join(dir, "first");
    const second = path.join(dir, "second");
    fs.writeFileSync(first, kubeconfigText([{ name: "old", server: "https://old:6443" }], "old"));
    fs.writeFileSync(second, kubeconfigText([{ name: "dev", server: "https://dev:6443" }], "dev"));
    try {
      await withEnv({ KUBECONFIG: [first, second].join(path.delimiter) }, async () => {
        const current = await KubeClient.load();
        assert.deepEqual([current.context, current.server], ["old", "https://old:6443"]);
        const dev = await KubeClient.load({ context: "dev" });
        assert.deepEqual([dev.context, dev.server], ["dev", "https://dev:6443"]);
        await assert.rejects(KubeClient.load({ context: "prod" }), {
          name: "KubeconfigError",
          message: "the kubeconfig has no context prod (it has old, dev)",
        });
      });
      await assert.rejects(KubeClient.load({ kubeconfig: dir }), {
        message: `--kubeconfig: ${dir} is a directory; expected a file`,
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("doctor: which proxy", () => {
  const proxied = (url: string, env: Record<string, string | undefined>) =>
    withEnv(
      {
        HTTPS_PROXY: undefined,
        https_proxy: undefined,
        NO_PROXY: undefined,
        no_proxy: undefined,
        ...env,
      },
      () => Promise.resolve(proxyFromEnvironment(url)),
    );

  it("takes $HTTPS_PROXY (or https_proxy), honours NO_PROXY, and never proxies loopback", async () => {
    const proxy = "http://proxy.corp:3128";
    assert.equal(await proxied("https://aks.example:443", { HTTPS_PROXY: proxy }), proxy);
    assert.equal(await proxied("https://aks.example:443", { https_proxy: proxy }), proxy);
    assert.equal(
      await proxied("https://aks.example:443", { HTTPS_PROXY: proxy, NO_PROXY: ".example" }),
      undefined,
    );
    for (const local of [
      "https://127.0.0.1:6443",
      "https://localhost:6443",
      "https://[::1]:6443",
    ]) {
      assert.equal(await proxied(local, { HTTPS_PROXY: proxy }), undefined, local);
    }
    assert.equal(await proxied("https://aks.example:443", {}), undefined);
  });
});

describe("doctor: a cluster or Resource Manager it cannot reach", function () {
  // The Azure SDK retries a connection that fails (about 8 s in all) before it gives up.
  this.timeout(60_000);

  it("is one line each, naming the endpoint; the checks that need them are left out", async () => {
    const [kubePort, armPort, issuerPort] = await Promise.all([freePort(), freePort(), freePort()]);
    const kube = await KubeClient.fromKubeconfig(
      kubeconfigText([{ name: "dev", server: `https://127.0.0.1:${kubePort}` }], "dev"),
    );
    const arm = new ArmClient(`https://127.0.0.1:${armPort}`, "a-token");
    const identityId =
      "/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/reader";
    const report = await doctor(
      {
        issuerUrl: `https://127.0.0.1:${issuerPort}/`,
        identities: [
          { name: "reader", identityId, serviceAccounts: ["apps/reader", "apps/other"] },
        ],
      },
      { kube, arm },
    );
    const checks = report.results.map((r) => r.check);
    assert.deepEqual(checks, ["issuer discovery", "issuer jwks", "cluster", "azure"]);
    const [cluster, azure] = report.results.slice(2);
    assert.match(
      cluster.detail,
      new RegExp(
        `^the API server https://127\\.0\\.0\\.1:${kubePort} cannot be reached: connect ECONNREFUSED`,
      ),
    );
    assert.match(azure.detail, new RegExp(`^https://127\\.0\\.0\\.1:${armPort}: .*ECONNREFUSED`));
    for (const r of report.results) assert.doesNotMatch(r.detail, /\n/);
  });

  it("no Azure credential anywhere: one line naming each source DefaultAzureCredential tried", async () => {
    const credential = await withEnv(
      {
        AZURE_ACCESS_TOKEN: undefined,
        AZURE_CLIENT_ID: undefined,
        AZURE_TENANT_ID: undefined,
        AZURE_CLIENT_SECRET: undefined,
        AZURE_FEDERATED_TOKEN_FILE: undefined,
        IDENTITY_ENDPOINT: undefined,
        IDENTITY_HEADER: undefined,
        // An IMDS that refuses at once (off Azure, its address answers nothing at all).
        AZURE_POD_IDENTITY_AUTHORITY_HOST: `http://127.0.0.1:${await freePort()}`,
        PATH: path.dirname(process.execPath),
      },
      () => armCredential(),
    );
    const arm = new ArmClient(`https://127.0.0.1:${await freePort()}`, credential);
    const identityId =
      "/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/reader";
    await assert.rejects(
      withEnv({ PATH: path.dirname(process.execPath) }, () => arm.identity(identityId)),
      (err: Error) => {
        assert.match(err.message, /^no Azure credential: /);
        assert.match(err.message, /EnvironmentCredential/);
        assert.match(err.message, /Azure CLI/);
        assert.doesNotMatch(err.message, /\n/);
        return true;
      },
    );
  });
});

describe("doctor: near misses and old token readers", () => {
  const fic = (subject: string) => ({
    id: `/fic/${subject}`,
    name: subject.split(":").slice(2).join("-"),
    issuer: "https://issuer/",
    subject,
    audiences: ["api://AzureADTokenExchange"],
  });

  it("names the credential that nearly trusts a ServiceAccount, and how it differs", () => {
    const fics = [
      fic("system:serviceaccount:apps:Reader"),
      fic("system:serviceaccount:app:writer"),
      fic("system:serviceaccount:jobs:exporter"),
    ];
    assert.equal(nearMiss(fics, "apps", "reader")?.differs, "letter case");
    assert.deepEqual(
      [nearMiss(fics, "apps", "writer")?.differs, nearMiss(fics, "apps", "writer")?.fic.subject],
      ["namespace", "system:serviceaccount:app:writer"],
    );
    assert.deepEqual(
      [nearMiss(fics, "jobs", "exportr")?.differs, nearMiss(fics, "jobs", "exportr")?.fic.name],
      ["name", "jobs-exporter"],
    );
    assert.equal(nearMiss(fics, "billing", "api"), undefined);
  });

  it("finds the pre-v1.6.0 token path and Azure Identity SDKs too old to read the token file", () => {
    assert.deepEqual(oldTokenReaders({ name: "app", env: [{ name: "X", value: "1" }] }), []);
    assert.match(
      oldTokenReaders({
        name: "prometheus",
        args: ["--azure.token-file=/var/run/secrets/azure/tokens/azure-identity-token"],
      })[0],
      /reads the token at \/var\/run\/secrets\/azure\/tokens\//,
    );
    const pinned = oldTokenReaders({
      name: "app",
      command: ["sh", "-c", "pip install azure-identity==1.12.0 && python app.py"],
      env: [{ name: "NPM_INSTALL", value: "@azure/identity@3.2.0 @azure/identity@3.1.4" }],
    });
    assert.equal(pinned.length, 2, pinned.join("\n"));
    assert.match(pinned[0], /pins azure-identity \(Python\) 1\.12\.0, older than 1\.13\.0/);
    assert.match(pinned[1], /pins @azure\/identity 3\.1\.4, older than 3\.2\.0/);
    // The current mount path is not an old one.
    assert.deepEqual(
      oldTokenReaders({
        name: "app",
        volumeMounts: [
          { name: "azure-identity-token", mountPath: "/var/run/secrets/azure/wi/token" },
        ],
      }),
      [],
    );
  });
});

describe("the access map", () => {
  const map = {
    issuer: "https://acct.z6.web.core.windows.net/",
    cluster: "kind-wi-dev",
    identities: [
      {
        name: "reader",
        serviceAccounts: ["apps/reader", "apps/shared"],
        roles: [
          {
            scope: "/subscriptions/s/resourceGroups/g/providers/Microsoft.KeyVault/vaults/v",
            roleDefinitionId:
              "/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6",
          },
        ],
      },
      { name: "writer", serviceAccounts: ["apps/shared"], roles: [] },
    ],
  };

  it("links issuer, cluster, each ServiceAccount once, identities and roles by name", () => {
    assert.equal(
      accessMapMermaid(map),
      [
        "flowchart LR",
        '  i0["issuer https://acct.z6.web.core.windows.net/"]',
        '  c1["cluster kind-wi-dev"]',
        "  i0 -->|signs tokens| c1",
        '  id2["identity reader"]',
        '  sa3["ServiceAccount apps/reader"]',
        "  c1 --> sa3",
        "  sa3 -->|federated credential| id2",
        '  sa4["ServiceAccount apps/shared"]',
        "  c1 --> sa4",
        "  sa4 -->|federated credential| id2",
        '  s5["…/vaults/v"]',
        "  id2 -->|Key Vault Secrets User| s5",
        '  id6["identity writer"]',
        "  sa4 -->|federated credential| id6",
        "",
      ].join("\n"),
    );
  });

  it("marks the links the doctor's failures break, in red", () => {
    const broken = brokenLinks([
      { check: "federated credential writer apps/shared" },
      { check: "token apps/reader" },
    ]);
    const mermaid = accessMapMermaid(map, broken);
    assert.match(mermaid, /c1 -->\|FAIL\| sa3/);
    assert.match(mermaid, /sa4 -->\|FAIL federated credential\| id6/);
    assert.match(mermaid, /linkStyle 1 stroke:#d00/);
    assert.match(mermaid, /linkStyle 6 stroke:#d00/);
    assert.equal((mermaid.match(/linkStyle/g) ?? []).length, 2);
  });

  it("names a custom role by its GUID, and escapes what would end a label", () => {
    assert.equal(roleName("/providers/Microsoft.Authorization/roleDefinitions/0000"), "0000");
    const odd = accessMapMermaid({ issuer: 'https://x/"<a>', identities: [] });
    assert.match(odd, /issuer https:\/\/x\/#quot;#lt;a#gt;/);
  });
});
