/**
 * When a manual step counts as approved by `cutover approve` (the journal's approvals), for
 * an unattended operator. A run: one approval covers one attempt (unused, unrevoked,
 * unexpired, of the step's current digest: isApproved). A rehearsal: one unexpired approval
 * of its current digest covers the whole rehearsal of the step (run, roll back, run again).
 */
import type { JournalState } from '../journal/replay.js';
import { isApproved } from './next.js';
import type { NextStep } from './next.js';

export type ApprovalScope = 'attempt' | 'rehearsal';

export function approvalCheck(state: Pick<JournalState, 'approvals'>, scope: ApprovalScope, now: () => number = Date.now): (step: NextStep) => boolean {
  if (scope === 'attempt') return (step) => isApproved(state, step, now());
  return (step) =>
    state.approvals.some((a) => a.step === step.id && a.digest === step.digest && (a.expiresAt === undefined || Date.parse(a.expiresAt) > now()));
}
