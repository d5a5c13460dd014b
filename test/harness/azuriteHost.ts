/**
 * Azurite's blob service with the local cloud's storage accounts. Azurite takes its accounts from
 * $AZURITE_ACCOUNTS, which it re-reads every minute; the local cloud creates accounts during an
 * up and lists them in a file (localcloud/azurite.go). This host runs Azurite's own command line
 * in its process, copies the file into $AZURITE_ACCOUNTS as it changes, and has Azurite re-read
 * it every 100 ms instead of every minute (its refresh interval is a module constant it reads
 * when its account store starts).
 *
 * Usage: azuriteHost.ts ACCOUNTS-FILE [azurite-blob options...]
 */
import * as fs from "node:fs";

const [accountsFile, ...azuriteArgs] = process.argv.slice(2);
if (!accountsFile) {
  process.stderr.write("usage: azuriteHost.ts ACCOUNTS-FILE [azurite-blob options...]\n");
  process.exit(2);
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const constants = require("azurite/dist/src/common/utils/constants") as {
  DEFAULT_ACCOUNTS_REFRESH_INTERVAL: number;
};
constants.DEFAULT_ACCOUNTS_REFRESH_INTERVAL = 100;

const copyAccounts = () => {
  const accounts = fs.existsSync(accountsFile) ? fs.readFileSync(accountsFile, "utf8").trim() : "";
  if (accounts) process.env.AZURITE_ACCOUNTS = accounts;
  else delete process.env.AZURITE_ACCOUNTS;
};
copyAccounts();
setInterval(copyAccounts, 50).unref();

process.argv = [process.argv[0], "azurite-blob", ...azuriteArgs];
// eslint-disable-next-line @typescript-eslint/no-require-imports
require("azurite/dist/src/blob/main");
