/** The doctor's checks and inputs as pure functions: every failure it can report, and the
 * stack outputs and arguments it refuses. The same checks run against a real control plane in
 * test/integration/controlPlane.test.ts. */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as crypto from "node:crypto";

import {
  CheckResult,
  checkDiscovery,
  checkFederatedCredentials,
  checkJwks,
  checkPods,
  checkRoleAssignments,
  checkServiceAccount,
  checkToken,
  checkWebhook,
  issuerDifference,
} from "../cli/doctor/checks";
import { formatReport } from "../cli/doctor/doctor";
import { targetFromOutputs } from "../cli/doctor/target";
import { main } from "../cli/main";
import { keyId } from "../components/issuer/keys";

const ISSUER = "https://acct.z6.web.core.windows.net/";
const AUD = "api://AzureADTokenExchange";
const ok = <T>(value: T) => ({ ok: true as const, value });
const failed = (error: string) => ({ ok: false as const, error });
const statuses = (rs: CheckResult[]) => rs.map((r) => [r.check, r.status, r.aadsts]);

const { publicKey, privateKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
const pem = publicKey.export({ type: "spki", format: "pem" }).toString();
const kid = keyId(pem);
const jwk = { use: "sig", kty: "RSA", kid, alg: "RS256", ...publicKey.export({ format: "jwk" }) };

function sign(
  payload: Record<string, unknown>,
  header: Record<string, unknown> = { alg: "RS256", kid },
) {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const body = `${enc(header)}.${enc(payload)}`;
  return `${body}.${crypto.sign("RSA-SHA256", Buffer.from(body), privateKey).toString("base64url")}`;
}
const claims = { iss: ISSUER, sub: "system:serviceaccount:apps:api", aud: [AUD] };

describe("doctor: checks", () => {
  it("tells how issuers differ", () => {
    assert.equal(issuerDifference(ISSUER, ISSUER), "equal");
    assert.equal(issuerDifference(ISSUER.slice(0, -1), ISSUER), "lacks the trailing slash");
    assert.equal(
      issuerDifference(`${ISSUER}`, ISSUER.slice(0, -1)),
      "has a trailing slash the other lacks",
    );
    assert.equal(issuerDifference(ISSUER.toUpperCase(), ISSUER), "differs in letter case");
    assert.equal(issuerDifference("https://other/", ISSUER), "is another URL");
  });

  it("discovery: reachable, issuer byte-equal, jwks_uri where it belongs", () => {
    const doc = (d: Record<string, unknown>) => ok(JSON.stringify(d));
    const good = { issuer: ISSUER, jwks_uri: `${ISSUER}openid/v1/jwks` };
    assert.deepEqual(statuses(checkDiscovery(ISSUER, doc(good))), [
      ["issuer discovery", "pass", undefined],
      ["issuer jwks_uri", "pass", undefined],
    ]);
    assert.deepEqual(statuses(checkDiscovery(ISSUER, failed("connect ECONNREFUSED"))), [
      ["issuer discovery", "fail", "AADSTS90061/AADSTS50166"],
    ]);
    assert.deepEqual(statuses(checkDiscovery(ISSUER, ok("<html>"))), [
      ["issuer discovery", "fail", "AADSTS90061"],
    ]);
    const slash = checkDiscovery(ISSUER, doc({ ...good, issuer: ISSUER.slice(0, -1) }));
    assert.deepEqual(statuses(slash)[0], ["issuer discovery", "fail", "AADSTS700211"]);
    assert.match(slash[0].detail, /lacks the trailing slash/);
    assert.deepEqual(
      statuses(checkDiscovery(ISSUER, doc({ ...good, jwks_uri: "https://x/jwks" })))[1],
      ["issuer jwks_uri", "fail", "AADSTS7000272"],
    );
  });

  it("JWKS: keys by kid; none, or not RSA, fails", () => {
    const url = `${ISSUER}openid/v1/jwks`;
    const good = checkJwks(url, ok(JSON.stringify({ keys: [jwk] })));
    assert.equal(good.result.status, "pass");
    assert.deepEqual([...good.keys.keys()], [kid]);
    assert.equal(checkJwks(url, ok(JSON.stringify({ keys: [] }))).result.aadsts, "AADSTS7000272");
    assert.equal(
      checkJwks(url, ok(JSON.stringify({ keys: [{ ...jwk, kty: "EC", alg: "ES256" }] }))).result
        .aadsts,
      "AADSTS5002738",
    );
    assert.equal(checkJwks(url, failed("HTTP 404")).result.status, "fail");
    assert.equal(checkJwks(url, ok("{")).result.status, "fail");
  });

  it("token: iss, kid, signature, claims", () => {
    const keys = checkJwks("u", ok(JSON.stringify({ keys: [jwk] }))).keys;
    const check = (token: string) => checkToken("apps/api", ISSUER, keys, ok(token));
    assert.equal(check(sign(claims)).status, "pass");
    const wrongIss = check(sign({ ...claims, iss: ISSUER.toUpperCase() }));
    assert.deepEqual([wrongIss.status, wrongIss.aadsts], ["fail", "AADSTS700211"]);
    assert.match(wrongIss.detail, /differs in letter case/);
    assert.equal(check(sign(claims, { alg: "RS256", kid: "other" })).aadsts, "AADSTS7000272");
    const forged = sign(claims).split(".");
    forged[2] = Buffer.from("forged").toString("base64url");
    assert.match(check(forged.join(".")).detail, /signature does not verify/);
    assert.match(check(sign({ ...claims, aud: ["other"] })).detail, /unexpected claims/);
    assert.match(check("not-a-jwt").detail, /not a JWT/);
    const unread = checkToken("apps/api", ISSUER, undefined, ok(sign(claims)));
    assert.deepEqual(
      [unread.aadsts, /JWKS is not readable/.test(unread.detail)],
      ["AADSTS7000272", true],
    );
    assert.equal(
      checkToken("apps/api", ISSUER, keys, failed('serviceaccounts "api" not found')).status,
      "fail",
    );
  });

  it("federated credentials: one per subject, issuer and audience exact, count of 20", () => {
    const fic = (over: Record<string, unknown> = {}) => ({
      id: "/x/fic",
      name: "apps-api",
      issuer: ISSUER,
      subject: "system:serviceaccount:apps:api",
      audiences: [AUD],
      ...over,
    });
    const run = (fics: ReturnType<typeof fic>[]) =>
      statuses(checkFederatedCredentials("wi", ["apps/api"], ISSUER, ok(fics)));
    assert.deepEqual(run([fic()]), [
      ["federated credential wi apps/api", "pass", undefined],
      ["federated credentials wi", "pass", undefined],
    ]);
    assert.deepEqual(run([fic({ issuer: `${ISSUER}x` })])[0], [
      "federated credential wi apps/api",
      "fail",
      "AADSTS700211",
    ]);
    assert.deepEqual(run([fic({ audiences: ["api://other"] })])[0], [
      "federated credential wi apps/api",
      "fail",
      "AADSTS700212",
    ]);
    assert.deepEqual(run([fic({ subject: "system:serviceaccount:apps:API" })])[0], [
      "federated credential wi apps/api",
      "fail",
      "AADSTS700213",
    ]);
    // No credential of the issuer at all: Entra's first miss is the issuer.
    assert.deepEqual(run([])[0], ["federated credential wi apps/api", "fail", "AADSTS700211"]);
    const full = Array.from({ length: 20 }, (_, i) =>
      fic({ name: `f${i}`, subject: i ? `s${i}` : fic().subject }),
    );
    assert.deepEqual(run(full)[1], ["federated credentials wi", "warn", undefined]);
    assert.equal(
      checkFederatedCredentials("wi", ["apps/api"], ISSUER, failed("AuthorizationFailed"))[0]
        .status,
      "fail",
    );
  });

  it("ServiceAccount: exists, annotated with the trusting identity's client id", () => {
    const sa = (annotations?: Record<string, string>) => ok({ metadata: { annotations } });
    assert.equal(
      checkServiceAccount("apps/api", "c1", sa({ "azure.workload.identity/client-id": "c1" }))
        .status,
      "pass",
    );
    assert.match(checkServiceAccount("apps/api", "c1", sa({})).detail, /#1357/);
    assert.match(
      checkServiceAccount("apps/api", "c1", sa({ "azure.workload.identity/client-id": "c2" }))
        .detail,
      /identity that trusts it is c1/,
    );
    assert.match(checkServiceAccount("apps/api", "c1", ok(undefined)).detail, /does not exist/);
    assert.equal(checkServiceAccount("apps/api", "c1", failed("Forbidden")).status, "fail");
  });

  const mutated = (env: Record<string, string>, audience = AUD) => ({
    metadata: { name: "p", labels: { "azure.workload.identity/use": "true" } },
    spec: {
      serviceAccountName: "api",
      containers: [
        { name: "c", env: Object.entries(env).map(([name, value]) => ({ name, value })) },
      ],
      volumes: [
        {
          name: "azure-identity-token",
          projected: { sources: [{ serviceAccountToken: { audience, expirationSeconds: 3600 } }] },
        },
      ],
    },
  });
  const fullEnv = {
    AZURE_CLIENT_ID: "c1",
    AZURE_TENANT_ID: "t",
    AZURE_FEDERATED_TOKEN_FILE: "/f",
    AZURE_AUTHORITY_HOST: "https://login.microsoftonline.com/",
  };

  it("webhook: the dry-run pod shows the whole mutation", () => {
    assert.equal(checkWebhook("apps/api", "c1", ok(mutated(fullEnv))).status, "pass");
    assert.match(
      checkWebhook("apps/api", "c1", ok({ spec: { containers: [{}] } })).detail,
      /not mutated: the webhook is not installed/,
    );
    const noClient: Partial<typeof fullEnv> = { ...fullEnv };
    delete noClient.AZURE_CLIENT_ID;
    assert.match(
      checkWebhook("apps/api", "c1", ok(mutated(noClient as Record<string, string>))).detail,
      /no AZURE_CLIENT_ID/,
    );
    assert.match(
      checkWebhook("apps/api", "c2", ok(mutated(fullEnv))).detail,
      /AZURE_CLIENT_ID is c1, expected c2/,
    );
    assert.match(
      checkWebhook("apps/api", "c1", failed("failed calling webhook")).detail,
      /cannot be created/,
    );
  });

  it("pods: labelled, mutated, no proxy opt-out (azure-workload-identity #1210)", () => {
    assert.match(checkPods("apps/api", ok([])).detail, /no pod runs as it yet/);
    assert.equal(checkPods("apps/api", ok([mutated(fullEnv)])).status, "pass");
    const unlabelled = { ...mutated(fullEnv), metadata: { name: "u", labels: {} } };
    assert.match(checkPods("apps/api", ok([unlabelled])).detail, /lacks the label/);
    assert.match(checkPods("apps/api", ok([mutated({})])).detail, /was not mutated/);
    const optOut = mutated(fullEnv);
    (optOut.metadata as Record<string, unknown>).annotations = {
      "azure.workload.identity/inject-proxy-sidecar": "false",
    };
    assert.match(checkPods("apps/api", ok([optOut])).detail, /still injects the proxy/);
    const other = { ...mutated({}), spec: { ...mutated({}).spec, serviceAccountName: "other" } };
    assert.equal(checkPods("apps/api", ok([other])).status, "pass");
  });

  it("role assignments: each expected one at its scope", () => {
    const scope = "/subscriptions/s/resourceGroups/g";
    const def =
      "/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7";
    const found = [
      {
        id: "a",
        scope: scope.toUpperCase(),
        roleDefinitionId: def.toUpperCase(),
        principalId: "p",
      },
    ];
    assert.equal(
      checkRoleAssignments("wi", [{ scope, roleDefinitionId: def }], ok(found)).status,
      "pass",
    );
    assert.match(
      checkRoleAssignments("wi", [{ scope: `${scope}x`, roleDefinitionId: def }], ok(found)).detail,
      /missing/,
    );
    assert.equal(checkRoleAssignments("wi", [], ok([])).status, "skip");
    assert.equal(
      checkRoleAssignments("wi", [{ scope, roleDefinitionId: def }], failed("x")).status,
      "fail",
    );
  });

  it("formats one line per check, the Entra code and the fix on it", () => {
    const text = formatReport({
      ok: false,
      results: [
        { check: "a", status: "pass", detail: "fine" },
        { check: "b", status: "fail", detail: "broken", fix: "mend it", aadsts: "AADSTS700211" },
      ],
    });
    assert.equal(
      text,
      "ok    a: fine\nFAIL  b: broken [AADSTS700211] fix: mend it\n1 check(s) failed\n",
    );
  });
});

describe("doctor: inputs", () => {
  const identity =
    "/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/wi";
  const outputs = (over: Record<string, unknown> = {}) =>
    JSON.stringify({
      issuerUrl: ISSUER,
      identities: {
        wi: {
          identityId: identity,
          clientId: "c",
          principalId: "p",
          serviceAccounts: ["apps/api"],
          roleAssignments: [],
        },
      },
      ...over,
    });

  it("reads a stack's outputs", () => {
    assert.deepEqual(targetFromOutputs(outputs()), {
      issuerUrl: ISSUER,
      identities: [
        {
          name: "wi",
          identityId: identity,
          clientId: "c",
          principalId: "p",
          serviceAccounts: ["apps/api"],
          roleAssignments: [],
        },
      ],
    });
  });

  const refused: [string, string, RegExp][] = [
    ["not JSON", "{", /^outputs: not JSON is not valid/],
    ["no issuer", outputs({ issuerUrl: undefined }), /^issuerUrl: undefined is not valid/],
    [
      "an http issuer",
      outputs({ issuerUrl: "http://x/" }),
      /^issuerUrl: "http:\/\/x\/" is not valid; .*scheme must be https/,
    ],
    ["no identities", outputs({ identities: {} }), /^identities: \{\} is not valid/],
    [
      "a bad identity id",
      outputs({ identities: { wi: { identityId: "/x", serviceAccounts: [] } } }),
      /^identities\.wi\.identityId: "\/x" is not valid/,
    ],
    [
      "a bad ServiceAccount",
      outputs({ identities: { wi: { identityId: identity, serviceAccounts: ["API"] } } }),
      /^identities\.wi\.serviceAccounts\[0\]: "API" is not valid/,
    ],
    [
      "no ServiceAccount list",
      outputs({ identities: { wi: { identityId: identity } } }),
      /^identities\.wi\.serviceAccounts: undefined is not valid/,
    ],
    [
      "a bad role assignment",
      outputs({
        identities: { wi: { identityId: identity, serviceAccounts: [], roleAssignments: [{}] } },
      }),
      /^identities\.wi\.roleAssignments\[0\]: \{\} is not valid/,
    ],
    [
      "role assignments not a list",
      outputs({
        identities: { wi: { identityId: identity, serviceAccounts: [], roleAssignments: 1 } },
      }),
      /^identities\.wi\.roleAssignments: 1 is not valid/,
    ],
  ];
  for (const [what, text, message] of refused) {
    it(`refuses ${what}`, () => assert.throws(() => targetFromOutputs(text), { message }));
  }

  it("the command refuses bad arguments in one line, before reading anything", async () => {
    const errors: string[] = [];
    const original = console.error;
    console.error = (m: string) => errors.push(m);
    try {
      assert.equal(await main(["doctor", "--issuer", "http://x/", "--identity", identity]), 1);
      assert.equal(await main(["doctor", "--issuer", ISSUER, "--identity", "/nope"]), 1);
      assert.equal(await main(["doctor", "--issuer", ISSUER, "--identity", identity]), 2);
      assert.equal(await main(["doctor", "--service-account", "apps/api"]), 2);
      assert.equal(await main(["doctor", "--issuer", ISSUER]), 2);
      assert.equal(await main(["doctor", "--bogus"]), 2);
      assert.equal(await main(["doctor", "--outputs", "/no/such/file"]), 1);
    } finally {
      console.error = original;
    }
    assert.match(errors[0], /^error: --issuer: "http:\/\/x\/" is not valid/);
    assert.match(
      errors[1],
      /^error: --identity: "\/nope" is not valid; expected a user-assigned identity's resource id/,
    );
    assert.match(
      errors[2],
      /^error: give at least one --service-account after --identity \/subscriptions\//,
    );
    assert.match(errors[3], /^error: --service-account must follow the --identity/);
    assert.match(errors[4], /^error: give at least one --identity or --identity-binding/);
    assert.match(errors[5], /^error: unknown option --bogus/);
    assert.match(errors[6], /^error: --outputs: \/no\/such\/file: no such file$/);
    for (const e of errors) assert.doesNotMatch(e, /\n\s+at /);
  });

  it("reads the kubeconfig as a file it can name in one line", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wi-doctor-"));
    const notYaml = path.join(dir, "kubeconfig");
    fs.writeFileSync(notYaml, "clusters: [\n  - {");
    const errors: string[] = [];
    const original = console.error;
    console.error = (m: string) => errors.push(m);
    const args = ["doctor", "--issuer", ISSUER, "--identity", identity, "--service-account", "a/b"];
    try {
      assert.equal(await main([...args, "--kubeconfig", dir]), 1);
      assert.equal(await main([...args, "--kubeconfig", notYaml]), 1);
    } finally {
      console.error = original;
      fs.rmSync(dir, { recursive: true, force: true });
    }
    assert.match(errors[0], /^error: --kubeconfig: .* is a directory; expected a file$/);
    assert.match(errors[1], /^error: the kubeconfig is not YAML: [^\n]+$/);
  });
});
