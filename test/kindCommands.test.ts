/**
 * Runs the real create and delete scripts with /bin/sh, against a stand-in `kind` binary that
 * records its arguments (there is no Docker engine here), and checks the files they leave.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import {
  ENV,
  joinPem,
  keyFileEnv,
  kindCreateScript,
  kindDeleteScript,
} from "../components/kindCommands";
import { kindKeyFiles } from "../components/kindConfig";
import { fixture } from "./helpers";

const FAKE_KIND = `#!/bin/sh
echo "$* (in $PWD)" >> "$FAKE_KIND_LOG"
case "$1 $2" in
  "create cluster") echo "Creating cluster ..." >&2 ;;
  "get kubeconfig") printf 'apiVersion: v1\\nkind: Config\\n# fake kubeconfig for %s\\n' "$4" ;;
  "delete cluster") echo "Deleting cluster ..." >&2 ;;
  *) echo "unexpected: $*" >&2; exit 3 ;;
esac
`;

describe("kind create and delete scripts (run for real)", () => {
  let base: string;
  let stateDir: string;
  let env: Record<string, string>;
  const files = kindKeyFiles("v1beta4", 1);

  const run = (script: string, extra: Record<string, string> = {}) =>
    spawnSync("/bin/sh", ["-c", script], {
      env: { ...process.env, ...env, ...extra },
      encoding: "utf8",
    });

  beforeEach(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), "wi-kind-"));
    stateDir = path.join(base, ".wi", "dev", "wi-dev");
    const kind = path.join(base, "kind");
    fs.writeFileSync(kind, FAKE_KIND, { mode: 0o755 });
    env = {
      [ENV.clusterName]: "wi-dev",
      [ENV.stateDir]: stateDir,
      [ENV.kind]: kind,
      [ENV.config]: "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\n",
      [ENV.publicKey]: fixture("signing.pub"),
      [ENV.privateKey]: fixture("signing.key"),
      [keyFileEnv(files[2])]: joinPem([fixture("rotated.pub")]),
      FAKE_KIND_LOG: path.join(base, "kind.log"),
    };
  });
  afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

  it("writes the keys owner-only and prints nothing but the kubeconfig", () => {
    const result = run(kindCreateScript(files));
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, "apiVersion: v1\nkind: Config\n# fake kubeconfig for wi-dev\n");
    assert.ok(!result.stdout.includes("PRIVATE") && !result.stderr.includes("PRIVATE"));

    assert.equal(fs.statSync(stateDir).mode & 0o777, 0o700);
    for (const f of ["sa.key", "sa.pub", "sa-extra-0.pub", "kind.yaml"]) {
      assert.equal(fs.statSync(path.join(stateDir, f)).mode & 0o777, 0o600, f);
    }
    assert.equal(fs.readFileSync(path.join(stateDir, "sa.key"), "utf8"), fixture("signing.key"));
    assert.equal(fs.readFileSync(path.join(stateDir, "sa.pub"), "utf8"), fixture("signing.pub"));
    assert.equal(
      fs.readFileSync(path.join(stateDir, "sa-extra-0.pub"), "utf8"),
      fixture("rotated.pub"),
    );
    assert.equal(fs.readFileSync(path.join(stateDir, "kind.yaml"), "utf8"), env[ENV.config]);

    // kind runs in the key folder: the configuration's relative hostPaths resolve there.
    const log = fs.readFileSync(env.FAKE_KIND_LOG, "utf8").trim().split("\n");
    assert.deepEqual(log, [
      `create cluster --name wi-dev --config kind.yaml --kubeconfig kubeconfig --wait 5m (in ${stateDir})`,
      `get kubeconfig --name wi-dev (in ${stateDir})`,
    ]);
  });

  it("by default keeps the folder under the user's state home, named after the cluster", () => {
    const stateHome = path.join(base, "state");
    env = Object.fromEntries(Object.entries(env).filter(([k]) => k !== ENV.stateDir));
    const result = run(kindCreateScript(files), { XDG_STATE_HOME: stateHome });
    assert.equal(result.status, 0, result.stderr);
    const dir = path.join(stateHome, "azure-workload-identity", "kind", "wi-dev");
    assert.equal(fs.readFileSync(path.join(dir, "sa.key"), "utf8"), fixture("signing.key"));
    assert.match(fs.readFileSync(env.FAKE_KIND_LOG, "utf8"), new RegExp(`\\(in ${dir}\\)`));
    assert.equal(run(kindDeleteScript(), { XDG_STATE_HOME: stateHome }).status, 0);
    assert.equal(fs.existsSync(dir), false);
    // Without XDG_STATE_HOME: ~/.local/state, as the XDG base directory specification says.
    const home = path.join(base, "home");
    assert.equal(run(kindCreateScript(files), { HOME: home, XDG_STATE_HOME: "" }).status, 0);
    assert.ok(
      fs.existsSync(path.join(home, ".local/state/azure-workload-identity/kind/wi-dev/sa.pub")),
    );
  });

  it("keeps the secret out of the script text", () => {
    const script = kindCreateScript(files);
    assert.ok(!script.includes("PRIVATE"));
    assert.match(script, /"\$WI_SA_KEY"/);
  });

  it("deletes the cluster and then the state directory", () => {
    assert.equal(run(kindCreateScript(files)).status, 0);
    const result = run(kindDeleteScript());
    assert.equal(result.status, 0, result.stderr);
    assert.equal(fs.existsSync(stateDir), false);
    assert.match(fs.readFileSync(env.FAKE_KIND_LOG, "utf8"), /delete cluster --name wi-dev/);
  });

  it("stops when kind fails, printing no kubeconfig", () => {
    const result = run(kindCreateScript(files), { [ENV.kind]: "/bin/false" });
    assert.notEqual(result.status, 0);
    assert.equal(result.stdout, "");
  });

  for (const dir of ["/", "/tmp", "relative/dir"]) {
    it(`refuses to touch the state directory ${JSON.stringify(dir)}`, () => {
      for (const script of [kindCreateScript(files), kindDeleteScript()]) {
        const result = run(script, { [ENV.stateDir]: dir });
        assert.equal(result.status, 1);
        assert.match(result.stderr, /refusing state directory/);
      }
      assert.equal(fs.existsSync(env.FAKE_KIND_LOG), false, "kind must not have run");
    });
  }
});
