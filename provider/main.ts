/**
 * `pulumi-resource-azure-wi`: the engine starts this as the `azure-wi` plugin and talks to it
 * over gRPC (bin/pulumi-resource-azure-wi runs it with the Node that runs the CLI's programs).
 */
import * as provider from "@pulumi/pulumi/provider";

import { IssuerDocuments } from "./issuerDocument";
import { ComponentsProvider, shippedSchema } from "./provider";

const args = process.argv.slice(2);
// The engine's address, as the SDK reads it (its first argument that is not a flag): the
// documents' writer shows its progress there.
const engineAddr = args.filter((a) => !a.startsWith("-"))[0];
void provider.main(new ComponentsProvider(shippedSchema(), new IssuerDocuments(engineAddr)), args);
