import type { Step } from '../runbook/types.js';

/**
 * Steps with which cutover changes nothing, so a rollback passes over them instead of
 * stopping there: a manual step with "rollback: none" (an approval, a look) and a
 * check-only step (a gate, whose rollback is always none).
 */
export function nothingToUndo(step: Pick<Step, 'action' | 'rollback'>): boolean {
  return step.rollback.kind === 'none' && (step.action.kind === 'manual' || step.action.kind === 'gate');
}

/** Skipping these needs the step id typed and a reason: they are go/no-go decisions (an approval, a gate's checks). */
export function isGoNoGo(step: Pick<Step, 'action'>): boolean {
  return step.action.kind === 'manual' || step.action.kind === 'gate';
}
