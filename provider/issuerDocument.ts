/**
 * The issuer's documents, written with Entra auth: the deployer's credentials as the Azure SDK's
 * default chain finds them (environment, workload identity, managed identity, Azure CLI), never
 * the account key, so the account can keep shared-key access off. A changed document is one
 * overwrite of the same blob (Put Blob is atomic to readers): no moment without a JWKS.
 */
import type { TokenCredential } from "@azure/identity";
import type { BlockBlobClient } from "@azure/storage-blob";
import * as grpc from "@grpc/grpc-js";
import type * as provider from "@pulumi/pulumi/provider";
// The engine's log service, as the SDK itself reaches it: the only way for a provider's create to
// show progress while it waits.
import * as engrpc from "@pulumi/pulumi/proto/engine_grpc_pb";
import * as engproto from "@pulumi/pulumi/proto/engine_pb";

import { azureCredential } from "../components/shared/azureCredential";
import {
  IssuerDocumentInputs,
  checkIssuerDocument,
  diffIssuerDocument,
  issuerDocumentUrl,
} from "../components/issuer/issuerDocumentSpec";

/** How long a write waits for a new role assignment to reach the data plane, and how often it
 * says so. Azure documents up to 10 minutes for a role assignment to take effect. */
export interface WaitPolicy {
  limitMs: number;
  intervalMs: number;
  progressEveryMs: number;
}

export const AZURE_RBAC_WAIT: WaitPolicy = {
  limitMs: 10 * 60_000,
  intervalMs: 5_000,
  progressEveryMs: 30_000,
};

/** The wait, with $AZURE_WI_RBAC_WAIT_SECONDS as its limit when set (1 to 3600). */
export function waitPolicyFromEnv(env: NodeJS.ProcessEnv = process.env): WaitPolicy {
  const given = env.AZURE_WI_RBAC_WAIT_SECONDS;
  if (given === undefined || given === "") return AZURE_RBAC_WAIT;
  const seconds = Number(given);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 3600) {
    throw new Error(
      `AZURE_WI_RBAC_WAIT_SECONDS: ${JSON.stringify(given)} is not valid; expected a whole number of seconds from 1 to 3600`,
    );
  }
  return {
    limitMs: seconds * 1000,
    intervalMs: Math.min(AZURE_RBAC_WAIT.intervalMs, seconds * 250),
    progressEveryMs: AZURE_RBAC_WAIT.progressEveryMs,
  };
}

/** The Storage client, loaded at the first data-plane call: a preview that changes nothing asks
 * only for checks and diffs, and the client is a third of the plugin's start. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const storageBlob = () => require("@azure/storage-blob") as typeof import("@azure/storage-blob");

/** A document as the state keeps it: its inputs, and the ETag of what this resource wrote. */
type IssuerDocumentState = IssuerDocumentInputs & { etag?: string };

/** Storage's answers while the deployer's data role has not reached the account yet. */
const NOT_YET = new Set(["AuthorizationPermissionMismatch", "AuthorizationFailure"]);

export class IssuerDocuments {
  private engine?: engrpc.EngineClient;
  private credential?: Promise<TokenCredential>;

  constructor(
    engineAddr: string | undefined,
    // The chain every Azure SDK tool signs in with, as the doctor does; made at the first write.
    private readonly signIn: () => Promise<TokenCredential> = () => azureCredential(),
    private readonly wait: () => WaitPolicy = () => waitPolicyFromEnv(),
  ) {
    if (engineAddr) {
      this.engine = new engrpc.EngineClient(engineAddr, grpc.credentials.createInsecure());
    }
  }

  // eslint-disable-next-line @typescript-eslint/require-await
  async check(
    _urn: string,
    _olds: unknown,
    news: Record<string, unknown>,
  ): Promise<provider.CheckResult> {
    const failures = checkIssuerDocument(news).map((reason) => ({
      property: reason.slice(0, reason.indexOf(":")),
      reason,
    }));
    return { inputs: news, failures };
  }

  // eslint-disable-next-line @typescript-eslint/require-await
  async diff(
    _id: string,
    _urn: string,
    olds: Partial<IssuerDocumentInputs>,
    news: IssuerDocumentInputs,
  ): Promise<provider.DiffResult> {
    const { changed, replaces } = diffIssuerDocument(olds, news);
    return { changes: changed.length > 0, replaces, deleteBeforeReplace: false };
  }

  async create(urn: string, inputs: IssuerDocumentInputs): Promise<provider.CreateResult> {
    const { etag } = await this.write(urn, inputs);
    return { id: issuerDocumentUrl(inputs), outs: { ...inputs, etag: etag ?? "" } };
  }

  async update(
    _id: string,
    urn: string,
    _olds: IssuerDocumentState,
    news: IssuerDocumentInputs,
  ): Promise<provider.UpdateResult> {
    const { etag } = await this.write(urn, news);
    return { outs: { ...news, etag: etag ?? "" } };
  }

  /** Deletes the document if it is still the one this resource wrote: another writer may have
   * written the same name since (the stack moving between writers), and that one stays. */
  async delete(_id: string, urn: string, props: IssuerDocumentState): Promise<void> {
    const client = await this.client(props);
    const conditions = props.etag ? { ifMatch: props.etag } : undefined;
    try {
      await this.untilAuthorized(urn, props, () => client.deleteIfExists({ conditions }));
    } catch (err) {
      if (err instanceof storageBlob().RestError && err.statusCode === 412) return; // written over since
      throw err;
    }
  }

  /** The blob as it is: a refresh shows a document changed outside Pulumi, and the next up
   * writes it back. A blob that is gone is gone from the state too. */
  async read(id: string, urn: string, props: IssuerDocumentState): Promise<provider.ReadResult> {
    const client = await this.client(props);
    const exists = await this.untilAuthorized(urn, props, () => client.exists());
    if (!exists) return {};
    // One download: the content, its headers and its ETag of the same version.
    const got = await client.download();
    const chunks: Buffer[] = [];
    for await (const chunk of got.readableStreamBody ?? []) chunks.push(Buffer.from(chunk));
    const outs: IssuerDocumentState = {
      ...props,
      content: Buffer.concat(chunks).toString("utf8"),
      contentType: got.contentType ?? "",
      cacheControl: got.cacheControl ?? "",
      etag: got.etag ?? "",
    };
    return { id, props: outs };
  }

  private async client(doc: IssuerDocumentInputs): Promise<BlockBlobClient> {
    this.credential ??= this.signIn();
    return new (storageBlob().BlockBlobClient)(issuerDocumentUrl(doc), await this.credential);
  }

  private async write(urn: string, doc: IssuerDocumentInputs) {
    const body = Buffer.from(doc.content, "utf8");
    const client = await this.client(doc);
    return this.untilAuthorized(urn, doc, () =>
      client.upload(body, body.length, {
        blobHTTPHeaders: { blobContentType: doc.contentType, blobCacheControl: doc.cacheControl },
      }),
    );
  }

  /**
   * Runs a data-plane call, again while Storage answers that the deployer may not (a new role
   * assignment takes minutes to reach the account), with progress every so often, then a refusal
   * naming the role and the account.
   */
  private async untilAuthorized<T>(urn: string, doc: IssuerDocumentInputs, call: () => Promise<T>) {
    const wait = this.wait(); // a bad $AZURE_WI_RBAC_WAIT_SECONDS fails the write, in one line
    const start = Date.now();
    let said = start;
    for (;;) {
      try {
        return await call();
      } catch (err) {
        const code = err instanceof storageBlob().RestError ? err.code : undefined;
        if (code === undefined || !NOT_YET.has(code)) throw err;
        const waited = Date.now() - start;
        if (waited >= wait.limitMs) {
          throw new Error(
            `${issuerDocumentUrl(doc)}: Storage still answers ${code} after ${Math.round(waited / 1000)} s: the principal the Azure SDK signs in as needs "Storage Blob Data Contributor" on the storage account (the issuer grants it to that principal, or to documentWriter); check that the grant exists and no deny assignment or network rule blocks it, or wait longer with AZURE_WI_RBAC_WAIT_SECONDS`,
          );
        }
        if (Date.now() - said >= wait.progressEveryMs) {
          said = Date.now();
          this.progress(
            urn,
            `waiting for the Storage Blob Data Contributor role to reach the account (${Math.round(waited / 1000)} s; Azure takes up to 10 minutes)`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, wait.intervalMs));
      }
    }
  }

  private progress(urn: string, message: string): void {
    if (!this.engine) return;
    const req = new engproto.LogRequest();
    req.setSeverity(engproto.LogSeverity.INFO);
    req.setUrn(urn);
    req.setMessage(message);
    req.setEphemeral(true);
    this.engine.log(req, () => undefined);
  }
}
