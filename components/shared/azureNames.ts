/** Azure's rules for the names the components are given, checked before anything registers. */
import { InvalidArgumentError, describeValue } from "./errors";

/** A resource group name as Azure allows it: 1 to 90 letters, digits, '-', '_', '.', '(', ')'. */
export function validateResourceGroupName(name: unknown, field: string): string {
  if (typeof name !== "string" || !/^[-\w._()]{1,90}$/.test(name)) {
    throw new InvalidArgumentError(
      field,
      describeValue(name),
      "expected 1 to 90 letters, digits, '-', '_', '.', '(' and ')'",
    );
  }
  return name;
}
