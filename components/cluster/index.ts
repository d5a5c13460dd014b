/**
 * The cluster that signs tokens: kind with the issuer's key, or AKS with its managed issuer.
 */
export { KindOrAksCluster } from "./kindOrAksCluster";
export type {
  AksClusterArgs,
  ClusterFlavor,
  KindClusterArgs,
  KindOrAksClusterArgs,
} from "./clusterArgs";
export {
  renderKindConfig,
  kubeadmPatch,
  kubeadmShape,
  KIND_KEY_FILES,
  SA_PUBLIC_KEY,
  SA_PRIVATE_KEY,
} from "./kindConfig";
export type { KindConfigInput, KubeadmShape } from "./kindConfig";
