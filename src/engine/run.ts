/**
 * `run` and `resume`: execute pending steps in order. Completed steps never run again;
 * an interrupted step is resolved first; a changed completed step refuses the run.
 */
import { replay } from '../journal/replay.js';
import type { Step } from '../runbook/types.js';
import type { EngineContext } from './context.js';
import { executeStep } from './execute-step.js';
import { record } from './execution.js';
import { failedWatch, openBake, superviseBake } from './bake.js';
import type { BakeMode } from './bake.js';
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
}

export async function runRunbook(ctx: EngineContext, options: RunOptions): Promise<RunOutcome> {
  const { runbook } = ctx;
  const stepsRun: string[] = [];
  const state = replay(ctx.journal.events);

  // Refuse before touching anything: a half-finished rollback, or completed steps whose definition changed.
  const halfRolledBack = runbook.steps.find((s) => ['rolling-back', 'rollback-failed'].includes(state.steps.get(s.id)?.state ?? ''));
  if (halfRolledBack) {
    return { state: 'refused', stepsRun, reason: `step "${halfRolledBack.id}" is partly rolled back; finish with "cutover rollback ${runbook.file}" before running forward again` };
  }
  const changed = runbook.steps.filter((s) => {
    const record = state.steps.get(s.id);
    if (!record || !(record.state === 'succeeded' || record.state === 'skipped') || record.digest === undefined || record.digest === s.digest) return false;
    // Accepted before (journaled by --accept-changes): that edit is the baseline now, not asked again.
    return !state.changesAccepted.some((a) => a.step === s.id && a.digestBefore === record.digest && a.digestAfter === s.digest);
  });
  if (changed.length > 0 && !options.acceptChanges) {
    const ids = changed.map((s) => s.id).join(', ');
    return { state: 'refused', stepsRun, reason: `completed step(s) changed since they ran: ${ids}. Review the change with "cutover plan", then run again with --accept-changes (journaled), or undo the edit` };
  }

  const watchFailure = failedWatch(runbook, state);
  if (watchFailure) {
    const reason = `the watch of ${watchFailure.step} failed during its bake at ${watchFailure.ts} (${watchFailure.summary}); find the cause, then record that it is fine with "cutover approve ${runbook.file} ${watchFailure.step}", or undo with "cutover rollback ${runbook.file}"`;
    return { state: 'failed', stepsRun, step: watchFailure.step, reason };
  }

  await record(ctx, { type: 'run.started', data: { command: options.command, runbook: runbook.name, file: runbook.file, options: { maxSteps: options.maxSteps, until: options.until, acceptChanges: options.acceptChanges === true } } });
  for (const step of changed) {
    await record(ctx, { type: 'changes.accepted', step: step.id, data: { digestBefore: state.steps.get(step.id)?.digest ?? '', digestAfter: step.digest } });
  }
  const outcome = await runPendingSteps(ctx, options, stepsRun);
  await record(ctx, { type: 'run.finished', data: { command: options.command, outcome: outcome.state } });
  return outcome;
}

async function runPendingSteps(ctx: EngineContext, options: RunOptions, stepsRun: string[]): Promise<RunOutcome> {
  const { runbook } = ctx;
  const total = runbook.steps.length;
  // Replayed once, not per step (that is quadratic in a long runbook): the loop only moves
  // forward, and nothing this run does changes a step it has not reached yet.
  const before = replay(ctx.journal.events);
  const bakeMode: BakeMode = options.bake ?? (ctx.operator.interactive ? 'wait' : 'exit');
  let bake = openBake(runbook, before, ctx.clock.now().getTime());
  for (const [index, step] of runbook.steps.entries()) {
    const current = before.steps.get(step.id);
    if (current && (current.state === 'succeeded' || current.state === 'skipped')) continue;
    if (options.maxSteps !== undefined && stepsRun.length >= options.maxSteps) return { state: 'advanced', stepsRun, next: step.id };
    // An interrupted step already started: its bake gate was passed before.
    if (bake && !(current && (current.state === 'running' || current.state === 'interrupted'))) {
      const stop = await superviseBake(ctx, bake, bakeMode, { stepsRun, next: step.id });
      if (stop) return stop;
      bake = undefined;
    }

    if (current && (current.state === 'running' || current.state === 'interrupted')) {
      const resolution = await resolveInterrupted(ctx, step, current);
      if (resolution.kind === 'done') {
        stepsRun.push(step.id);
        if (options.until === step.id) return afterUntil(ctx, runbook.steps, index, stepsRun);
        continue;
      }
      if (resolution.kind === 'stop') return resolution.outcome(stepsRun);
      // 'retry': fall through to a normal execution of the step.
    }

    if (step.confirm) {
      const choice = await ctx.operator.beforeStep(step, { index: index + 1, total });
      if (ctx.operator.interactive) await record(ctx, { type: 'decision', step: step.id, data: { prompt: 'run this step?', choice } });
      if (choice === 'quit') return { state: 'advanced', stepsRun, next: step.id };
      if (choice === 'skip') {
        await record(ctx, { type: 'step.skipped', step: step.id, data: { reason: 'skipped by the operator' } });
        continue;
      }
    }

    const outcome = await runWithRecovery(ctx, step, stepsRun);
    if (outcome) return outcome;
    if (step.bakeMs !== undefined && stepsRun.includes(step.id)) {
      bake = { step, attempt: ctx.journal.events.filter((e) => e.type === 'step.started' && e.step === step.id).length, endsAt: ctx.clock.now().getTime() + step.bakeMs };
    }
    if (options.until === step.id) return afterUntil(ctx, runbook.steps, index, stepsRun);
  }
  return { state: 'completed', stepsRun };
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
        return rollbackToRunOutcome(rolled, stepsRun, step.id, result.failure.reason);
      }
    }
  }
}

/** --until reached: advanced if anything is left, completed otherwise. */
function afterUntil(ctx: EngineContext, steps: Step[], index: number, stepsRun: string[]): RunOutcome {
  const state = replay(ctx.journal.events);
  const next = steps.slice(index + 1).find((s) => !['succeeded', 'skipped'].includes(state.steps.get(s.id)?.state ?? ''));
  return next ? { state: 'advanced', stepsRun, next: next.id } : { state: 'completed', stepsRun };
}
