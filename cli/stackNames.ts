/**
 * Which stacks a program folder has: its `Pulumi.<stack>.yaml` files. Its own file, importing
 * nothing heavy, so that a usage error can list them without loading the Pulumi SDK.
 */
import * as fs from "node:fs";

/** The stacks that have a file here: `Pulumi.<stack>.yaml`. */
export function stacksIn(root: string): string[] {
  return fs
    .readdirSync(root)
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}
