/**
 * `rollback`: reverse every step whose effect may be applied, newest first, using the
 * definitions recorded in the journal (docs/running.md, "What rollback covers"). Stops at an irreversible step and at the first failure; running it again
 * continues where it stopped (the half-rolled-back step is retried first).
 */
import { replay } from '../journal/replay.js';
import type { JournalState, StepRecord } from '../journal/replay.js';
import { closest } from '../runbook/suggest.js';
import type { Step } from '../runbook/types.js';
import type { EngineContext } from './context.js';
import { rollbackStep } from './execute-rollback.js';
import { nothingToUndo } from './nothing-to-undo.js';
import { runnableDefinition } from './runnable.js';
import { record } from './execution.js';
import { describeRollback } from '../runbook/describe.js';
import type { RollbackOutcome, RunOutcome } from './outcome.js';
import { notify, settleNotifications } from './notify.js';

export interface RollbackOptions {
  /** Roll back every step after this one (in runbook order); it stays applied. */
  to?: string;
  /** Roll back only the newest N steps. */
  last?: number;
}

export interface RollbackCandidate {
  id: string;
  /** The journaled definition: what ran, never the edited file. */
  definition: Step;
  /** A human confirmed running the journaled definition although it differs from the runbook's (see runnable.ts). */
  trusted?: boolean;
  /**
   * Set when the step's effect is unknown (it failed in its action or verify, or was
   * interrupted) and its rollback is not a restore of captured traffic: whether to run its
   * rollback is the operator's choice (`--failed-steps` in CI).
   */
  uncertain?: string;
}

/**
 * Every step whose effect may be applied, newest first: succeeded steps; traffic steps with
 * a capture whatever their state (failed, interrupted, skipped after a failure: the change
 * may have gone through, and the capture says what to put back); steps whose effect is
 * unknown (marked `uncertain`); and half-rolled-back steps, whose rollback is finished.
 */
export function rollbackCandidates(state: JournalState): RollbackCandidate[] {
  const candidates: (RollbackCandidate & { seq: number })[] = [];
  for (const record of state.steps.values()) {
    const definition = record.definition;
    if (!definition) continue;
    const derivedTraffic = definition.rollback.kind === 'derived';
    const seq = record.lastSeq;
    if (record.state === 'rolling-back' || record.state === 'rollback-failed' || record.effect === 'applied' || (derivedTraffic && record.restoreCapture)) {
      candidates.push({ id: record.id, definition, seq });
    } else if (record.effect === 'unknown' && !derivedTraffic && !nothingToUndo(definition)) {
      candidates.push({ id: record.id, definition, seq, uncertain: uncertainty(record) });
    }
  }
  return candidates.sort((a, b) => b.seq - a.seq).map(({ seq: _seq, ...candidate }) => candidate);
}

function uncertainty(record: StepRecord): string {
  if (record.state === 'failed') return `it failed in its ${record.failedPhase ?? 'action'}`;
  if (record.state === 'skipped') return 'it failed and was then skipped';
  return record.state === 'running' ? 'it was left running when cutover stopped' : 'it was interrupted';
}

export type RollbackPlan = { ok: true; steps: RollbackCandidate[] } | { ok: false; reason: string };

/** Pure: what `rollback` (with --to / --last) would undo, newest first. */
export function planRollback(state: JournalState, runbookIds: readonly string[], options: RollbackOptions): RollbackPlan {
  let steps = rollbackCandidates(state);
  const to = options.to;
  if (to !== undefined) {
    const index = runbookIds.indexOf(to);
    if (index === -1 && !state.steps.has(to)) {
      const suggestion = closest(to, [...new Set([...runbookIds, ...state.steps.keys()])]);
      return { ok: false, reason: `--to ${to}: no such step${suggestion ? ` (did you mean ${suggestion}?)` : ''}; "cutover status" lists the steps` };
    }
    const after = state.steps.get(to)?.lastSeq ?? 0;
    // Runbook order decides what comes after `to`; a step gone from the runbook by when it last ran.
    steps = steps.filter((s) => {
      const position = runbookIds.indexOf(s.id);
      return position === -1 || index === -1 ? (state.steps.get(s.id)?.lastSeq ?? 0) > after : position > index;
    });
  }
  if (options.last !== undefined) steps = steps.slice(0, options.last);
  return { ok: true, steps };
}

export async function rollbackRunbook(ctx: EngineContext, steps: RollbackCandidate[], options: { confirmEach?: boolean } = {}): Promise<RollbackOutcome> {
  await record(ctx, {
    type: 'run.started',
    data: {
      command: 'rollback',
      runbook: ctx.runbook.name,
      file: ctx.runbook.file,
      options: { steps: steps.map((s) => s.id), ...(options.confirmEach ? { confirmEach: true } : {}) },
    },
  });
  notify(ctx, { event: 'run-started', command: 'rollback' });
  const outcome = await reverse(ctx, steps, 'rollback requested', options.confirmEach === true);
  notifyRollback(ctx, outcome, 'rollback requested');
  await record(ctx, { type: 'run.finished', data: { command: 'rollback', outcome: outcome.state } });
  await settleNotifications(ctx);
  return outcome;
}

/**
 * The one place a rollback's end reaches the webhooks: `cutover rollback`, and a rollback
 * after a failed step or watch. Stopped before it was done (a failure, an irreversible
 * step, the drift guard) is rollback-failed: the migration is half undone.
 */
function notifyRollback(ctx: EngineContext, outcome: RollbackOutcome, why: string, cause?: string): void {
  const after = cause !== undefined ? { step: cause } : {};
  switch (outcome.state) {
    case 'rolled_back':
      notify(ctx, { event: 'rolled-back', ...after, steps: outcome.steps, reason: why });
      return;
    case 'rollback_failed':
    case 'stopped':
    case 'stopped_at_irreversible':
      notify(ctx, {
        event: 'rollback-failed',
        step: outcome.step,
        steps: outcome.steps,
        reason: outcome.state === 'stopped_at_irreversible' ? `cannot roll back past irreversible step ${outcome.step}: ${outcome.reason}` : outcome.reason,
      });
      return;
    default:
      return;
  }
}

/**
 * Rolls back `steps` in the order given (newest first), stopping at the first that cannot be.
 * `confirmEach` (rollback --confirm-each): the operator confirms each step first (journaled);
 * a "no" stops there, since skipping one and undoing older ones would leave a gap.
 */
export async function reverse(ctx: EngineContext, steps: RollbackCandidate[], why: string, confirmEach = false): Promise<RollbackOutcome> {
  if (steps.length === 0) return { state: 'nothing_to_roll_back' };
  const done: string[] = [];
  for (const candidate of steps) {
    if (confirmEach) {
      const prompt = `Roll back ${candidate.id} (${oneLine(describeRollback(candidate.definition.rollback))})?`;
      const yes = await ctx.operator.confirm(prompt);
      await record(ctx, { type: 'decision', step: candidate.id, data: { prompt: 'roll back this step? (--confirm-each)', choice: yes ? 'rollback' : 'stop' } });
      if (!yes) return { state: 'cancelled', steps: done, step: candidate.id };
    }
    const runnable = runnableDefinition(ctx.runbook, candidate.definition);
    if (!runnable.ok) return { state: 'stopped', steps: done, step: candidate.id, reason: runnable.reason };
    if (runnable.journaledDiffers && !candidate.trusted) {
      return {
        state: 'stopped',
        steps: done,
        step: candidate.id,
        reason: `the journaled definition of ${candidate.id} differs from the runbook's; a human must confirm running it ("cutover rollback" asks; --trust-journal in CI)`,
      };
    }
    const definition = runnable.step;
    const result = await rollbackStep(ctx, definition, why);
    switch (result.kind) {
      case 'rolled-back':
        done.push(definition.id);
        break;
      case 'irreversible':
        return { state: 'stopped_at_irreversible', steps: done, step: definition.id, reason: result.reason };
      case 'failed':
        return { state: 'rollback_failed', steps: done, step: definition.id, reason: result.reason };
      case 'not-started':
        if (result.aborted) return { state: 'interrupted', steps: done, step: definition.id, signal: String(ctx.signal.reason ?? 'SIGINT') };
        return { state: 'stopped', steps: done, step: definition.id, reason: result.reason };
      case 'aborted':
        return { state: 'interrupted', steps: done, step: definition.id, signal: String(ctx.signal.reason ?? 'SIGINT') };
    }
  }
  return { state: 'rolled_back', steps: done };
}

/** The operator chose to roll back after a failure: this step, or everything done so far. */
/** `failure`: what went wrong, for the webhooks (the journal's `why` says who chose the rollback). */
export async function rollbackAfterFailure(
  ctx: EngineContext,
  failed: Step,
  scope: 'step' | 'all',
  why = `step failed; operator chose rollback-${scope}`,
  failure?: string,
): Promise<RollbackOutcome> {
  const outcome = await rollbackInScope(ctx, failed, scope, why);
  notifyRollback(ctx, outcome, failure ?? why, failed.id);
  return outcome;
}

async function rollbackInScope(ctx: EngineContext, failed: Step, scope: 'step' | 'all', why: string): Promise<RollbackOutcome> {
  // Its precheck (or drift guard) stopped it before its action, on its first attempt: it
  // changed nothing, and its rollback must not run (it would undo what it never did).
  if (replay(ctx.journal.events).steps.get(failed.id)?.effect === 'none') {
    return scope === 'step' ? { state: 'nothing_to_roll_back' } : reverse(ctx, rollbackCandidates(replay(ctx.journal.events)), why);
  }
  const first = await reverse(ctx, [{ id: failed.id, definition: failed }], why);
  if (first.state !== 'rolled_back' || scope === 'step') return first;
  // The operator asked for everything: steps whose effect is unknown are rolled back too.
  const rest = await reverse(ctx, rollbackCandidates(replay(ctx.journal.events)), why);
  if (rest.state === 'nothing_to_roll_back' || rest.state === 'cancelled') return first;
  return { ...rest, steps: [...first.steps, ...rest.steps] } as RollbackOutcome;
}

/** How a rollback after a failure ends the run. */
export function rollbackToRunOutcome(rolled: RollbackOutcome, stepsRun: string[], step: string, reason: string): RunOutcome {
  switch (rolled.state) {
    case 'rolled_back':
      return { state: 'rolled_back', stepsRun, steps: rolled.steps, step, reason };
    case 'interrupted':
      return { state: 'interrupted', stepsRun, step: rolled.step, signal: rolled.signal };
    case 'rollback_failed':
      return { state: 'rollback_failed', stepsRun, step: rolled.step, reason: rolled.reason };
    case 'stopped':
      return { state: 'rollback_failed', stepsRun, step: rolled.step, reason: `the rollback did not start: ${rolled.reason}` };
    case 'stopped_at_irreversible':
      return { state: 'rollback_failed', stepsRun, step: rolled.step, reason: `cannot roll back past irreversible step "${rolled.step}": ${rolled.reason}` };
    case 'nothing_to_roll_back':
    case 'cancelled':
      return { state: 'failed', stepsRun, step, reason };
  }
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ⏎ ');
}
