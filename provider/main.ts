/**
 * `pulumi-resource-azure-wi`: the engine starts this as the `azure-wi` plugin and talks to it
 * over gRPC (bin/pulumi-resource-azure-wi runs it with the Node that runs the CLI's programs).
 */
import * as provider from "@pulumi/pulumi/provider";

import { ComponentsProvider } from "./provider";

void provider.main(new ComponentsProvider(), process.argv.slice(2));
