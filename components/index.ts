/**
 * The library: components to import into any Pulumi program, and the pure functions behind them,
 * one folder per concern. Nothing here creates resources at import time.
 */
export * from "./issuer";
export * from "./cluster";
export * from "./identity";
export * from "./webhook";
export * from "./openshift";
export * from "./capz";
export * from "./shared";
