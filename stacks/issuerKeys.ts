/**
 * The stack's issuer keys: the config's keys as OidcIssuer's arguments, the key guard run under
 * the config's names before anything is registered, and the ledger as stack outputs.
 */
import * as pulumi from "@pulumi/pulumi";

import { OidcIssuer } from "../components/issuer/oidcIssuer";
import { OidcIssuerArgs } from "../components/issuer/oidcIssuerArgs";
import { KeyLedger, RotationPhase, describeRotation } from "../components/issuer/signingKeys";
import { CONFIG_KEY_FIELDS, StackConfig, configNamed } from "./config";

/** The stack's issuer: its name is in every URN under it, so it never changes. */
export const ISSUER = "oidc";

export interface DeployOptions {
  /** The signing key's private half, when the config brings one (a secret). */
  signingPrivateKeyPem?: pulumi.Input<string>;
}

export interface RotationOutputs {
  /** The key ledger: every declared key's kid and when it was published, signed, stopped. */
  signingKeys?: pulumi.Output<KeyLedger>;
  /** Where the rotation stands and what to do next. */
  keyRotation?: pulumi.Output<{ phase: RotationPhase; next: string }>;
}

/** The issuer's key arguments from the config: declared keys, or a shorthand's one key. */
export function issuerKeyArgs(cfg: StackConfig, options: DeployOptions): OidcIssuerArgs {
  const guard = {
    allowEarlyKeyRetirement: cfg.allowEarlyKeyRetirement,
    resetKeyLedger: cfg.resetKeyLedger,
  };
  return { ...guard, ...issuerKeys(cfg, options) };
}

function issuerKeys(cfg: StackConfig, options: DeployOptions): OidcIssuerArgs {
  if (cfg.declaredKeys !== undefined) {
    return {
      keys: cfg.declaredKeys.keys,
      signingKeyName: cfg.declaredKeys.signing,
      ...(options.signingPrivateKeyPem !== undefined
        ? { signingPrivateKeyPem: options.signingPrivateKeyPem }
        : {}),
    };
  }
  if (cfg.signingPublicKeyPem !== undefined) {
    return {
      signingKey: {
        publicKeyPem: cfg.signingPublicKeyPem,
        privateKeyPem: options.signingPrivateKeyPem!,
      },
      additionalPublicKeysPem: cfg.additionalPublicKeys,
    };
  }
  return { rsaBits: cfg.signingKeyBits, additionalPublicKeysPem: cfg.additionalPublicKeys };
}

/** The issuer's guard under the config's names: refuses before anything is registered. */
export async function checkIssuerKeys(keyArgs: OidcIssuerArgs): Promise<void> {
  try {
    await OidcIssuer.checkKeys(ISSUER, keyArgs, undefined, { fields: CONFIG_KEY_FIELDS });
  } catch (err) {
    throw configNamed(err);
  }
}

/** The stack's outputs of the issuer's ledger, the next step in the config's words. */
export function rotationStackOutputs(issuer: OidcIssuer): RotationOutputs {
  return {
    signingKeys: issuer.keyLedger,
    keyRotation: issuer.keyLedger.apply((l) => describeRotation(l, CONFIG_KEY_FIELDS)),
  };
}
