/**
 * `rollback`: reverse completed steps newest first, using the definitions recorded in
 * the journal. Stops at an irreversible step and at the first failure; running it again
 * continues where it stopped (the half-rolled-back step is retried first).
 */
import { replay } from '../journal/replay.js';
import type { StepRecord } from '../journal/replay.js';
import type { Step } from '../runbook/types.js';
import type { EngineContext } from './context.js';
import { rollbackStep } from './execute-rollback.js';
import { record } from './execution.js';
import type { RollbackOutcome, RunOutcome } from './outcome.js';

export interface RollbackOptions {
  /** Roll back every step after this one; it stays applied. */
  to?: string;
  /** Roll back only the newest N completed steps. */
  last?: number;
}

const UNDOABLE = new Set(['succeeded', 'rolling-back', 'rollback-failed']);

/** Completed (or half-rolled-back) steps, newest first, with their journaled definitions. */
export function rollbackCandidates(records: Iterable<StepRecord>): { id: string; definition: Step }[] {
  return [...records]
    .filter((r) => UNDOABLE.has(r.state) && r.definition !== undefined)
    .sort((a, b) => b.lastSeq - a.lastSeq)
    .map((r) => ({ id: r.id, definition: r.definition as Step }));
}

export type RollbackPlan = { ok: true; steps: { id: string; definition: Step }[] } | { ok: false; reason: string };

export function planRollback(ctx: Pick<EngineContext, 'journal'>, options: RollbackOptions): RollbackPlan {
  const state = replay(ctx.journal.events);
  let steps = rollbackCandidates(state.steps.values());
  if (options.to !== undefined) {
    const index = steps.findIndex((s) => s.id === options.to);
    if (index === -1) {
      const known = steps.map((s) => s.id).join(', ') || 'none';
      return { ok: false, reason: `--to ${options.to}: that step is not completed, so there is nothing to roll back to (completed: ${known})` };
    }
    steps = steps.slice(0, index);
  }
  if (options.last !== undefined) steps = steps.slice(0, options.last);
  return { ok: true, steps };
}

export async function rollbackRunbook(ctx: EngineContext, steps: { id: string; definition: Step }[]): Promise<RollbackOutcome> {
  await record(ctx, { type: 'run.started', data: { command: 'rollback', runbook: ctx.runbook.name, file: ctx.runbook.file, options: { steps: steps.map((s) => s.id) } } });
  const outcome = await reverse(ctx, steps, 'rollback requested');
  await record(ctx, { type: 'run.finished', data: { command: 'rollback', outcome: outcome.state } });
  return outcome;
}

/** Rolls back `steps` in the order given (newest first), stopping at the first that cannot be. */
export async function reverse(ctx: EngineContext, steps: { id: string; definition: Step }[], why: string): Promise<RollbackOutcome> {
  if (steps.length === 0) return { state: 'nothing_to_roll_back' };
  const done: string[] = [];
  for (const { definition } of steps) {
    const result = await rollbackStep(ctx, definition, why);
    switch (result.kind) {
      case 'rolled-back':
        done.push(definition.id);
        break;
      case 'irreversible':
        return { state: 'stopped_at_irreversible', steps: done, step: definition.id, reason: result.reason };
      case 'failed':
        return { state: 'rollback_failed', steps: done, step: definition.id, reason: result.reason };
      case 'aborted':
        return { state: 'interrupted', steps: done, step: definition.id, signal: String(ctx.signal.reason ?? 'SIGINT') };
    }
  }
  return { state: 'rolled_back', steps: done };
}

/** The operator chose to roll back after a failure: this step, or everything done so far. */
export async function rollbackAfterFailure(ctx: EngineContext, failed: Step, scope: 'step' | 'all', why = `step failed; operator chose rollback-${scope}`): Promise<RollbackOutcome> {
  const first = await reverse(ctx, [{ id: failed.id, definition: failed }], why);
  if (first.state !== 'rolled_back' || scope === 'step') return first;
  const rest = await reverse(ctx, rollbackCandidates(replay(ctx.journal.events).steps.values()), why);
  if (rest.state === 'nothing_to_roll_back') return first;
  return { ...rest, steps: [...first.steps, ...rest.steps] } as RollbackOutcome;
}

/** How a rollback after a failure ends the run. */
export function rollbackToRunOutcome(rolled: RollbackOutcome, stepsRun: string[], step: string, reason: string): RunOutcome {
  switch (rolled.state) {
    case 'rolled_back':
      return { state: 'rolled_back', stepsRun, steps: rolled.steps };
    case 'interrupted':
      return { state: 'interrupted', stepsRun, step: rolled.step, signal: rolled.signal };
    case 'rollback_failed':
      return { state: 'rollback_failed', stepsRun, step: rolled.step, reason: rolled.reason };
    case 'stopped_at_irreversible':
      return { state: 'rollback_failed', stepsRun, step: rolled.step, reason: `cannot roll back past irreversible step "${rolled.step}": ${rolled.reason}` };
    case 'nothing_to_roll_back':
      return { state: 'failed', stepsRun, step, reason };
  }
}
