import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as containerservice from "@pulumi/azure-native/containerservice";

import { KindOrAksClusterArgs, ResolvedAks, ResolvedKind, resolveClusterArgs } from "./clusterArgs";
import { canonicalIssuer } from "../issuer/issuerUrl";
import {
  ENV,
  joinPem,
  kindCreateScript,
  kindDeleteScript,
  kindKeysCreateScript,
  kindKeysUpdateScript,
} from "./kindCommands";
import { KIND_KEY_FILES, kindClusterName, renderKindConfig } from "./kindConfig";
import { normalizePublicKeyPem } from "../issuer/keys";

/**
 * A cluster whose service-account tokens Entra can trust: Kind signing with our key under our
 * issuer, or AKS with its managed issuer and the workload identity add-on.
 */
export class KindOrAksCluster extends pulumi.ComponentResource {
  /** `kind` or `aks`, as given. */
  public readonly flavor: "kind" | "aks";
  /** The cluster's name: the kind cluster's, or the AKS managed cluster's Azure name. */
  public readonly clusterName: pulumi.Output<string>;
  /** The issuer the API server stamps into tokens: byte-equal to the one given (Kind), or AKS's. */
  public readonly issuerUrl: pulumi.Output<string>;
  /** Admin kubeconfig; always a secret. */
  public readonly kubeconfig: pulumi.Output<string>;
  /** A Kubernetes provider for this cluster, for everything that goes into it. */
  public readonly provider: k8s.Provider;
  /** Kind only: the rendered kind configuration (no secrets in it: keys are mounted files). */
  public readonly kindConfig: pulumi.Output<string> | undefined;

  constructor(name: string, args: KindOrAksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    const cfg = resolveClusterArgs(name, args);
    super("azure-wi:index:KindOrAksCluster", name, {}, opts);
    this.flavor = cfg.flavor;
    if (cfg.flavor === "kind") for (const w of cfg.warnings) void pulumi.log.warn(w, this);

    const built = cfg.flavor === "kind" ? this.kind(name, cfg) : this.aks(name, cfg, args);
    this.clusterName = built.clusterName;
    this.issuerUrl = built.issuerUrl;
    this.kubeconfig = pulumi.secret(built.kubeconfig);
    this.kindConfig = built.kindConfig;
    this.provider = new k8s.Provider(
      `${name}-k8s`,
      { kubeconfig: this.kubeconfig },
      { parent: this },
    );

    this.registerOutputs({
      clusterName: this.clusterName,
      issuerUrl: this.issuerUrl,
      kubeconfig: this.kubeconfig,
      kindConfig: this.kindConfig,
    });
  }

  private kind(name: string, cfg: ResolvedKind) {
    const issuerUrl = pulumi.output(cfg.issuerUrl).apply((u) => canonicalIssuer(u, "issuerUrl"));
    const kindConfig = issuerUrl.apply((issuer) =>
      renderKindConfig({
        issuerUrl: issuer,
        version: cfg.version,
        nodeImage: cfg.nodeImage,
        workerCount: cfg.workerCount,
      }),
    );
    // One file holds every accepted public key, the signing key's first. kube-apiserver reads
    // PKIX public keys only (normalizePublicKeyPem rewrites PKCS#1 ones).
    const publicKeyFile = pulumi
      .all([cfg.publicKeyPem, pulumi.output(cfg.additionalPublicKeysPem)])
      .apply(([signing, others]) =>
        joinPem([
          normalizePublicKeyPem(signing, "signingKey.publicKeyPem"),
          ...others.map((pem, i) => normalizePublicKeyPem(pem, `additionalPublicKeysPem[${i}]`)),
        ]),
      );
    // A new name for every new make-up of the cluster, keys aside (see kindClusterName).
    const kindName = kindConfig.apply((config) => kindClusterName(cfg.clusterName, [config]));
    const where: Record<string, pulumi.Input<string>> = {
      [ENV.clusterName]: kindName,
      ...(cfg.stateDir !== undefined ? { [ENV.stateDir]: cfg.stateDir } : {}),
      [ENV.kind]: cfg.kindBinary,
    };
    // The keys: written before the cluster exists; on a change, rewritten in the running cluster
    // (its update step restarts what reads them), so a rotation never recreates the cluster. A
    // new cluster name (a new cluster) writes them afresh in the new cluster's folder; the old
    // folder goes with the old cluster.
    const keys = new command.local.Command(
      `${name}-kind-keys`,
      {
        create: kindKeysCreateScript(KIND_KEY_FILES),
        update: kindKeysUpdateScript(KIND_KEY_FILES),
        interpreter: ["/bin/sh", "-c"],
        environment: {
          ...where,
          [ENV.docker]: cfg.dockerBinary,
          [ENV.publicKey]: publicKeyFile,
          // The private key travels only as a secret value: encrypted in state, masked in logs.
          [ENV.privateKey]: pulumi.secret(cfg.privateKeyPem),
        },
        triggers: [kindName],
        logging: "stderr",
      },
      { parent: this },
    );
    const cluster = new command.local.Command(
      `${name}-kind`,
      {
        create: kindCreateScript(KIND_KEY_FILES),
        delete: kindDeleteScript(),
        interpreter: ["/bin/sh", "-c"],
        environment: { ...where, [ENV.config]: kindConfig },
        // stdout is the kubeconfig: never logged, stored only as a secret.
        logging: "stderr",
      },
      {
        parent: this,
        dependsOn: [keys],
        additionalSecretOutputs: ["stdout"],
        // kind cannot reconfigure a running cluster: any change makes a new one. It is created
        // before the old one is deleted (it has a new name, see kindClusterName), so the old
        // cluster still answers while what ran in it is deleted. Deleting it first broke every
        // such update: the engine then deleted the in-cluster resources through a Kubernetes
        // provider it had already replaced and unloaded ("grpc: the client connection is
        // closing"), and every retry failed the same way.
        replaceOnChanges: ["*"],
      },
    );
    // The issuer output waits for the cluster, so consumers order after it.
    return {
      clusterName: pulumi.all([kindName, cluster.id]).apply(([n]) => n),
      issuerUrl: pulumi.all([issuerUrl, cluster.id]).apply(([u]) => u),
      kubeconfig: cluster.stdout,
      kindConfig: kindConfig as pulumi.Output<string> | undefined,
    };
  }

  private aks(name: string, cfg: ResolvedAks, args: KindOrAksClusterArgs) {
    const cluster = new containerservice.ManagedCluster(
      `${name}-aks`,
      {
        resourceGroupName: cfg.resourceGroupName,
        resourceName: cfg.clusterName,
        location: args.location,
        dnsPrefix: cfg.clusterName,
        kubernetesVersion: cfg.kubernetesVersion,
        identity: { type: "SystemAssigned" },
        enableRBAC: true,
        agentPoolProfiles: [
          {
            name: "system",
            mode: "System",
            count: cfg.nodeCount,
            vmSize: cfg.vmSize,
            osType: "Linux",
            type: "VirtualMachineScaleSets",
          },
        ],
        oidcIssuerProfile: { enabled: true },
        securityProfile: { workloadIdentity: { enabled: true } },
        tags: args.tags,
      },
      { parent: this },
    );
    const credentials = containerservice.listManagedClusterUserCredentialsOutput(
      { resourceGroupName: cfg.resourceGroupName, resourceName: cluster.name },
      { parent: this },
    );
    const kubeconfig = credentials.kubeconfigs.apply((configs) => {
      if (configs.length === 0)
        throw new Error(`AKS returned no user kubeconfig for ${cfg.clusterName}`);
      return Buffer.from(configs[0].value, "base64").toString("utf8");
    });
    return {
      clusterName: cluster.name,
      issuerUrl: cluster.oidcIssuerProfile.apply((p) =>
        canonicalIssuer(p?.issuerURL, "oidcIssuerProfile.issuerURL"),
      ),
      kubeconfig,
      kindConfig: undefined,
    };
  }
}
