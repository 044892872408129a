/**
 * Which definition of a step cutover may execute when it acts on what ran (a rollback, a
 * bake's watch, the verify of an interrupted step). The journal holds each step's
 * definition as it ran, but with secret values masked (`***`), and anyone who can write
 * the journal (a shared S3 object) can rewrite it. So:
 *
 * - the runbook's current definition, when its digest is the journaled one: the same step,
 *   with the real secret values, and nothing the journal says is executed;
 * - else the journaled definition, which differs from the runbook (edited since, or the
 *   journal was tampered with): only after a human confirms it (`journaledDiffers`), and
 *   never when it holds masked values, which cannot be run as they ran.
 */
import { canonicalJson } from '../runbook/digest.js';
import type { Runbook, Step } from '../runbook/types.js';
import { MASK } from '../support/mask.js';

export type Runnable =
  { ok: true; step: Step; journaledDiffers: false } | { ok: true; step: Step; journaledDiffers: true; current?: Step } | { ok: false; reason: string };

export function runnableDefinition(runbook: Pick<Runbook, 'steps'>, journaled: Step): Runnable {
  const current = runbook.steps.find((s) => s.id === journaled.id);
  if (current && current.digest === journaled.digest) return { ok: true, step: current, journaledDiffers: false };
  if (canonicalJson(journaled).includes(MASK)) {
    return {
      ok: false,
      reason: `the journaled definition of ${journaled.id} differs from the runbook's ${current ? 'current one' : '(the step is no longer in it)'} and holds masked secret values (${MASK}), so it cannot be run as it ran; put the step back as it was when it ran (digest ${journaled.digest}), or undo it by hand`,
    };
  }
  return current ? { ok: true, step: journaled, journaledDiffers: true, current } : { ok: true, step: journaled, journaledDiffers: true };
}

/**
 * For the watch and verify of what ran: the runbook's definition when it is the same step
 * (real secret values), else the runbook's current checks (they check the system as it is
 * now), and the journaled one only for a step gone from the runbook.
 */
export function definitionToCheck(runbook: Pick<Runbook, 'steps'>, journaled: Step): Step {
  return runbook.steps.find((s) => s.id === journaled.id) ?? journaled;
}
