/**
 * The rehearsal gate, pure: does every step of a runbook have a passing rehearsal of its
 * current definition in a rehearsal journal? Digests make "current definition" exact: a step
 * edited after its rehearsal has another digest; a variable marked `env: true` (zone ids, URLs
 * that differ between staging and production) enters digests as its name, not its value, so
 * the same runbook matches across environments (see resolve.ts).
 *
 * Per step, the newest `rehearsal.step` for its current digest decides: `passed` and
 * `irreversible` (no rollback to test; the action and verify passed) let it through;
 * `rollback-unverified` and `failed` do not. No rehearsal of the current digest: "definition
 * changed since" when another digest of the step was rehearsed, else "never rehearsed".
 */
import type { JournalEvent } from '../journal/events.js';
import type { Step } from '../runbook/types.js';

export type RehearsalGateWhy = 'never rehearsed' | 'definition changed since' | 'rollback unverified' | 'failed';

export interface UnrehearsedStep {
  id: string;
  why: RehearsalGateWhy;
}

export type RehearsalGateResult = { ok: true } | { ok: false; steps: UnrehearsedStep[] };

export function checkRehearsalGate(runbook: { steps: readonly Pick<Step, 'id' | 'digest'>[] }, rehearsalEvents: readonly JournalEvent[]): RehearsalGateResult {
  // step id -> digest -> newest verdict; and which step ids were rehearsed at all.
  const verdicts = new Map<string, Map<string, string>>();
  for (const event of rehearsalEvents) {
    if (event.type !== 'rehearsal.step' || event.step === undefined) continue;
    let byDigest = verdicts.get(event.step);
    if (!byDigest) verdicts.set(event.step, (byDigest = new Map()));
    byDigest.set(event.data.digest, event.data.verdict);
  }
  const refused: UnrehearsedStep[] = [];
  for (const step of runbook.steps) {
    const byDigest = verdicts.get(step.id);
    const verdict = byDigest?.get(step.digest);
    if (verdict === 'passed' || verdict === 'irreversible') continue;
    const why: RehearsalGateWhy =
      verdict === 'rollback-unverified' ? 'rollback unverified' : verdict !== undefined ? 'failed' : byDigest ? 'definition changed since' : 'never rehearsed';
    refused.push({ id: step.id, why });
  }
  return refused.length === 0 ? { ok: true } : { ok: false, steps: refused };
}
