/**
 * The provider's package schema, read from the components' own TypeScript declarations: each
 * component's constructor arguments become its inputs and its public readonly fields its outputs,
 * with the JSDoc as descriptions. Argument types that are unions of shapes (a generated or a
 * brought key; kind or AKS) become one object with every field, as the constructors' own checks
 * refuse the combinations they always refused, with the same messages.
 */
import ts from "typescript";

import { PROVIDER_NAME, ProvidedComponent, SECRET_PROPERTIES } from "./components";
import {
  MappingContext,
  ObjectTypeSpec,
  PropertySpec,
  TypeSpec,
  UnsupportedType,
  typeSpec,
} from "./schemaTypes";

export interface ResourceSpec {
  isComponent: true;
  description: string;
  inputProperties: Record<string, PropertySpec>;
  requiredInputs: string[];
  properties: Record<string, PropertySpec>;
  required: string[];
}

export interface PackageSpec {
  name: string;
  displayName: string;
  version: string;
  description: string;
  license: string;
  keywords: string[];
  resources: Record<string, ResourceSpec>;
  types: Record<string, ObjectTypeSpec>;
  language: Record<string, unknown>;
}

export interface PackageInfo {
  version: string;
  description: string;
  license: string;
}

/** A property as declared, and whether every shape of the type that has it requires it. */
interface Field {
  declaration: ts.PropertySignature | ts.PropertyDeclaration;
  required: boolean;
}

export function token(typeName: string): string {
  return `${PROVIDER_NAME}:index:${typeName}`;
}

const KEYWORDS = [
  "pulumi",
  "azure",
  "kubernetes",
  "workload-identity",
  "category/cloud",
  "kind/component",
];

/** What each language's generated SDK needs to know. */
const LANGUAGES = {
  nodejs: { dependencies: { "@pulumi/pulumi": "^3.0.0" } },
  // A module path for the SDK `pulumi package add` generates into the program: it is used
  // through a replace directive, never fetched.
  go: { importBasePath: `pulumi-azure-workload-identity/sdk/go/${PROVIDER_NAME}` },
  python: { requires: { pulumi: ">=3.0.0,<4.0.0" } },
  csharp: { packageReferences: { Pulumi: "3.*" }, rootNamespace: "AzureWorkloadIdentity" },
};

/** The schema of the components the entry module (`components/index.ts`) exports. */
export function packageSchema(
  program: ts.Program,
  entry: string,
  components: readonly ProvidedComponent[],
  info: PackageInfo,
): PackageSpec {
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry);
  const moduleSymbol = source && checker.getSymbolAtLocation(source);
  if (!moduleSymbol) throw new Error(`no module at ${entry}`);
  const exported = new Map(checker.getExportsOfModule(moduleSymbol).map((s) => [s.name, s]));
  const ctx: MappingContext = {
    checker,
    token,
    types: {},
    objectProperties: (type, typeName) => objectSpec(ctx, fields(checker, type), typeName),
  };
  const resources: Record<string, ResourceSpec> = {};
  for (const component of components) {
    const symbol = exported.get(component.name);
    const aliased =
      symbol && symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    const declaration = aliased?.declarations?.find(ts.isClassDeclaration);
    if (!aliased || !declaration) throw new Error(`${entry} exports no class ${component.name}`);
    resources[token(component.name)] = resourceSpec(ctx, declaration, aliased, component);
  }
  return {
    name: PROVIDER_NAME,
    displayName: "Azure Workload Identity",
    version: info.version,
    description: info.description,
    license: info.license,
    keywords: KEYWORDS,
    resources,
    types: Object.fromEntries(Object.entries(ctx.types).sort(([a], [b]) => a.localeCompare(b))),
    language: LANGUAGES,
  };
}

function resourceSpec(
  ctx: MappingContext,
  declaration: ts.ClassDeclaration,
  symbol: ts.Symbol,
  component: ProvidedComponent,
): ResourceSpec {
  const ctor = declaration.members.find(ts.isConstructorDeclaration);
  const argsNode = ctor?.parameters[1]?.type;
  if (!argsNode) throw new Error(`${component.name}: its constructor takes no typed args`);
  const argsType = ctx.checker.getTypeFromTypeNode(argsNode);
  const inputs = objectSpec(
    ctx,
    fields(ctx.checker, argsType, component.inputsLeftOut),
    `${component.name}Args`,
  );
  const outputs = objectSpec(
    ctx,
    outputFields(declaration, component.outputsLeftOut),
    component.name,
  );
  return {
    isComponent: true,
    description: docs(ctx.checker, symbol),
    inputProperties: inputs.properties,
    requiredInputs: inputs.required ?? [],
    properties: outputs.properties,
    required: outputs.required ?? [],
  };
}

/** An object type's fields: a union's are those of any member, required only if all require them. */
function fields(
  checker: ts.TypeChecker,
  type: ts.Type,
  leftOut: Readonly<Record<string, string>> = {},
): Map<string, Field> {
  if (type.isUnion() || type.isIntersection()) {
    const parts = type.types
      .filter((t) => !(t.flags & ts.TypeFlags.Undefined))
      .map((t) => fields(checker, t, leftOut));
    const merged = new Map<string, Field>();
    for (const part of parts) {
      for (const [name, field] of part) {
        const before = merged.get(name);
        const required = type.isUnion()
          ? parts.every((p) => p.get(name)?.required === true)
          : field.required || before?.required === true;
        // The shapes of a union may each declare the field; the one that documents it speaks.
        const declaration =
          before && documented(checker, before.declaration)
            ? before.declaration
            : field.declaration;
        merged.set(name, { declaration, required });
      }
    }
    return merged;
  }
  const result = new Map<string, Field>();
  for (const property of checker.getPropertiesOfType(type)) {
    const declaration = property.declarations?.[0];
    if (
      !declaration ||
      !(ts.isPropertySignature(declaration) || ts.isPropertyDeclaration(declaration))
    )
      continue;
    // `field?: never` marks what a shape of a union refuses: no field of its own.
    if (declaration.type?.kind === ts.SyntaxKind.NeverKeyword || property.name in leftOut) continue;
    result.set(property.name, {
      declaration,
      required: !(property.flags & ts.SymbolFlags.Optional),
    });
  }
  return result;
}

/** A component's outputs: its public readonly fields. */
function outputFields(
  declaration: ts.ClassDeclaration,
  leftOut: Readonly<Record<string, string>>,
): Map<string, Field> {
  const result = new Map<string, Field>();
  for (const member of declaration.members) {
    if (!ts.isPropertyDeclaration(member) || !ts.isIdentifier(member.name)) continue;
    const modifiers = ts.getCombinedModifierFlags(member);
    if (!(modifiers & ts.ModifierFlags.Public) || !(modifiers & ts.ModifierFlags.Readonly))
      continue;
    if (member.name.text in leftOut) continue;
    const optional =
      member.type !== undefined &&
      ts.isUnionTypeNode(member.type) &&
      member.type.types.some((t) => t.kind === ts.SyntaxKind.UndefinedKeyword);
    result.set(member.name.text, { declaration: member, required: !optional });
  }
  return result;
}

function objectSpec(
  ctx: MappingContext,
  found: Map<string, Field>,
  typeName: string,
): ObjectTypeSpec {
  const properties: Record<string, PropertySpec> = {};
  const required: string[] = [];
  for (const [name, field] of [...found].sort(([a], [b]) => a.localeCompare(b))) {
    const node = field.declaration.type;
    if (!node) throw new Error(`${typeName}.${name}: no declared type`);
    let spec: TypeSpec;
    try {
      spec = typeSpec(node, ctx, `${typeName}${name[0].toUpperCase()}${name.slice(1)}`);
    } catch (err) {
      if (!(err instanceof UnsupportedType)) throw err;
      throw new Error(
        `${typeName}.${name}: the schema cannot carry its ${err.message}; leave it out with a reason`,
      );
    }
    const description = docs(ctx.checker, ctx.checker.getSymbolAtLocation(field.declaration.name));
    properties[name] = {
      ...spec,
      ...(description ? { description } : {}),
      ...(SECRET_PROPERTIES.has(name) ? { secret: true } : {}),
    };
    if (field.required) required.push(name);
  }
  return { type: "object", properties, ...(required.length > 0 ? { required } : {}) };
}

function documented(checker: ts.TypeChecker, declaration: Field["declaration"]): boolean {
  return docs(checker, checker.getSymbolAtLocation(declaration.name)) !== "";
}

function docs(checker: ts.TypeChecker, symbol: ts.Symbol | undefined): string {
  return symbol ? ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim() : "";
}
