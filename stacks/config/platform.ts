/**
 * Where the stack runs and what it runs on: flavor, region, resource group, the cluster (its
 * name, Kubernetes version, kind's node image and workers, AKS's pool), the issuer's hosting,
 * the webhook, the token lifetime and the demo workload. Values Azure or kind would refuse later
 * are refused here where the rule is stable; where it is not, they come back as warnings.
 */
import { InvalidArgumentError } from "../../components/shared/errors";
import {
  ClusterFlavor,
  FLAVORS,
  validateImageReference,
  validateVmSize,
} from "../../components/cluster/clusterArgs";
import { checkAksVersion, checkKindVersion } from "../../components/cluster/clusterVersions";
import { parseKubernetesVersion, validateDns1123Label } from "../../components/shared/kubernetes";
import { checkRegion } from "../../components/shared/regions";
import {
  HOSTINGS,
  Hosting,
  validateAccountNamePrefix,
  validateStorageAccountName,
} from "../../components/issuer/storage";
import { validateResourceGroupName } from "../../components/shared/azureNames";
import {
  LOG_LEVELS,
  LogLevel,
  validateChartRepository,
} from "../../components/webhook/webhookValues";
import {
  MAX_TOKEN_EXPIRATION,
  MIN_TOKEN_EXPIRATION,
} from "../../components/identity/workloadIdentityNames";
import { ConfigKey } from "./keys";
import { Raw, bool, fail, int, oneOf, onlyWith, str } from "./raw";

export interface PlatformConfig {
  flavor: ClusterFlavor;
  location: string;
  resourceGroupName: string | undefined;
  clusterName: string;
  kubernetesVersion: string | undefined;
  kindNodeImage: string | undefined;
  kindWorkerCount: number;
  aksNodeCount: number;
  aksVmSize: string;
  issuerHosting: Hosting;
  /** The issuer's storage account takes the account key; false: Entra writes only. */
  storageSharedKeyAccess: boolean;
  /** An account made elsewhere that the issuer publishes in, instead of its own. */
  existingStorageAccount: { name: string; resourceGroupName: string } | undefined;
  storageAccountPrefix: string;
  allowEarlyKeyRetirement: boolean;
  /** For one up: start a new key ledger when the previous one cannot be read. */
  resetKeyLedger: boolean;
  webhookChartVersion: string;
  webhookRepository: string;
  webhookReplicaCount: number;
  webhookLogLevel: LogLevel;
  tokenExpirationSeconds: number;
  demoWorkload: boolean;
  demoImage: string;
}

export const KIND_ONLY: readonly ConfigKey[] = [
  "kindNodeImage",
  "kindWorkerCount",
  "issuerHosting",
  "storageSharedKeyAccess",
  "storageAccountName",
  "storageAccountResourceGroup",
  "storageAccountPrefix",
  "signingKeyBits",
  "signingPublicKeyPem",
  "signingPrivateKeyPem",
  "additionalPublicKeys",
  "signingKeys",
  "signingKey",
  "allowEarlyKeyRetirement",
  "resetKeyLedger",
  "webhookChartVersion",
  "webhookRepository",
  "webhookReplicaCount",
  "webhookLogLevel",
];
const AKS_ONLY: readonly ConfigKey[] = ["aksNodeCount", "aksVmSize"];

/** The cluster's Kubernetes version and, on kind, its node image, checked against each other. */
function clusterVersion(raw: Raw, flavor: ClusterFlavor, warnings: string[]) {
  const kubernetesVersion = str(raw, "kubernetesVersion");
  const kindNodeImage = str(raw, "kindNodeImage");
  if (kindNodeImage !== undefined) validateImageReference(kindNodeImage, "kindNodeImage");
  if (kubernetesVersion !== undefined) {
    const version = parseKubernetesVersion(
      kubernetesVersion,
      "kubernetesVersion",
      flavor === "kind",
    );
    if (flavor === "aks") checkAksVersion(version, "kubernetesVersion", kubernetesVersion);
    else {
      const warning = checkKindVersion(version, kindNodeImage, {
        version: "kubernetesVersion",
        image: "kindNodeImage",
      });
      if (warning) warnings.push(warning);
    }
  }
  return { kubernetesVersion, kindNodeImage };
}

/** storageAccountName and storageAccountResourceGroup: both or neither, and nothing beside them
 * that only an account of the issuer's own would use. */
function existingStorageAccount(raw: Raw): PlatformConfig["existingStorageAccount"] {
  const name = str(raw, "storageAccountName");
  const resourceGroupName = str(raw, "storageAccountResourceGroup");
  if (name === undefined && resourceGroupName === undefined) return undefined;
  if (name === undefined) {
    fail(
      "storageAccountName",
      "",
      "set it beside storageAccountResourceGroup: the existing account's name",
    );
  }
  if (resourceGroupName === undefined) {
    fail(
      "storageAccountResourceGroup",
      "",
      "set it beside storageAccountName: the existing account's resource group",
    );
  }
  validateStorageAccountName(name, "storageAccountName");
  validateResourceGroupName(resourceGroupName, "storageAccountResourceGroup");
  onlyWith(
    raw,
    ["storageAccountPrefix", "storageSharedKeyAccess"],
    "not used with storageAccountName: the issuer makes no account and writes with Entra auth in an existing one",
  );
  return { name, resourceGroupName };
}

export function parsePlatform(raw: Raw, stack: string, warnings: string[]): PlatformConfig {
  const flavor = oneOf(raw, "flavor", FLAVORS);
  onlyWith(
    raw,
    flavor === "aks" ? KIND_ONLY : AKS_ONLY,
    `not used with flavor "${flavor}"; remove it from the stack file`,
  );
  const region = checkRegion(str(raw, "location"), "location");
  if (region.warning) warnings.push(region.warning);
  const resourceGroupName = str(raw, "resourceGroupName");
  if (resourceGroupName !== undefined)
    validateResourceGroupName(resourceGroupName, "resourceGroupName");
  const clusterName = str(raw, "clusterName") ?? `wi-${stack}`.toLowerCase();
  validateDns1123Label(clusterName, "clusterName", 40);
  const webhookChartVersion = str(raw, "webhookChartVersion") ?? "";
  if (!/^\d+\.\d+\.\d+$/.test(webhookChartVersion))
    fail(
      "webhookChartVersion",
      webhookChartVersion,
      "expected an exact chart version such as 1.6.0",
    );
  const demoImage = str(raw, "demoImage") ?? "";
  if (!/^[a-z0-9][a-z0-9._/:@-]*$/.test(demoImage))
    fail("demoImage", demoImage, "expected an image reference");
  return {
    flavor,
    location: region.region,
    resourceGroupName,
    clusterName,
    ...clusterVersion(raw, flavor, warnings),
    kindWorkerCount: int(raw, "kindWorkerCount", 0, 10),
    aksNodeCount: int(raw, "aksNodeCount", 1, 100),
    aksVmSize: validateVmSize(str(raw, "aksVmSize"), "aksVmSize"),
    issuerHosting: oneOf(raw, "issuerHosting", HOSTINGS),
    storageSharedKeyAccess: bool(raw, "storageSharedKeyAccess"),
    existingStorageAccount: existingStorageAccount(raw),
    storageAccountPrefix: validateAccountNamePrefix(
      str(raw, "storageAccountPrefix"),
      "storageAccountPrefix",
    ),
    allowEarlyKeyRetirement: bool(raw, "allowEarlyKeyRetirement"),
    resetKeyLedger: bool(raw, "resetKeyLedger"),
    webhookChartVersion,
    webhookRepository: validateChartRepository(str(raw, "webhookRepository"), "webhookRepository"),
    webhookReplicaCount: int(raw, "webhookReplicaCount", 1, 10),
    webhookLogLevel: oneOf(raw, "webhookLogLevel", LOG_LEVELS),
    tokenExpirationSeconds: int(
      raw,
      "tokenExpirationSeconds",
      MIN_TOKEN_EXPIRATION,
      MAX_TOKEN_EXPIRATION,
    ),
    demoWorkload: bool(raw, "demoWorkload"),
    demoImage,
  };
}

/** A demo pod needs an identity whose ServiceAccount the stack creates. */
export function checkDemo(demo: boolean, anyCreated: boolean): void {
  if (demo && !anyCreated) {
    throw new InvalidArgumentError(
      "demoWorkload",
      "true",
      "needs at least one identity with a ServiceAccount the stack creates",
    );
  }
}
