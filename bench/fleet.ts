/**
 * A fleet of N workload identities for the dev stack, as a platform team would declare them:
 * identity i trusts (i % 3) + 1 ServiceAccounts in one of ten team namespaces and reads secrets
 * from one of five Key Vaults. The benchmark and the entry-point tests deploy it.
 */
export function fleetConfig(identities: number): Record<string, string> {
  const sub = "00000000-0000-0000-0000-000000000000";
  const list = Array.from({ length: identities }, (_, i) => ({
    name: `wi-bench-${i}`,
    serviceAccounts: Array.from({ length: (i % 3) + 1 }, (_, j) => ({
      namespace: `team-${i % 10}`,
      name: `app-${i}-${j}`,
    })),
    roleAssignments: [
      {
        scope: `/subscriptions/${sub}/resourceGroups/apps-rg/providers/Microsoft.KeyVault/vaults/kv-${i % 5}`,
        role: "Key Vault Secrets User",
      },
    ],
  }));
  // 2048-bit keys: generated in seconds, where the default 4096 bits may take much longer. The
  // account key writes the issuer's documents: the bench's local cloud serves no storage data
  // plane to write them to with Entra auth, and its latency model has no such writes.
  return {
    flavor: "kind",
    signingKeyBits: "2048",
    storageSharedKeyAccess: "true",
    identities: JSON.stringify(list),
  };
}
