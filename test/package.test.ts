/**
 * Consumers import the built package by its name, as another Pulumi program would after
 * `npm install`. Node resolves a package's own name through its `exports` map, so this goes
 * through package.json and dist/, not through the sources. (`npm test` builds first.)
 */
import * as assert from "node:assert/strict";

import * as pulumi from "@pulumi/pulumi";
import {
  OidcIssuer,
  InvalidArgumentError,
  discoveryDocument,
  jsonWebKeySet,
  keyId,
  type OidcIssuerArgs,
} from "pulumi-azure-workload-identity";

import { fixture, settled, simulator, valueOf } from "./helpers";

describe("the package as a consumer imports it", () => {
  it("resolves to the built output through package.json exports", () => {
    const resolved = require.resolve("pulumi-azure-workload-identity");
    assert.match(resolved, /dist[\\/]components[\\/]index\.js$/);
  });

  it("exports the pure functions under their documented names", () => {
    const jwks = jsonWebKeySet([fixture("signing.pub")]);
    assert.equal(jwks.keys[0].kid, keyId(fixture("signing.pub")));
    assert.equal(
      discoveryDocument("https://a.blob.core.windows.net/oidc").jwks_uri,
      "https://a.blob.core.windows.net/oidc/openid/v1/jwks",
    );
  });

  it("exports a working, typed OidcIssuer component", async () => {
    const sim = simulator();
    const args: OidcIssuerArgs = { rsaBits: 2048, hosting: "publicContainer" };
    const issuer = new OidcIssuer("consumer", args);
    assert.ok(issuer instanceof pulumi.ComponentResource);
    const url: string = await valueOf(issuer.issuerUrl);
    assert.match(url, /^https:\/\/oidc[a-z0-9]{8}\.blob\.core\.windows\.net\/oidc$/);
    await settled(sim);
    assert.ok(
      sim.resources.some((r) => r.type === "azure-wi:index:OidcIssuer" && r.name === "consumer"),
    );
  });

  it("exports the error class callers catch", () => {
    assert.throws(() => new OidcIssuer("bad", { rsaBits: 512 }), InvalidArgumentError);
  });
});
