/**
 * The package as a user gets it: `npm pack` of this checkout, for a scratch project to install
 * from the tarball. It packs the dist/ that `npm test` (or `npm run build`) built, without running
 * the prepack build: `npm test` runs the unit tests beside the integration tests, and they import
 * dist/, which a rebuild would remove under them for its length.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

import { ROOT } from "./localCloud";

/** What the build compiles into dist/ (tsconfig.build.json, and stacks/config through imports). */
const SOURCES = ["components", "cli", "testing", "provider", "stacks"];
/** The build's last write. */
const BUILT = path.join(ROOT, "dist", "provider", "schema.json");

/** Packs the package into `dir`; returns the tarball's path. Refuses a dist/ older than a source. */
export function packPackage(dir: string): string {
  const stale = newerThanBuild();
  if (stale !== undefined) {
    throw new Error(`dist/ is older than ${stale}: run \`npm run build\` before these tests`);
  }
  const packed = JSON.parse(
    execFileSync("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", dir], {
      cwd: ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    }),
  ) as { filename: string }[];
  return path.join(dir, packed[0].filename);
}

/** A source file changed after the last build, if any (or dist/ itself when there is none). */
function newerThanBuild(): string | undefined {
  if (!fs.existsSync(BUILT)) return "the sources (there is no build)";
  const built = fs.statSync(BUILT).mtimeMs;
  for (const top of SOURCES) {
    for (const entry of fs.readdirSync(path.join(ROOT, top), { recursive: true })) {
      const file = path.join(top, String(entry));
      if (/\.(ts|json)$/.test(file) && fs.statSync(path.join(ROOT, file)).mtimeMs > built) {
        return file;
      }
    }
  }
  return undefined;
}
