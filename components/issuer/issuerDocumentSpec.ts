/**
 * The issuer document resource's inputs and their rules, as plain functions: what the provider
 * checks, which changes are an overwrite in place and which write another blob.
 */

/** One public document of the issuer: a blob the deployer writes with Entra auth. */
export interface IssuerDocumentInputs {
  /** The account's blob endpoint, `https://ACCOUNT.blob.core.windows.net/` as Azure reports it. */
  blobEndpoint: string;
  /** `$web` for a static website, or the public container's name. */
  containerName: string;
  /** `.well-known/openid-configuration` or `openid/v1/jwks`. */
  blobName: string;
  /** The document, byte for byte. */
  content: string;
  contentType: string;
  cacheControl: string;
}

export const ISSUER_DOCUMENT_TYPE = "azure-wi:index:IssuerDocument";

/** Fields whose change writes the document somewhere else: a replacement, whose old resource
 * deletes its blob unless it is retained. */
const WHERE = ["blobEndpoint", "containerName", "blobName"] as const;
/** Fields whose change is one overwrite of the same blob. */
const WHAT = ["content", "contentType", "cacheControl"] as const;

const CONTAINER = /^(\$web|[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9])$/;

/** The inputs' problems, one line each, naming the field (an empty list: they are fine). */
export function checkIssuerDocument(inputs: Record<string, unknown>): string[] {
  const failures: string[] = [];
  for (const field of [...WHERE, ...WHAT]) {
    if (typeof inputs[field] !== "string") {
      failures.push(`${field}: must be a string, got ${JSON.stringify(inputs[field])}`);
    }
  }
  if (failures.length > 0) return failures;
  const endpoint = inputs.blobEndpoint as string;
  // Azure's endpoints are a host; an emulator's (Azurite, path style) put the account in the path.
  if (!/^https:\/\/[^/?#]+\/([^?#]*\/)?$/.test(endpoint)) {
    failures.push(
      `blobEndpoint: ${JSON.stringify(endpoint)} is not an account's blob endpoint (https://ACCOUNT.blob.core.windows.net/)`,
    );
  }
  const container = inputs.containerName as string;
  if (!CONTAINER.test(container)) {
    failures.push(
      `containerName: ${JSON.stringify(container)} is not $web or a container name (3-63 of a-z, 0-9, single hyphens)`,
    );
  }
  const blob = inputs.blobName as string;
  if (blob === "" || blob.startsWith("/") || blob.length > 1024) {
    failures.push(
      `blobName: ${JSON.stringify(blob)} is not a blob name (1-1024 characters, no leading /)`,
    );
  }
  return failures;
}

/** Which fields changed, and whether the change writes another blob (a replacement). */
export function diffIssuerDocument(
  olds: Partial<IssuerDocumentInputs>,
  news: IssuerDocumentInputs,
): { changed: string[]; replaces: string[] } {
  const changed = [...WHERE, ...WHAT].filter((f) => olds[f] !== news[f]);
  return { changed, replaces: changed.filter((f) => (WHERE as readonly string[]).includes(f)) };
}

/** Where the document is read and written: the blob's URL, which is also its id. */
export function issuerDocumentUrl(inputs: IssuerDocumentInputs): string {
  // "$web" as Azure writes it in URLs; everything else escaped per segment.
  const path = [inputs.containerName, ...inputs.blobName.split("/")].map((s) =>
    encodeURIComponent(s).replace(/%24/g, "$"),
  );
  return inputs.blobEndpoint + path.join("/");
}
