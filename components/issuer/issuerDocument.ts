import * as pulumi from "@pulumi/pulumi";

import { ISSUER_DOCUMENT_TYPE, IssuerDocumentInputs } from "./issuerDocumentSpec";

/**
 * One public document of the issuer, written by the azure-wi provider with the deployer's Entra
 * credentials (provider/issuerDocument.ts): a changed document is an update in place, one
 * overwrite of the same blob. Deleting the resource deletes the blob; OidcIssuer retains its
 * documents instead (they go with the account).
 */
export class IssuerDocument extends pulumi.CustomResource {
  /** The blob's URL. */
  declare public readonly id: pulumi.Output<string>;
  /** The document as written. */
  declare public readonly content: pulumi.Output<string>;

  constructor(
    name: string,
    args: { [K in keyof IssuerDocumentInputs]: pulumi.Input<string> },
    opts?: pulumi.CustomResourceOptions,
  ) {
    super(ISSUER_DOCUMENT_TYPE, name, args, opts);
  }
}
