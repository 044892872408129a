/**
 * `run` and `resume`: execute pending steps in order. Completed steps never run again;
 * an interrupted step is resolved first; a changed completed step refuses the run.
 */
import { replay } from '../journal/replay.js';
import type { Step } from '../runbook/types.js';
import type { EngineContext } from './context.js';
import { executeStep, nextAttempt } from './execute-step.js';
import { record } from './execution.js';
import { openBakeOf, superviseBake } from './bake.js';
import type { BakeMode, OpenBake } from './bake.js';
import { describeRefusal, plainHint, whatNext } from './next.js';
import type { Hint, NextPlan, Refusal } from './next.js';
import { resolveInterrupted } from './interrupted.js';
import type { RunOutcome } from './outcome.js';
import { rollbackAfterFailure, rollbackToRunOutcome } from './rollback.js';

export interface RunOptions {
  command: 'run' | 'resume';
  maxSteps?: number;
  until?: string;
  acceptChanges?: boolean;
  /** What to do at an open bake window; default: wait when interactive, exit otherwise. */
  bake?: BakeMode;
  /** How commands in messages are written (with the flags that found the journal); default without flags. */
  hint?: Hint;
}

export async function runRunbook(ctx: EngineContext, options: RunOptions): Promise<RunOutcome> {
  const { runbook } = ctx;
  const stepsRun: string[] = [];
  const plan = whatNext(runbook.steps, replay(ctx.journal.events), options, ctx.clock.now().getTime());
  // Refuse before touching anything (nothing is journaled): the same refusal plan, dry-run and status show.
  // `--until` a done step does nothing, except watch a bake window that is still open.
  const watchOnly = plan.refusal?.kind === 'until-done' && plan.bake !== undefined;
  if (plan.refusal && !watchOnly) return refusalOutcome(plan.refusal, options.hint ?? plainHint(runbook.file), stepsRun);

  await record(ctx, { type: 'run.started', data: { command: options.command, runbook: runbook.name, file: runbook.file, options: { maxSteps: options.maxSteps, until: options.until, acceptChanges: options.acceptChanges === true } } });
  for (const change of plan.acceptChanges) {
    await record(ctx, { type: 'changes.accepted', step: change.step, data: { digestBefore: change.digestBefore, digestAfter: change.digestAfter } });
  }
  const outcome = await runScope(ctx, plan, options, stepsRun);
  await record(ctx, { type: 'run.finished', data: { command: options.command, outcome: outcome.state } });
  return outcome;
}

/** How `run` ends on a refusal of whatNext. */
export function refusalOutcome(refusal: Refusal, hint: Hint, stepsRun: string[]): RunOutcome {
  const reason = describeRefusal(refusal, hint);
  switch (refusal.exit) {
    case 'refused':
      return { state: 'refused', stepsRun, reason };
    case 'failed':
      return { state: 'failed', stepsRun, step: refusal.kind === 'watch-failed' ? refusal.step : '', reason };
    case 'nothing':
      return { state: 'up_to_date', stepsRun, reason };
  }
}

/** Runs the steps in scope, in order, within --max-steps; stops at the first that ends the run. */
async function runScope(ctx: EngineContext, plan: NextPlan, options: RunOptions, stepsRun: string[]): Promise<RunOutcome> {
  const { runbook } = ctx;
  const total = runbook.steps.length;
  const byId = new Map(runbook.steps.map((step, index) => [step.id, { step, index }]));
  // Replayed once, not per step (that is quadratic in a long runbook): the loop only moves
  // forward, and nothing this run does changes a step it has not reached yet.
  const before = replay(ctx.journal.events);
  const bakeMode: BakeMode = options.bake ?? (ctx.operator.interactive ? 'wait' : 'exit');
  let bake: OpenBake | undefined = plan.bake && openBakeOf(before, ctx.clock.now().getTime(), runbook);
  // Stopping with a bake window open (the step just run, or the last step's): its watch is
  // evaluated once more and the run reports "baking", not advanced or completed.
  const stopAt = async (outcome: RunOutcome, mode: BakeMode): Promise<RunOutcome> => {
    if (!bake) return outcome;
    const stop = await superviseBake(ctx, bake, mode, { stepsRun, ...('next' in outcome && outcome.next !== undefined ? { next: outcome.next } : {}) });
    return stop ?? outcome;
  };
  for (const id of plan.scope) {
    const { step, index } = byId.get(id) as { step: Step; index: number };
    const current = before.steps.get(step.id);
    if (options.maxSteps !== undefined && stepsRun.length >= options.maxSteps) return stopAt({ state: 'advanced', stepsRun, next: step.id }, 'exit');
    const unfinished = current?.state === 'running' || current?.state === 'interrupted';
    // An interrupted step already started: its bake gate was passed before.
    if (bake && !unfinished) {
      const stop = await superviseBake(ctx, bake, bakeMode, { stepsRun, next: step.id });
      if (stop) return stop;
      bake = undefined;
    }

    if (unfinished) {
      const resolution = await resolveInterrupted(ctx, step, current);
      if (resolution.kind === 'stop') return resolution.outcome(stepsRun);
      if (resolution.kind === 'done') {
        stepsRun.push(step.id);
        continue;
      }
      // 'retry': fall through to a normal execution of the step.
    }

    if (step.confirm) {
      const choice = await chooseBeforeStep(ctx, step, { index: index + 1, total });
      if (choice.choice === 'quit') return { state: 'advanced', stepsRun, next: step.id };
      if (choice.choice === 'skip') {
        await record(ctx, { type: 'step.skipped', step: step.id, data: { reason: choice.note ? `skipped by the operator: ${choice.note}` : 'skipped by the operator' } });
        continue;
      }
    }

    const outcome = await runWithRecovery(ctx, step, stepsRun);
    if (outcome) return outcome;
    if (step.bakeMs !== undefined && stepsRun.includes(step.id)) {
      bake = { step, attempt: nextAttempt(ctx, step.id) - 1, endsAt: ctx.clock.now().getTime() + step.bakeMs };
    }
  }
  const next = plan.remaining[0];
  return stopAt(next ? { state: 'advanced', stepsRun, next } : { state: 'completed', stepsRun }, next ? 'exit' : bakeMode);
}

/**
 * The prompt before a step, journaled. A step with `skippable: false` is never skipped;
 * skipping a manual step (a go/no-go: one arrow key and Enter would otherwise let an
 * unattended run go on to 100%) needs its id typed and a reason, both journaled.
 */
async function chooseBeforeStep(ctx: EngineContext, step: Step, position: { index: number; total: number }): Promise<{ choice: 'run' | 'quit' } | { choice: 'skip'; note?: string }> {
  for (;;) {
    const choice = await ctx.operator.beforeStep(step, position);
    if (choice === 'skip' && step.skippable === false) {
      ctx.reporter.notify({ kind: 'warning', step: step.id, message: `${step.id} cannot be skipped (skippable: false in the runbook): run it, or quit` });
      continue;
    }
    if (choice === 'skip' && step.action.kind === 'manual') {
      const confirmed = await ctx.operator.confirmSkip(step);
      if (!confirmed) continue;
      await record(ctx, { type: 'decision', step: step.id, data: { prompt: 'skip this manual step? (its id typed to confirm)', choice: 'skip', note: confirmed.note } });
      return { choice: 'skip', note: confirmed.note };
    }
    if (ctx.operator.interactive) await record(ctx, { type: 'decision', step: step.id, data: { prompt: 'run this step?', choice } });
    return { choice };
  }
}

/** Runs a step until it succeeds, is skipped, or the run must end (returned). */
async function runWithRecovery(ctx: EngineContext, step: Step, stepsRun: string[]): Promise<RunOutcome | undefined> {
  for (;;) {
    const result = await executeStep(ctx, step);
    if (result.kind === 'succeeded') {
      stepsRun.push(step.id);
      return undefined;
    }
    if (result.kind === 'aborted') return { state: 'interrupted', stepsRun, step: step.id, signal: String(ctx.signal.reason ?? 'SIGINT') };
    if (result.kind === 'not-done') {
      if (ctx.operator.interactive) return { state: 'advanced', stepsRun, next: step.id };
      return { state: 'waiting_approval', stepsRun, step: step.id };
    }
    // Drift changed nothing, and the operator (or --force's absence) already said stop:
    // onFailure's rollback would restore state someone else has just set.
    if (result.failure.phase === 'drift') return { state: 'failed', stepsRun, step: step.id, reason: result.failure.reason };
    const choice = await ctx.operator.onFailure(step, result.failure);
    await record(ctx, { type: 'decision', step: step.id, data: { prompt: `step failed (${result.failure.phase}): what now?`, choice } });
    switch (choice) {
      case 'retry':
        continue;
      case 'skip':
        await record(ctx, { type: 'step.skipped', step: step.id, data: { reason: `skipped after failure: ${result.failure.reason}` } });
        return undefined;
      case 'abort':
        return { state: 'failed', stepsRun, step: step.id, reason: result.failure.reason };
      case 'rollback-step':
      case 'rollback-all': {
        const rolled = await rollbackAfterFailure(ctx, step, choice === 'rollback-all' ? 'all' : 'step');
        const untouched = rolled.state === 'nothing_to_roll_back' && result.failure.phase === 'precheck' ? `; ${step.id} never ran its action, so nothing was rolled back` : '';
        return rollbackToRunOutcome(rolled, stepsRun, step.id, `${result.failure.reason}${untouched}`);
      }
    }
  }
}
