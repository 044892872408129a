/**
 * The question before a step (`confirm: true`), asked the same way by run, rehearse and
 * `run --dry-run`, so none of them accepts an answer another refuses: a step with
 * `skippable: false` is never skipped, and skipping a manual step (a go/no-go: one arrow
 * key and Enter would otherwise let an unattended run go on to 100%) needs its id typed
 * and a reason. Journaling the answer is the caller's (a dry run journals nothing).
 */
import type { Step } from '../runbook/types.js';
import { isGoNoGo } from './nothing-to-undo.js';
import type { Operator } from './operator.js';

export type StepChoice = { choice: 'run' | 'continue' | 'quit' } | { choice: 'skip'; note?: string };

/** Asks until the answer is allowed; `refused` tells the operator why an answer was not. */
export async function askBeforeStep(
  operator: Operator,
  step: Step,
  position: { index: number; total: number },
  refused: (message: string) => void,
): Promise<StepChoice> {
  for (;;) {
    const choice = await operator.beforeStep(step, position);
    if (choice === 'skip' && step.skippable === false) {
      refused(`${step.id} cannot be skipped (skippable: false in the runbook): run it, or quit`);
      continue;
    }
    if (choice === 'skip' && isGoNoGo(step)) {
      const confirmed = await operator.confirmSkip(step);
      if (!confirmed) continue;
      return { choice: 'skip', note: confirmed.note };
    }
    return { choice };
  }
}
