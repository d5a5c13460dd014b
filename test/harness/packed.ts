/**
 * The package as a user gets it: `npm pack` of this checkout (its prepack builds dist/), for a
 * scratch project to install from the tarball.
 */
import { execFileSync } from "node:child_process";
import * as path from "node:path";

import { ROOT } from "./localCloud";

/** Packs the package into `dir`; returns the tarball's path. */
export function packPackage(dir: string): string {
  const packed = JSON.parse(
    execFileSync("npm", ["pack", "--json", "--pack-destination", dir], {
      cwd: ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    }),
  ) as { filename: string }[];
  return path.join(dir, packed[0].filename);
}
