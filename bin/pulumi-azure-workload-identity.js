#!/usr/bin/env node
// The package's command line, from the build (dist/). In a checkout that has not been built,
// it says so instead of npm's "not found".
"use strict";
let cli;
try {
  cli = require("../dist/cli/main.js");
} catch (err) {
  if (err && err.code === "MODULE_NOT_FOUND" && /dist[\\/]cli[\\/]main\.js/.test(err.message)) {
    console.error("error: the command line runs from the build: run npm run build first");
    process.exit(2);
  }
  throw err;
}
void cli.main(process.argv.slice(2)).then(cli.exitWith);
