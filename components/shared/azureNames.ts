/** Azure's rules for the names the components are given, checked before anything registers. */
import { requireMatch } from "./errors";

/** A resource group name as Azure allows it: 1 to 90 letters, digits, '-', '_', '.', '(', ')'. */
export function validateResourceGroupName(name: unknown, field: string): string {
  return requireMatch(
    name,
    field,
    /^[-\w._()]{1,90}$/,
    "expected 1 to 90 letters, digits, '-', '_', '.', '(' and ')'",
  );
}
