/**
 * From a TypeScript declaration to a Pulumi package schema type: the mapping the schema generator
 * applies to every argument and output. It reads the declaration as written (`pulumi.Input<T>`,
 * `Record<string, T>`, `"a" | "b"`) rather than the checker's expanded types, in which an Input's
 * `T | Promise<T> | Output<T>` can no longer be told from a union the author wrote.
 */
import ts from "typescript";

/** A property or item type, as the schema spells it (pulumi/pkg/codegen/schema TypeSpec). */
export interface TypeSpec {
  type?: "string" | "number" | "integer" | "boolean" | "array" | "object";
  $ref?: string;
  items?: TypeSpec;
  additionalProperties?: TypeSpec;
}

export interface PropertySpec extends TypeSpec {
  description?: string;
  secret?: boolean;
}

export interface ObjectTypeSpec {
  type: "object";
  description?: string;
  properties: Record<string, PropertySpec>;
  required?: string[];
}

/** What a mapping needs around it: the checker, and where named object types are collected. */
export interface MappingContext {
  checker: ts.TypeChecker;
  token: (typeName: string) => string;
  /** Object types met so far, by schema token; filled as the mapping recurses. */
  types: Record<string, ObjectTypeSpec>;
  /** Properties of a nested object type, flattened (the generator's own collector). */
  objectProperties: (type: ts.Type, typeName: string) => ObjectTypeSpec;
}

/** A type the schema cannot carry; the generator names the property in its error. */
export class UnsupportedType extends Error {}

const WRAPPERS = new Set(["Input", "Output", "Promise"]);

/** The schema type of a declared type node; `where` names the object type for inline literals. */
export function typeSpec(node: ts.TypeNode, ctx: MappingContext, where: string): TypeSpec {
  switch (node.kind) {
    case ts.SyntaxKind.StringKeyword:
      return { type: "string" };
    case ts.SyntaxKind.NumberKeyword:
      return { type: "number" };
    case ts.SyntaxKind.BooleanKeyword:
      return { type: "boolean" };
    case ts.SyntaxKind.UnknownKeyword:
    case ts.SyntaxKind.AnyKeyword:
      return { $ref: "pulumi.json#/Any" };
    case ts.SyntaxKind.LiteralType:
      return literalSpec(node as ts.LiteralTypeNode);
    case ts.SyntaxKind.ParenthesizedType:
      return typeSpec((node as ts.ParenthesizedTypeNode).type, ctx, where);
    case ts.SyntaxKind.ArrayType:
      return { type: "array", items: typeSpec((node as ts.ArrayTypeNode).elementType, ctx, where) };
    case ts.SyntaxKind.UnionType:
      return unionSpec(node as ts.UnionTypeNode, ctx, where);
    case ts.SyntaxKind.TypeLiteral:
      return objectRef(ctx.checker.getTypeFromTypeNode(node), ctx, where);
    case ts.SyntaxKind.TypeReference:
      return referenceSpec(node as ts.TypeReferenceNode, ctx, where);
    default:
      return primitiveSpec(node, ctx.checker);
  }
}

/** A type written another way (`(typeof VALUES)[number]`): what the checker makes of it, if that
 * is a string, a number or a boolean (or a union of literals of one of them). */
function primitiveSpec(node: ts.TypeNode, checker: ts.TypeChecker): TypeSpec {
  const type = checker.getTypeFromTypeNode(node);
  const members = type.isUnion() ? type.types : [type];
  for (const [flags, spec] of [
    [ts.TypeFlags.StringLike, { type: "string" }],
    [ts.TypeFlags.NumberLike, { type: "number" }],
    [ts.TypeFlags.BooleanLike, { type: "boolean" }],
  ] as const) {
    if (members.every((m) => m.flags & flags)) return spec;
  }
  throw new UnsupportedType(`type \`${node.getText()}\``);
}

function literalSpec(node: ts.LiteralTypeNode): TypeSpec {
  if (ts.isStringLiteral(node.literal)) return { type: "string" };
  if (ts.isNumericLiteral(node.literal)) return { type: "number" };
  if (
    node.literal.kind === ts.SyntaxKind.TrueKeyword ||
    node.literal.kind === ts.SyntaxKind.FalseKeyword
  ) {
    return { type: "boolean" };
  }
  throw new UnsupportedType(`type \`${node.getText()}\``);
}

/** `"a" | "b"` is a string; `T | undefined` is T; any other union has no schema type. */
function unionSpec(node: ts.UnionTypeNode, ctx: MappingContext, where: string): TypeSpec {
  const members = node.types.filter(
    (t) =>
      t.kind !== ts.SyntaxKind.UndefinedKeyword &&
      !(ts.isLiteralTypeNode(t) && t.literal.kind === ts.SyntaxKind.NullKeyword),
  );
  const specs = members.map((m) => typeSpec(m, ctx, where));
  const first = JSON.stringify(specs[0]);
  if (specs.length > 0 && specs.every((s) => JSON.stringify(s) === first)) return specs[0];
  throw new UnsupportedType(`union \`${node.getText()}\``);
}

function referenceSpec(node: ts.TypeReferenceNode, ctx: MappingContext, where: string): TypeSpec {
  const name = ts.isQualifiedName(node.typeName)
    ? node.typeName.right.text
    : node.typeName.getText();
  const args = node.typeArguments ?? [];
  if (WRAPPERS.has(name) && args.length === 1) return typeSpec(args[0], ctx, where);
  if (name === "Array" && args.length === 1) {
    return { type: "array", items: typeSpec(args[0], ctx, where) };
  }
  if (name === "Record" && args.length === 2) {
    return { type: "object", additionalProperties: typeSpec(args[1], ctx, where) };
  }
  const symbol = resolveAlias(ctx.checker, ctx.checker.getSymbolAtLocation(node.typeName));
  const declaration = symbol?.declarations?.[0];
  if (declaration && ts.isTypeAliasDeclaration(declaration)) {
    return typeSpec(declaration.type, ctx, name);
  }
  if (declaration && ts.isInterfaceDeclaration(declaration)) {
    return objectRef(ctx.checker.getTypeFromTypeNode(node), ctx, name);
  }
  throw new UnsupportedType(`type \`${node.getText()}\``);
}

function resolveAlias(checker: ts.TypeChecker, symbol: ts.Symbol | undefined) {
  return symbol && symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
}

/** A named object type in the schema's `types`, made once. */
function objectRef(type: ts.Type, ctx: MappingContext, typeName: string): TypeSpec {
  const token = ctx.token(typeName);
  if (!(token in ctx.types)) {
    // Placed before it is filled, so a type that refers to itself ends.
    ctx.types[token] = { type: "object", properties: {} };
    ctx.types[token] = ctx.objectProperties(type, typeName);
  }
  return { $ref: `#/types/${token}` };
}
