/**
 * Runs the real key, create, update and delete scripts with /bin/sh, against stand-in `kind` and
 * `docker` binaries that record their arguments (there is no Docker engine here), and checks the
 * files they leave. test/integration/controlPlane.test.ts runs the update against a real
 * kube-apiserver.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import {
  ENV,
  joinPem,
  kindCreateScript,
  kindDeleteScript,
  kindKeysCreateScript,
  kindKeysUpdateScript,
} from "../components/cluster/kindCommands";
import { KIND_KEY_FILES } from "../components/cluster/kindConfig";
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

/** Lists one running kube-apiserver container (none when FAKE_DOCKER_EMPTY is set). */
const FAKE_DOCKER = `#!/bin/sh
echo "$*" >> "$FAKE_DOCKER_LOG"
case "$4" in
  ps) [ -n "\${FAKE_DOCKER_EMPTY:-}" ] || case "$7" in "^kube-apiserver$") echo c0ffee ;; esac ;;
  stop) echo "$5" ;;
esac
`;

describe("kind create and delete scripts (run for real)", () => {
  let base: string;
  let stateDir: string;
  let env: Record<string, string>;
  const files = KIND_KEY_FILES;

  const run = (script: string, extra: Record<string, string> = {}) =>
    spawnSync("/bin/sh", ["-c", script], {
      env: { ...process.env, ...env, ...extra },
      encoding: "utf8",
    });
  /** The key command's create, then the cluster command's: what `pulumi up` runs first. */
  const create = (extra: Record<string, string> = {}) => {
    const keys = run(kindKeysCreateScript(files), extra);
    return keys.status === 0 ? run(kindCreateScript(files), extra) : keys;
  };

  beforeEach(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), "wi-kind-"));
    stateDir = path.join(base, ".wi", "dev", "wi-dev");
    const kind = path.join(base, "kind");
    fs.writeFileSync(kind, FAKE_KIND, { mode: 0o755 });
    const docker = path.join(base, "docker");
    fs.writeFileSync(docker, FAKE_DOCKER, { mode: 0o755 });
    env = {
      [ENV.clusterName]: "wi-dev",
      [ENV.stateDir]: stateDir,
      [ENV.kind]: kind,
      [ENV.config]: "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\n",
      [ENV.docker]: docker,
      [ENV.publicKey]: joinPem([fixture("signing.pub"), fixture("rotated.pub")]),
      [ENV.privateKey]: fixture("signing.key"),
      FAKE_KIND_LOG: path.join(base, "kind.log"),
      FAKE_DOCKER_LOG: path.join(base, "docker.log"),
    };
  });
  afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

  it("writes the keys owner-only and prints nothing but the kubeconfig", () => {
    const result = create();
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, "apiVersion: v1\nkind: Config\n# fake kubeconfig for wi-dev\n");
    assert.ok(!result.stdout.includes("PRIVATE") && !result.stderr.includes("PRIVATE"));

    assert.equal(fs.statSync(stateDir).mode & 0o777, 0o700);
    for (const f of ["sa.key", "sa.pub", "kind.yaml"]) {
      assert.equal(fs.statSync(path.join(stateDir, f)).mode & 0o777, 0o600, f);
    }
    assert.equal(fs.readFileSync(path.join(stateDir, "sa.key"), "utf8"), fixture("signing.key"));
    assert.equal(
      fs.readFileSync(path.join(stateDir, "sa.pub"), "utf8"),
      joinPem([fixture("signing.pub"), fixture("rotated.pub")]),
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
    const result = create({ XDG_STATE_HOME: stateHome });
    assert.equal(result.status, 0, result.stderr);
    const dir = path.join(stateHome, "azure-workload-identity", "kind", "wi-dev");
    assert.equal(fs.readFileSync(path.join(dir, "sa.key"), "utf8"), fixture("signing.key"));
    assert.match(fs.readFileSync(env.FAKE_KIND_LOG, "utf8"), new RegExp(`\\(in ${dir}\\)`));
    assert.equal(run(kindDeleteScript(), { XDG_STATE_HOME: stateHome }).status, 0);
    assert.equal(fs.existsSync(dir), false);
    // Without XDG_STATE_HOME: ~/.local/state, as the XDG base directory specification says.
    const home = path.join(base, "home");
    assert.equal(create({ HOME: home, XDG_STATE_HOME: "" }).status, 0);
    assert.ok(
      fs.existsSync(path.join(home, ".local/state/azure-workload-identity/kind/wi-dev/sa.pub")),
    );
  });

  it("keeps the secret out of the script text", () => {
    for (const script of [kindKeysCreateScript(files), kindKeysUpdateScript(files)]) {
      assert.ok(!script.includes("PRIVATE"));
      assert.match(script, /"\$WI_SA_KEY"/);
    }
    assert.doesNotMatch(kindCreateScript(files), /WI_SA_KEY/);
  });

  it("creates no cluster without the key files", () => {
    fs.mkdirSync(stateDir, { recursive: true });
    const result = run(kindCreateScript(files));
    assert.equal(result.status, 1);
    assert.match(result.stderr, /sa\.pub is missing in .*: the key command writes it/);
    assert.equal(fs.existsSync(env.FAKE_KIND_LOG), false, "kind must not have run");
  });

  it("a key update rewrites the files in place and restarts what reads them in the node", () => {
    assert.equal(create().status, 0);
    const inode = fs.statSync(path.join(stateDir, "sa.pub")).ino;
    // No API server answers here: the readiness wait gets a stand-in curl.
    const bin = path.join(base, "bin");
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, "curl"), "#!/bin/sh\nprintf ok\n", { mode: 0o755 });
    const rotated = {
      [ENV.publicKey]: joinPem([fixture("rotated.pub"), fixture("signing.pub")]),
      [ENV.privateKey]: fixture("rotated.key"),
      PATH: `${bin}:${process.env.PATH ?? ""}`,
    };
    const result = run(kindKeysUpdateScript(files), rotated);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(fs.readFileSync(path.join(stateDir, "sa.key"), "utf8"), fixture("rotated.key"));
    assert.equal(fs.statSync(path.join(stateDir, "sa.pub")).ino, inode, "the same file, rewritten");
    assert.equal(fs.statSync(path.join(stateDir, "sa.key")).mode & 0o777, 0o600);
    assert.deepEqual(fs.readFileSync(env.FAKE_DOCKER_LOG, "utf8").trim().split("\n"), [
      "exec wi-dev-control-plane crictl ps -q --name ^kube-apiserver$",
      "exec wi-dev-control-plane crictl stop c0ffee",
      "exec wi-dev-control-plane crictl ps -q --name ^kube-controller-manager$",
    ]);
    assert.match(fs.readFileSync(env.FAKE_KIND_LOG, "utf8"), /get kubeconfig --name wi-dev/);
  });

  it("a key update with nothing running to restart waits for nothing", () => {
    assert.equal(create().status, 0);
    const result = run(kindKeysUpdateScript(files), { FAKE_DOCKER_EMPTY: "1" });
    assert.equal(result.status, 0, result.stderr);
    assert.doesNotMatch(
      fs.readFileSync(env.FAKE_KIND_LOG, "utf8"),
      /get kubeconfig.*\n.*get kubeconfig/,
    );
  });

  it("deletes the cluster and then the state directory", () => {
    assert.equal(create().status, 0);
    const result = run(kindDeleteScript());
    assert.equal(result.status, 0, result.stderr);
    assert.equal(fs.existsSync(stateDir), false);
    assert.match(fs.readFileSync(env.FAKE_KIND_LOG, "utf8"), /delete cluster --name wi-dev/);
  });

  it("stops when kind fails, printing no kubeconfig", () => {
    const result = create({ [ENV.kind]: "/bin/false" });
    assert.notEqual(result.status, 0);
    assert.equal(result.stdout, "");
  });

  for (const dir of ["/", "/tmp", "relative/dir"]) {
    it(`refuses to touch the state directory ${JSON.stringify(dir)}`, () => {
      for (const script of [
        kindKeysCreateScript(files),
        kindKeysUpdateScript(files),
        kindCreateScript(files),
        kindDeleteScript(),
      ]) {
        const result = run(script, { [ENV.stateDir]: dir });
        assert.equal(result.status, 1);
        assert.match(result.stderr, /refusing state directory/);
      }
      assert.equal(fs.existsSync(env.FAKE_KIND_LOG), false, "kind must not have run");
    });
  }
});
