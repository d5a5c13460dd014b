/**
 * Day-2 assertions shared by the integration suites: after every `pulumi up`, a preview plans
 * nothing. When it does plan something, the failure carries the engine's own step list, so a
 * run on CI that cannot be repeated here still says which resources moved and why.
 */
import * as assert from "node:assert/strict";

import { Stack } from "@pulumi/pulumi/automation";

/** A preview that plans nothing: every resource the same. */
export async function expectNoChanges(stack: Stack, what: string): Promise<void> {
  const preview = await stack.preview({ diff: true });
  const changes = Object.entries(preview.changeSummary).filter(([op, n]) => op !== "same" && n);
  if (changes.length) {
    assert.fail(
      `${what}: the preview after it plans changes ${JSON.stringify(preview.changeSummary)}:\n` +
        preview.stdout,
    );
  }
}

/**
 * The inline program (in this process) could not reach the engine's resource monitor at all: a
 * transport failure of the Automation API harness, before the program registered anything (seen
 * once in CI on 2026-12-05). Users' programs run under the Node.js language host instead. The
 * likely cause, a subchannel shared with an earlier engine's port, is gone since localCloud.ts
 * gives each channel its own pool; the retry stays for the failure that shows (the silent one
 * is caught by the preview after every up).
 */
const MONITOR_UNREACHABLE =
  /14 UNAVAILABLE: No connection established[\s\S]*Resources:\s+1 errored/;

/**
 * `pulumi up`, which must succeed, then (unless told not to) a preview that plans nothing. An up
 * whose program never reached the engine is run once more; any other failure fails.
 */
export async function up(stack: Stack, what: string, thenPreview = true): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const log: string[] = [];
    try {
      await stack.up({ onOutput: (o) => log.push(o) });
      break;
    } catch (err) {
      if (attempt === 1 && MONITOR_UNREACHABLE.test(log.join(""))) continue;
      throw new Error(`${what}: pulumi up failed:\n${log.join("")}\n${String(err)}`);
    }
  }
  if (thenPreview) await expectNoChanges(stack, what);
}

/** What a preview plans for the resources of one type: every step but `same`, as "op urn". */
export async function plannedSteps(stack: Stack, type: string): Promise<string[]> {
  const steps: string[] = [];
  await stack.preview({
    onEvent: (event) => {
      const step = event.resourcePreEvent?.metadata;
      if (step?.type === type && step.op !== "same") steps.push(`${step.op} ${step.urn}`);
    },
  });
  return steps;
}
