import * as YAML from "yaml";

/**
 * Where a YAML syntax error is and what it says, for a one-line message: `file:line:col` and
 * the parser's first line, without its own trailing "at line L, column C".
 */
export function describeYamlError(
  error: YAML.YAMLError,
  source: string,
): { where: string; message: string } {
  const at = error.linePos?.[0];
  return {
    where: at ? `${source}:${at.line}:${at.col}` : source,
    message: error.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, ""),
  };
}
