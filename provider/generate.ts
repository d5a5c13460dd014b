/**
 * Writes provider/schema.json from the components' declarations (`npm run schema`). The schema is
 * committed, so a change to a component's arguments shows in review as a change of the package
 * every language sees; a unit test fails while the file is stale.
 */
import * as fs from "node:fs";
import * as path from "node:path";

import ts from "typescript";

import { PROVIDED_COMPONENTS } from "./components";
import { PackageSpec, packageSchema } from "./packageSchema";

const ROOT = path.resolve(__dirname, "..");
export const SCHEMA_FILE = path.join(ROOT, "provider", "schema.json");

/** The schema as the components declare it now, as the file holds it. */
export function currentSchemaText(): string {
  const entry = path.join(ROOT, "components", "index.ts");
  const config = ts.readConfigFile(path.join(ROOT, "tsconfig.json"), (f) => ts.sys.readFile(f));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
  const program = ts.createProgram([entry], { ...parsed.options, noEmit: true });
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as Record<
    string,
    string
  >;
  const schema: PackageSpec = packageSchema(program, entry, PROVIDED_COMPONENTS, {
    version: pkg.version,
    description: pkg.description,
    license: pkg.license,
  });
  return `${JSON.stringify(schema, null, 2)}\n`;
}

if (require.main === module) {
  fs.writeFileSync(SCHEMA_FILE, currentSchemaText());
  console.log(`wrote ${path.relative(process.cwd(), SCHEMA_FILE)}`);
}
