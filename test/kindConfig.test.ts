import * as assert from "node:assert/strict";

import * as YAML from "yaml";

import { kubeadmShape, renderKindConfig } from "../components/cluster/kindConfig";
import { parseKubernetesVersion } from "../components/shared/kubernetes";

const ISSUER = "https://oidcab12cd34.z6.web.core.windows.net/";

interface Node {
  role: string;
  image: string;
  extraMounts?: { hostPath: string; containerPath: string; readOnly: boolean }[];
  kubeadmConfigPatches?: string[];
}

type ExtraArgs = Record<string, string> | { name: string; value: string }[];
interface Patch {
  kind: string;
  apiVersion?: string;
  apiServer: { extraArgs: ExtraArgs };
  controllerManager: { extraArgs: ExtraArgs };
}

function render(version: string, workerCount = 0) {
  const text = renderKindConfig({
    issuerUrl: ISSUER,
    version: parseKubernetesVersion(version, "v", true),
    nodeImage: `kindest/node:v${version}`,
    workerCount,
  });
  const doc = YAML.parse(text) as { kind: string; apiVersion: string; nodes: Node[] };
  const patches = (doc.nodes[0].kubeadmConfigPatches ?? []).map((p) => YAML.parse(p) as Patch);
  return { text, doc, patches };
}

describe("kind configuration", () => {
  it("picks the kubeadm shape kind uses for the version", () => {
    assert.equal(kubeadmShape(parseKubernetesVersion("1.34.0")), "v1beta3");
    assert.equal(kubeadmShape(parseKubernetesVersion("1.35.2")), "v1beta3");
    assert.equal(kubeadmShape(parseKubernetesVersion("1.36.0")), "v1beta4");
    assert.equal(kubeadmShape(parseKubernetesVersion("v1.37.1")), "v1beta4");
  });

  describe("v1beta3 (Kubernetes 1.34)", () => {
    const { doc, patches } = render("1.34.0", 2);

    it("is a kind Cluster with one control plane and the workers asked for", () => {
      assert.equal(doc.kind, "Cluster");
      assert.equal(doc.apiVersion, "kind.x-k8s.io/v1alpha4");
      assert.deepEqual(
        doc.nodes.map((n) => [n.role, n.image]),
        [
          ["control-plane", "kindest/node:v1.34.0"],
          ["worker", "kindest/node:v1.34.0"],
          ["worker", "kindest/node:v1.34.0"],
        ],
      );
    });

    it("mounts both key files read-only where kubeadm expects them, by relative paths", () => {
      assert.deepEqual(doc.nodes[0].extraMounts, [
        {
          hostPath: "sa.pub",
          containerPath: "/etc/kubernetes/pki/sa.pub",
          readOnly: true,
        },
        {
          hostPath: "sa.key",
          containerPath: "/etc/kubernetes/pki/sa.key",
          readOnly: true,
        },
      ]);
      assert.equal(doc.nodes[1].extraMounts, undefined, "workers get no keys");
    });

    it("sets the API server and controller manager flags as maps", () => {
      assert.equal(patches.length, 1);
      assert.deepEqual(patches[0], {
        kind: "ClusterConfiguration",
        apiServer: {
          extraArgs: {
            "service-account-issuer": ISSUER,
            "service-account-jwks-uri": `${ISSUER}openid/v1/jwks`,
            "service-account-key-file": "/etc/kubernetes/pki/sa.pub",
            "service-account-signing-key-file": "/etc/kubernetes/pki/sa.key",
          },
        },
        controllerManager: {
          extraArgs: { "service-account-private-key-file": "/etc/kubernetes/pki/sa.key" },
        },
      });
    });

    it("carries the issuer byte for byte", () => {
      const issuer = (patches[0].apiServer.extraArgs as Record<string, string>)[
        "service-account-issuer"
      ];
      assert.equal(Buffer.compare(Buffer.from(issuer), Buffer.from(ISSUER)), 0);
    });

    it("mounts the two key files; every accepted key is in sa.pub", () => {
      const { doc: d, patches: p } = render("1.35.0");
      assert.equal(d.nodes[0].extraMounts?.length, 2);
      assert.equal(
        (p[0].apiServer.extraArgs as Record<string, string>)["service-account-key-file"],
        "/etc/kubernetes/pki/sa.pub",
      );
    });
  });

  describe("v1beta4 (Kubernetes 1.36)", () => {
    const { doc, patches } = render("1.36.1");

    it("mounts the same two key files in every rotation phase", () => {
      assert.deepEqual(
        doc.nodes[0].extraMounts?.map((m) => [m.hostPath.split("/").pop(), m.containerPath]),
        [
          ["sa.pub", "/etc/kubernetes/pki/sa.pub"],
          ["sa.key", "/etc/kubernetes/pki/sa.key"],
        ],
      );
    });

    it("lists each flag once in the merge patch", () => {
      assert.deepEqual(patches[0].apiServer.extraArgs, [
        { name: "service-account-issuer", value: ISSUER },
        { name: "service-account-jwks-uri", value: `${ISSUER}openid/v1/jwks` },
        { name: "service-account-key-file", value: "/etc/kubernetes/pki/sa.pub" },
        { name: "service-account-signing-key-file", value: "/etc/kubernetes/pki/sa.key" },
      ]);
      assert.deepEqual(patches[0].controllerManager.extraArgs, [
        { name: "enable-hostpath-provisioner", value: "true" },
        { name: "service-account-private-key-file", value: "/etc/kubernetes/pki/sa.key" },
      ]);
    });

    it("needs no RFC 6902 patch: the flags are the same whatever the keys", () => {
      const node = doc.nodes[0] as unknown as Record<string, unknown>;
      assert.equal(node.kubeadmConfigPatchesJSON6902, undefined);
    });

    it("names no kubeadm apiVersion, so kind cannot skip the patch", () => {
      assert.equal(patches[0].apiVersion, undefined);
    });
  });

  it("never folds a long issuer across lines", () => {
    const long = `https://${"a".repeat(150)}.example.com/issuer/path/`;
    const text = renderKindConfig({
      issuerUrl: long,
      version: parseKubernetesVersion("1.34.0"),
      nodeImage: "kindest/node:v1.34.0",
      workerCount: 0,
    });
    const patch = YAML.parse(
      (YAML.parse(text) as { nodes: Node[] }).nodes[0].kubeadmConfigPatches![0],
    ) as {
      apiServer: { extraArgs: Record<string, string> };
    };
    assert.equal(patch.apiServer.extraArgs["service-account-issuer"], long);
    assert.ok(text.includes(long));
  });
});
