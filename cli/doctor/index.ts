/**
 * `pulumi-azure-workload-identity/doctor`: the trust-chain checks of `npx
 * pulumi-azure-workload-identity doctor`, as functions for a program or a pipeline of one's own.
 *
 *   const report = await doctor(targetFromOutputs(outputsJson), {
 *     kube: await KubeClient.load({ context: "my-cluster" }), // as kubectl finds it
 *     arm: new ArmClient(ARM_ENDPOINT, await armCredential()), // DefaultAzureCredential
 *   });
 *   process.stdout.write(formatReport(report));
 *
 * Either client may be given as an Error (why it could not be made): the report says so once.
 */
export { ARM_ENDPOINT, ArmClient, ArmError, armCredential } from "./arm";
export type { ArmFederatedCredential, ArmIdentity, ArmRoleAssignment } from "./arm";
export * from "./checks";
export { doctor, formatReport, probePod } from "./doctor";
export type { DoctorIdentity, DoctorReport, DoctorTarget } from "./doctor";
export { KubeApiError, KubeClient, KubeUnreachableError, KubeconfigError } from "./kubeClient";
export type { KubeClientOptions } from "./kubeClient";
export { identityResourceId, serviceAccountRef, targetFromOutputs } from "./target";
