import * as pulumi from "@pulumi/pulumi";

import { OidcIssuer } from "./components";

const config = new pulumi.Config();
const issuer = new OidcIssuer("oidc", {
  location: config.get("location"),
  hosting: config.get<"staticWebsite" | "publicContainer">("hosting"),
});

export const issuerUrl = issuer.issuerUrl;
export const jwksUri = issuer.jwksUri;
export const keyId = issuer.keyId;
