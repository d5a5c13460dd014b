/**
 * The component provider: the engine asks it to construct `azure-wi:index:<Component>` for a
 * program in any language, and it runs the TypeScript component itself, with the program's inputs
 * as its arguments, so a YAML or Python program gets the same checks, the same refusals (in the
 * same words) and the same resources as a TypeScript one.
 */
import * as fs from "node:fs";
import * as path from "node:path";

import * as pulumi from "@pulumi/pulumi";
import type * as provider from "@pulumi/pulumi/provider";

import { KindOrAksCluster } from "../components/cluster";
import { WorkloadIdentity } from "../components/identity";
import { OidcIssuer } from "../components/issuer";
import { OpenShiftCredentials } from "../components/openshift";
import { Webhook } from "../components/webhook";
import {
  ISSUER_DOCUMENT_TYPE,
  IssuerDocumentInputs,
} from "../components/issuer/issuerDocumentSpec";
import { PROVIDED_COMPONENTS, PROVIDER_NAME } from "./components";
import { IssuerDocuments } from "./issuerDocument";
import type { PackageSpec } from "./packageSchema";

type ComponentClass = new (
  name: string,
  args: never,
  opts?: pulumi.ComponentResourceOptions,
) => pulumi.ComponentResource;

const CLASSES: Record<string, ComponentClass> = {
  OidcIssuer,
  KindOrAksCluster,
  WorkloadIdentity,
  Webhook,
  OpenShiftCredentials,
};

/** The schema the package ships (provider/schema.json, made by `npm run schema`). */
export function shippedSchema(): PackageSpec {
  return JSON.parse(fs.readFileSync(path.join(__dirname, "schema.json"), "utf8")) as PackageSpec;
}

export class ComponentsProvider implements provider.Provider {
  public readonly version: string;
  public readonly schema: string;
  private readonly resources: PackageSpec["resources"];

  /** The one custom resource: the issuer's documents, written with Entra auth. */
  private readonly documents: IssuerDocuments;

  constructor(spec: PackageSpec = shippedSchema(), documents?: IssuerDocuments) {
    this.documents = documents ?? new IssuerDocuments(undefined);
    this.version = spec.version;
    this.schema = JSON.stringify(spec);
    this.resources = spec.resources;
    const missing = PROVIDED_COMPONENTS.filter((c) => !(c.name in CLASSES));
    if (missing.length > 0)
      throw new Error(`no class for ${missing.map((c) => c.name).join(", ")}`);
  }

  // async: a refusal (an unknown type, a bad argument) is a rejected promise, never a throw.
  // eslint-disable-next-line @typescript-eslint/require-await
  async construct(
    name: string,
    type: string,
    inputs: pulumi.Inputs,
    options: pulumi.ComponentResourceOptions,
  ): Promise<provider.ConstructResult> {
    const prefix = `${PROVIDER_NAME}:index:`;
    const spec = Object.hasOwn(this.resources, type) ? this.resources[type] : undefined;
    const Class = type.startsWith(prefix) ? CLASSES[type.slice(prefix.length)] : undefined;
    if (!spec || !Class) throw new Error(`${PROVIDER_NAME} has no component ${type}`);
    const component = new Class(name, inputs as never, options);
    const fields = component as unknown as Record<string, unknown>;
    const state = Object.fromEntries(Object.keys(spec.properties).map((k) => [k, fields[k]]));
    return { urn: component.urn, state };
  }

  check(urn: string, olds: unknown, news: Record<string, unknown>) {
    return this.documentsFor(urn).check(urn, olds, news);
  }

  diff(id: string, urn: string, olds: IssuerDocumentInputs, news: IssuerDocumentInputs) {
    return this.documentsFor(urn).diff(id, urn, olds, news);
  }

  create(urn: string, inputs: IssuerDocumentInputs) {
    return this.documentsFor(urn).create(urn, inputs);
  }

  update(id: string, urn: string, olds: IssuerDocumentInputs, news: IssuerDocumentInputs) {
    return this.documentsFor(urn).update(id, urn, olds, news);
  }

  delete(id: string, urn: string, props: IssuerDocumentInputs) {
    return this.documentsFor(urn).delete(id, urn, props);
  }

  read(id: string, urn: string, props: IssuerDocumentInputs) {
    return this.documentsFor(urn).read(id, urn, props);
  }

  /** The custom resource's methods, for a URN of its type only. */
  private documentsFor(urn: string): IssuerDocuments {
    const type = urn.split("::")[2]?.split("$").pop();
    if (type !== ISSUER_DOCUMENT_TYPE) throw new Error(`${PROVIDER_NAME} has no resource ${type}`);
    return this.documents;
  }
}
