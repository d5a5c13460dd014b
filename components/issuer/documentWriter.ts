/**
 * Who writes the issuer's documents when the account refuses shared keys: a principal granted
 * "Storage Blob Data Contributor" on the account. By default the one the Azure SDK's default
 * chain signs in as, which is also the one the azure-wi provider writes as.
 */
import { BUILTIN_ROLES } from "../identity/builtinRoles";
import { InvalidArgumentError, describeValue, requireOneOf } from "../shared/errors";
import { azureCredential } from "../shared/azureCredential";

export const PRINCIPAL_TYPES = ["User", "ServicePrincipal", "Group"] as const;

/** A principal as a role assignment names it. */
export interface DocumentWriter {
  /** Its object id in Entra. */
  principalId: string;
  /** `User`, `ServicePrincipal` (an application or managed identity) or `Group`. */
  principalType: (typeof PRINCIPAL_TYPES)[number];
}

/** The role the writer needs on the account, and no more. */
export const STORAGE_BLOB_DATA_CONTRIBUTOR = BUILTIN_ROLES["Storage Blob Data Contributor"];
const STORAGE_SCOPE = "https://storage.azure.com/.default";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A caller's documentWriter, checked. */
export function validateDocumentWriter(value: unknown, field: string): DocumentWriter {
  const given = (value ?? {}) as Record<string, unknown>;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError(
      field,
      describeValue(value),
      "expected { principalId, principalType }",
    );
  }
  if (typeof given.principalId !== "string" || !UUID.test(given.principalId)) {
    throw new InvalidArgumentError(
      `${field}.principalId`,
      describeValue(given.principalId),
      "expected the principal's object id (a GUID)",
    );
  }
  const principalType = requireOneOf(
    given.principalType,
    `${field}.principalType`,
    PRINCIPAL_TYPES,
  );
  return { principalId: given.principalId, principalType };
}

/**
 * The principal an Entra access token was issued to: its `oid`, and whether it is a user. A token
 * says so in `idtyp` ("app" or "user") when it carries that claim; Storage's tokens are v1 and
 * often do not, and then a delegated (user) token has `scp` or `upn` where an app-only one (a
 * service principal, a managed identity) has neither.
 */
export function principalOfToken(token: string): DocumentWriter {
  let claims: Record<string, unknown> = {};
  try {
    claims = JSON.parse(
      Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8"),
    ) as Record<string, unknown>;
  } catch {
    // fall through to the refusal below
  }
  if (typeof claims.oid !== "string" || !UUID.test(claims.oid)) {
    throw new Error(
      "the Azure credential's token names no principal (oid): give OidcIssuer documentWriter { principalId, principalType }",
    );
  }
  const user =
    claims.idtyp === "user" ||
    (claims.idtyp !== "app" && (claims.scp !== undefined || claims.upn !== undefined));
  return { principalId: claims.oid, principalType: user ? "User" : "ServicePrincipal" };
}

/** Who is signed in, as a simulated cloud says it (undefined: no one). */
export type SignInStandIn = () => DocumentWriter | undefined;

/**
 * Where the package's simulated cloud (testing/) stands in for the Azure sign-in: under Pulumi's
 * mocks (unit tests, the offline plan, the benchmark) there is no Azure to sign in to, yet the
 * issuer must know whom it grants. A global symbol, so that every copy of this module sees it.
 */
const SIGN_IN_STAND_IN = Symbol.for("pulumi-azure-workload-identity/signInStandIn");

/** Installs (or, with undefined, removes) the simulated cloud's sign-in. */
export function standInForSignIn(standIn: SignInStandIn | undefined): void {
  (globalThis as { [SIGN_IN_STAND_IN]?: SignInStandIn })[SIGN_IN_STAND_IN] = standIn;
}

/** The principal the Azure SDK's default chain signs in as, for Storage. */
export async function signedInWriter(): Promise<DocumentWriter> {
  const standIn = (globalThis as { [SIGN_IN_STAND_IN]?: SignInStandIn })[SIGN_IN_STAND_IN];
  if (standIn) {
    const simulated = standIn();
    if (!simulated) throw noSignIn("the simulated cloud has no one signed in");
    return simulated;
  }
  const credential = await azureCredential();
  let token: string;
  try {
    const got = await credential.getToken(STORAGE_SCOPE);
    if (!got) throw new Error("no token");
    token = got.token;
  } catch (err) {
    throw noSignIn(firstLine(err));
  }
  return principalOfToken(token);
}

function noSignIn(why: string): Error {
  return new Error(
    `cannot tell who writes the issuer's documents: the Azure SDK's default credential chain found no sign-in (${why}); sign in (az login, or the AZURE_* variables), or give OidcIssuer documentWriter { principalId, principalType }`,
  );
}

function firstLine(err: unknown): string {
  return String(err instanceof Error ? err.message : err).split("\n")[0];
}
