/**
 * Argument combinations the component types must refuse. This file must not compile:
 * test/types.test.ts compiles it and expects an error on exactly the lines marked `// refused`,
 * and none elsewhere (the unmarked calls are the right combinations, which must compile).
 * It imports the package by name, so it checks the declarations consumers get.
 */
import * as pulumi from "@pulumi/pulumi";
import { KindOrAksCluster, OidcIssuer } from "pulumi-azure-workload-identity";

declare const pem: string;
declare const secretPem: pulumi.Output<string>;
const issuerUrl = "https://example.z6.web.core.windows.net/";
const signingKey = { privateKeyPem: secretPem, publicKeyPem: pem };

// KindOrAksCluster: kind fields only with kind, AKS fields only with AKS, required ones required.
new KindOrAksCluster("ok-kind", { flavor: "kind", issuerUrl, signingKey, workerCount: 1 });
new KindOrAksCluster("ok-aks", { flavor: "aks", resourceGroupName: "rg", nodeCount: 3 });
new KindOrAksCluster("a", { flavor: "kind" }); // refused: no issuer, no key
new KindOrAksCluster("b", { flavor: "kind", issuerUrl }); // refused: no key
new KindOrAksCluster("c", { flavor: "kind", signingKey }); // refused: no issuer
new KindOrAksCluster("d", { flavor: "aks", nodeCount: 3 }); // refused: no resource group
new KindOrAksCluster("e", { flavor: "kind", issuerUrl, signingKey, nodeCount: 3 }); // refused
new KindOrAksCluster("f", { flavor: "kind", issuerUrl, signingKey, vmSize: "Standard_B2s" }); // refused
new KindOrAksCluster("g", { flavor: "aks", resourceGroupName: "rg", issuerUrl }); // refused
new KindOrAksCluster("h", { flavor: "aks", resourceGroupName: "rg", workerCount: 2 }); // refused
new KindOrAksCluster("i", { flavor: "aks", resourceGroupName: "rg", signingKey }); // refused
new KindOrAksCluster("j", { flavor: "k3s", resourceGroupName: "rg" }); // refused: unknown flavor
new KindOrAksCluster("k", { resourceGroupName: "rg" }); // refused: no flavor

// OidcIssuer: a generated key or a brought one, never both; a container only for that hosting.
new OidcIssuer("ok-generated", { rsaBits: 4096 });
new OidcIssuer("ok-brought", { signingKey: { privateKeyPem: secretPem, publicKeyPem: pem } });
new OidcIssuer("ok-container", { hosting: "publicContainer", containerName: "oidc" });
new OidcIssuer("ok-default");
new OidcIssuer("l", { rsaBits: 2048, signingKey: { privateKeyPem: secretPem, publicKeyPem: pem } }); // refused
new OidcIssuer("m", { containerName: "oidc" }); // refused: static website serves from $web
new OidcIssuer("n", { hosting: "staticWebsite", containerName: "oidc" }); // refused
new OidcIssuer("o", { signingKey: { privateKeyPem: secretPem } }); // refused: no public key
new OidcIssuer("p", { hosting: "ftp" }); // refused: unknown hosting
