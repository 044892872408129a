/**
 * `run` and `resume`: execute pending steps in order. Completed steps never run again;
 * an interrupted step is resolved first; a changed completed step refuses the run.
 */
import { replay } from '../journal/replay.js';
import type { Step } from '../runbook/types.js';
import { askBeforeStep } from './before-step.js';
import type { StepChoice } from './before-step.js';
import type { EngineContext } from './context.js';
import { isGoNoGo } from './nothing-to-undo.js';
import { executeStep, nextAttempt } from './execute-step.js';
import { record } from './execution.js';
import { openBakeOf, superviseBake } from './bake.js';
import type { BakeMode, OpenBake } from './bake.js';
import { describeRefusal, plainHint, whatNext } from './next.js';
import type { Hint, NextPlan, Refusal } from './next.js';
import { resolveInterrupted } from './interrupted.js';
import { withDiffs } from './definition-diff.js';
import type { RunOutcome } from './outcome.js';
import { rollbackAfterFailure, rollbackToRunOutcome } from './rollback.js';
import { notify, settleNotifications } from './notify.js';

export interface RunOptions {
  command: 'run' | 'resume';
  maxSteps?: number;
  until?: string;
  /** Skip the pending steps before this one (journaled as skipped, "--start-at ID"); see whatNext. */
  startAt?: string;
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
  if (plan.refusal && !watchOnly) {
    const outcome = refusalOutcome(withDiffs(plan.refusal, runbook, replay(ctx.journal.events)), options.hint ?? plainHint(runbook.file), stepsRun);
    // The diff quotes definitions: secret values are masked before the reason leaves the engine.
    return 'reason' in outcome && outcome.reason !== undefined ? { ...outcome, reason: ctx.masker.text(outcome.reason) } : outcome;
  }

  await record(ctx, {
    type: 'run.started',
    data: {
      command: options.command,
      runbook: runbook.name,
      file: runbook.file,
      options: {
        maxSteps: options.maxSteps,
        until: options.until,
        ...(options.startAt !== undefined ? { startAt: options.startAt } : {}),
        acceptChanges: options.acceptChanges === true,
      },
    },
  });
  notify(ctx, { event: 'run-started', command: options.command });
  for (const change of plan.acceptChanges) {
    await record(ctx, { type: 'changes.accepted', step: change.step, data: { digestBefore: change.digestBefore, digestAfter: change.digestAfter } });
  }
  // Journaled (with who, as every event) before the first step runs: the skip is the operator's choice, not a result.
  for (const id of plan.skipped) {
    await record(ctx, { type: 'step.skipped', step: id, data: { reason: `--start-at ${options.startAt ?? ''}` } });
  }
  const outcome = await runScope(ctx, plan, options, stepsRun);
  notifyOutcome(ctx, outcome, options.hint ?? plainHint(runbook.file));
  await record(ctx, { type: 'run.finished', data: { command: options.command, outcome: outcome.state } });
  await settleNotifications(ctx);
  return outcome;
}

/**
 * The run's end, for the webhooks: completed, or stopped at a manual step until someone
 * approves it. Failures and rollbacks were sent where they happened (runWithRecovery,
 * watchOnce, rollback.ts), before any rollback they led to.
 */
function notifyOutcome(ctx: EngineContext, outcome: RunOutcome, hint: Hint): void {
  if (outcome.state === 'completed') notify(ctx, { event: 'completed' });
  if (outcome.state === 'waiting_approval') {
    const action = ctx.runbook.steps.find((step) => step.id === outcome.step)?.action;
    notify(ctx, {
      event: 'waiting-approval',
      step: outcome.step,
      ...(action?.kind === 'manual' ? { instructions: action.instructions } : {}),
      approve: hint('approve', outcome.step),
    });
  }
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
  // "Run all remaining without asking", chosen at a step prompt: for this invocation only (journaled as that decision).
  let continuing = false;
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

    if (step.confirm && !continuing) {
      const choice = await chooseBeforeStep(ctx, step, { index: index + 1, total });
      if (choice.choice === 'quit') return { state: 'advanced', stepsRun, next: step.id };
      if (choice.choice === 'continue') continuing = true;
      if (choice.choice === 'skip') {
        await record(ctx, {
          type: 'step.skipped',
          step: step.id,
          data: { reason: choice.note ? `skipped by the operator: ${choice.note}` : 'skipped by the operator' },
        });
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

/** The prompt before a step (before-step.ts), journaled. */
async function chooseBeforeStep(ctx: EngineContext, step: Step, position: { index: number; total: number }): Promise<StepChoice> {
  const answer = await askBeforeStep(ctx.operator, step, position, (message) => ctx.reporter.notify({ kind: 'warning', step: step.id, message }));
  if (answer.choice === 'skip' && isGoNoGo(step)) {
    await record(ctx, {
      type: 'decision',
      step: step.id,
      data: { prompt: 'skip this manual step? (its id typed to confirm)', choice: 'skip', note: answer.note },
    });
    return answer;
  }
  if (ctx.operator.interactive) {
    const note = answer.choice === 'continue' ? { note: 'run all remaining steps of this run without asking (manual steps and failures still ask)' } : {};
    await record(ctx, { type: 'decision', step: step.id, data: { prompt: 'run this step?', choice: answer.choice, ...note } });
  }
  return answer;
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
    notify(ctx, { event: 'step-failed', step: step.id, reason: result.failure.reason });
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
        const rolled = await rollbackAfterFailure(ctx, step, choice === 'rollback-all' ? 'all' : 'step', undefined, result.failure.reason);
        const untouched =
          rolled.state === 'nothing_to_roll_back' && result.failure.phase === 'precheck' ? `; ${step.id} never ran its action, so nothing was rolled back` : '';
        return rollbackToRunOutcome(rolled, stepsRun, step.id, `${result.failure.reason}${untouched}`);
      }
    }
  }
}
