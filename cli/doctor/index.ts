/**
 * `pulumi-azure-workload-identity/doctor`: the trust-chain checks of `npx
 * pulumi-azure-workload-identity doctor`, as functions for a program or a pipeline of one's own.
 *
 *   const report = await doctor(targetFromOutputs(outputsJson), {
 *     kube: KubeClient.fromFile(kubeconfigPath),
 *     arm: new ArmClient(ARM_ENDPOINT, armToken(ARM_ENDPOINT)),
 *   });
 *   process.stdout.write(formatReport(report));
 */
export { ARM_ENDPOINT, ArmClient, ArmError, armToken } from "./arm";
export type { ArmFederatedCredential, ArmIdentity, ArmRoleAssignment } from "./arm";
export * from "./checks";
export { doctor, formatReport, probePod } from "./doctor";
export type { DoctorIdentity, DoctorReport, DoctorTarget } from "./doctor";
export { KubeApiError, KubeClient, KubeconfigError } from "./kubeClient";
export { identityResourceId, serviceAccountRef, targetFromOutputs } from "./target";
