/**
 * One Azure identity, one writer of federated credentials. Azure refuses concurrent credential
 * writes under one identity (HTTP 409 ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity)
 * and counts its 20 credentials across every writer, so two components (or two stack entries)
 * that reach the same identity each chain their own credentials, collide, and each count a
 * budget of 20 that they share. Such a second writer is refused, naming the first.
 *
 * Identities are compared as Azure compares resource ids: case-insensitively.
 */
import * as pulumi from "@pulumi/pulumi";

import { InvalidArgumentError } from "../shared/errors";
import { MAX_FICS_PER_IDENTITY, parseIdentityResourceId } from "./workloadIdentityNames";

/** How a claim names the identity: its resource id, or its resource group and name. */
export type IdentityKey = string;

/** The key of an existing identity, from its resource id. */
export function existingIdentityKey(resourceId: string): IdentityKey {
  const id = parseIdentityResourceId(resourceId);
  return `${id.resourceGroupName}/${id.name}`.toLowerCase();
}

/** The key of an identity created under this name in this resource group. */
export function createdIdentityKey(resourceGroupName: string, name: string): IdentityKey {
  return `${resourceGroupName}/${name}`.toLowerCase();
}

/**
 * Who already claimed each identity, and where: a registry of one program or one stack config.
 * `claim` returns nothing, or throws naming the earlier claimant.
 */
export class IdentityClaims {
  private readonly owners = new Map<IdentityKey, string>();

  /** Throws, naming `field` and its `value`, when someone already claimed the identity. */
  check(key: IdentityKey, field: string, value: string): void {
    const first = this.owners.get(key);
    if (first !== undefined) {
      // Whole: an id cut short would hide the name that collides.
      throw new InvalidArgumentError(
        field,
        JSON.stringify(value),
        `${first} already writes federated credentials to this Azure identity; Azure refuses concurrent credential writes on one identity (HTTP 409) and counts its ${MAX_FICS_PER_IDENTITY} credentials across both: trust every ServiceAccount from one of them`,
      );
    }
  }

  /** Claims the identity for `owner` (`WorkloadIdentity reader`, `identities[0] (wi-a)`). */
  claim(key: IdentityKey, owner: string, field: string, value: string): void {
    this.check(key, field, value);
    this.owners.set(key, owner);
  }
}

/** One registry per deployment: the program's root stack resource. */
const perDeployment = new WeakMap<object, IdentityClaims>();

/**
 * The claims of the program being deployed, or undefined outside a deployment (a component made
 * under mocks without a stack): there is no program-wide view to check against.
 */
export function deploymentClaims(): IdentityClaims | undefined {
  const root = pulumi.runtime.getStackResource();
  if (root === undefined) return undefined;
  let claims = perDeployment.get(root);
  if (claims === undefined) {
    claims = new IdentityClaims();
    perDeployment.set(root, claims);
  }
  return claims;
}
