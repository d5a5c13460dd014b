/**
 * The rendered kind configurations, put through kind's own code (kind v0.33.0, fetched from the
 * Go module proxy): kind's strict loader must accept them, and the kubeadm ClusterConfiguration
 * kind generates and patches from them must carry our flags, once each, beside kind's own.
 * This is how a v1beta4 bug was found: kind merges extraArgs lists by name, so a flag repeated in
 * a merge patch overwrote the signing key's file.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import * as YAML from "yaml";

import { renderKindConfig } from "../components/cluster/kindConfig";
import { parseKubernetesVersion } from "../components/shared/kubernetes";

const ROOT = path.resolve(__dirname, "..");
const ISSUER = "https://oidcab12cd34.z6.web.core.windows.net/";
const PKI = "/etc/kubernetes/pki";

type Args = Record<string, string> | { name: string; value: string }[];
interface ClusterConfiguration {
  kind: string;
  apiVersion: string;
  apiServer: { extraArgs: Args };
  controllerManager: { extraArgs: Args };
}

/** Flags as [name, value] pairs, whichever shape kubeadm uses. */
function flags(args: Args): [string, string][] {
  return Array.isArray(args) ? args.map((a) => [a.name, a.value]) : Object.entries(args);
}

const values = (args: Args, name: string) =>
  flags(args)
    .filter(([n]) => n === name)
    .map(([, v]) => v);

describe("kind's own code accepts and applies the rendered configuration", function () {
  this.timeout(300000);
  const cases = [{ version: "1.34.0" }, { version: "1.36.1" }, { version: "1.37.0" }];
  let dir: string;
  const result = new Map<string, ClusterConfiguration>();

  before(function () {
    const go = spawnSync("go", ["version"], { encoding: "utf8" });
    if (go.status !== 0) {
      // CI (and anyone with Go) runs it; without Go it cannot, and says so.
      if (process.env.CI) throw new Error("Go is needed for this check and is missing");
      console.warn("    (Go not found: kind's own check is not run)");
      this.skip();
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "wi-kind-check-"));
    for (const c of cases) {
      const name = c.version;
      fs.writeFileSync(
        path.join(dir, `${name}.kind.yaml`),
        renderKindConfig({
          issuerUrl: ISSUER,
          version: parseKubernetesVersion(c.version),
          nodeImage: `kindest/node:v${c.version}`,
          workerCount: 1,
        }),
      );
    }
    const run = spawnSync(path.join(ROOT, "test", "kind", "verify-kind.sh"), [dir], {
      encoding: "utf8",
    });
    assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
    for (const c of cases) {
      const name = c.version;
      const docs = YAML.parseAllDocuments(
        fs.readFileSync(path.join(dir, `${name}.kubeadm.yaml`), "utf8"),
      );
      const cc = docs
        .map((d) => d.toJS() as ClusterConfiguration)
        .find((d) => d.kind === "ClusterConfiguration");
      assert.ok(cc, `${name}: no ClusterConfiguration`);
      result.set(name, cc);
    }
  });
  after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

  for (const c of cases) {
    const name = c.version;
    it(`${c.version}: our flags, once each, beside kind's`, () => {
      const cc = result.get(name)!;
      assert.equal(
        cc.apiVersion,
        c.version === "1.34.0" ? "kubeadm.k8s.io/v1beta3" : "kubeadm.k8s.io/v1beta4",
      );
      const api = cc.apiServer.extraArgs;
      assert.deepEqual(values(api, "service-account-issuer"), [ISSUER]);
      assert.deepEqual(values(api, "service-account-jwks-uri"), [`${ISSUER}openid/v1/jwks`]);
      assert.deepEqual(values(api, "service-account-signing-key-file"), [`${PKI}/sa.key`]);
      // One file, holding every accepted key: the same flags in every rotation phase.
      assert.deepEqual(values(api, "service-account-key-file"), [`${PKI}/sa.pub`]);
      assert.deepEqual(values(api, "runtime-config"), [""], "kind's own API server flag is kept");
      const cm = cc.controllerManager.extraArgs;
      assert.deepEqual(values(cm, "service-account-private-key-file"), [`${PKI}/sa.key`]);
      assert.deepEqual(
        values(cm, "enable-hostpath-provisioner"),
        ["true"],
        "kind's own flag is kept",
      );
    });
  }
});
