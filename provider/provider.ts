/**
 * The component provider: the engine asks it to construct `azure-wi:index:<Component>` for a
 * program in any language, and it runs the TypeScript component itself, with the program's inputs
 * as its arguments, so a YAML or Python program gets the same checks, the same refusals (in the
 * same words) and the same resources as a TypeScript one.
 */
import * as fs from "node:fs";
import * as path from "node:path";

import type * as pulumi from "@pulumi/pulumi";
import type * as provider from "@pulumi/pulumi/provider";

import {
  ISSUER_DOCUMENT_TYPE,
  IssuerDocumentInputs,
} from "../components/issuer/issuerDocumentSpec";
import { PROVIDER_NAME } from "./components";
import { IssuerDocuments } from "./issuerDocument";
import type { PackageSpec } from "./packageSchema";

type ComponentClass = new (
  name: string,
  args: never,
  opts?: pulumi.ComponentResourceOptions,
) => pulumi.ComponentResource;

let classes: Record<string, ComponentClass> | undefined;

/**
 * The component classes, loaded at the first construct. The engine starts this plugin for every
 * preview and up of a program whose issuer writes with Entra auth, which only ever asks for the
 * documents; the components and the SDKs they load were then two thirds of its start (about 0.6
 * of 0.9 s of CPU).
 */
export function componentClasses(): Record<string, ComponentClass> {
  /* eslint-disable @typescript-eslint/no-require-imports */
  classes ??= {
    OidcIssuer: (require("../components/issuer") as typeof import("../components/issuer"))
      .OidcIssuer,
    KindOrAksCluster: (require("../components/cluster") as typeof import("../components/cluster"))
      .KindOrAksCluster,
    WorkloadIdentity: (require("../components/identity") as typeof import("../components/identity"))
      .WorkloadIdentity,
    Webhook: (require("../components/webhook") as typeof import("../components/webhook")).Webhook,
    OpenShiftCredentials: (
      require("../components/openshift") as typeof import("../components/openshift")
    ).OpenShiftCredentials,
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
  return classes;
}

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
    const Class = type.startsWith(prefix)
      ? componentClasses()[type.slice(prefix.length)]
      : undefined;
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
