/**
 * Bake windows and watches (canary analysis). After a step with `bake:` succeeds, the next
 * step may not start until the bake has passed, measured from the journaled success time so
 * it holds across separate CI runs. While a bake is open, every invocation evaluates the
 * step's `watch` and journals the result; a failing watch applies the step's onFailure.
 */
import type { JournalState } from '../journal/replay.js';
import { openBake } from './next.js';
import { definitionToCheck } from './runnable.js';
import { formatDuration } from '../runbook/duration.js';
import type { Runbook, Step } from '../runbook/types.js';
import type { EngineContext } from './context.js';
import { runChecks } from './execute-step.js';
import { record } from './execution.js';
import type { RunOutcome } from './outcome.js';
import { rollbackAfterFailure, rollbackToRunOutcome } from './rollback.js';
import { notify } from './notify.js';

/** wait: stay and watch until the bake has passed; exit: watch once and report "waiting". */
export type BakeMode = 'wait' | 'exit';

export interface OpenBake {
  /** The journaled definition of the step that is baking (what ran, not the edited file). */
  step: Step;
  attempt: number;
  endsAt: number;
}

/** The open bake window (next.ts openBake) with the journaled definition of the baking step: what ran. */
export function openBakeOf(state: JournalState, now: number, runbook: Pick<Runbook, 'steps'>): OpenBake | undefined {
  const open = openBake(state, now);
  const found = open && state.steps.get(open.step);
  return open && found?.definition ? { step: definitionToCheck(runbook, found.definition), attempt: found.attempts, endsAt: open.endsAt } : undefined;
}

/** How often watches are evaluated while waiting out a bake. */
export const BAKE_TICK_MS = 60_000;

/**
 * Keeps the bake: watch, then wait (mode 'wait') or report (mode 'exit'). Returns the run's
 * outcome when it must end here, undefined when the bake has passed and the run goes on.
 */
export async function superviseBake(
  ctx: EngineContext,
  bake: OpenBake,
  mode: BakeMode,
  run: { stepsRun: string[]; next?: string },
): Promise<RunOutcome | undefined> {
  const { step } = bake;
  let asked = false;
  for (;;) {
    let lastWatch = '';
    if (step.watch) {
      const ended = await watchOnce(ctx, bake, run.stepsRun);
      if (ended) return ended;
      const watched = ctx.journal.events.findLast((e) => e.type === 'bake.watch' && e.step === step.id);
      if (watched?.type === 'bake.watch')
        lastWatch = `; watch ${watched.data.ok ? 'ok' : 'accepted'} at ${watched.ts.slice(11, 19)}Z (${watched.data.summary})`;
    }
    const left = bake.endsAt - ctx.clock.now().getTime();
    if (left <= 0) return undefined;
    const waiting: RunOutcome = {
      state: 'waiting_bake',
      stepsRun: run.stepsRun,
      step: step.id,
      ...(run.next !== undefined ? { next: run.next } : {}),
      waitUntil: new Date(bake.endsAt).toISOString(),
    };
    if (mode === 'exit') return waiting;
    if (ctx.operator.interactive && !asked) {
      asked = true;
      const choice = await ctx.operator.bake(step, left);
      await record(ctx, {
        type: 'decision',
        step: step.id,
        attempt: bake.attempt,
        data: { prompt: `${step.id} is baking (${formatDuration(left)} left)`, choice },
      });
      if (choice === 'stop') return waiting;
      if (choice === 'rollback') {
        const rolled = await rollbackAfterFailure(ctx, step, 'step', 'the operator rolled back during the bake');
        return rollbackToRunOutcome(rolled, run.stepsRun, step.id, 'rolled back during the bake');
      }
    }
    const nextCheck = step.watch ? `, next check in ${formatDuration(roundUpToSecond(Math.min(BAKE_TICK_MS, left)))}` : '';
    ctx.reporter.notify({
      kind: 'info',
      step: step.id,
      message: `baking: ${formatDuration(roundUpToSecond(left))} left before ${run.next ?? 'the run completes'}${lastWatch}${nextCheck}`,
    });
    try {
      await ctx.clock.sleep(Math.min(BAKE_TICK_MS, left), ctx.signal);
    } catch {
      return { state: 'interrupted', stepsRun: run.stepsRun, step: step.id, signal: String(ctx.signal.reason ?? 'SIGINT'), during: 'bake' };
    }
  }
}

/** Evaluates the watch once and journals it; a failure goes through the step's onFailure. */
export async function watchOnce(ctx: EngineContext, bake: OpenBake, stepsRun: string[]): Promise<RunOutcome | undefined> {
  const { step } = bake;
  for (;;) {
    const result = await runChecks(ctx, step, bake.attempt, 'watch', step.watch ?? []);
    if (result === 'aborted') return { state: 'interrupted', stepsRun, step: step.id, signal: String(ctx.signal.reason ?? 'SIGINT'), during: 'bake' };
    await record(ctx, { type: 'bake.watch', step: step.id, attempt: bake.attempt, data: { ok: result.ok, summary: result.summary } });
    if (result.ok) return undefined;
    const reason = `watch failed during the bake: ${result.summary}`;
    notify(ctx, { event: 'watch-failed', step: step.id, reason: result.summary });
    const choice = await ctx.operator.onFailure(step, { phase: 'verify', reason, tail: result.details });
    await record(ctx, {
      type: 'decision',
      step: step.id,
      attempt: bake.attempt,
      data: { prompt: `watch of ${step.id} failed during its bake: what now?`, choice },
    });
    switch (choice) {
      case 'retry':
        continue;
      case 'skip':
        // The operator looked and accepts it: keep baking.
        return undefined;
      case 'abort':
        return { state: 'failed', stepsRun, step: step.id, reason };
      case 'rollback-step':
      case 'rollback-all': {
        const rolled = await rollbackAfterFailure(ctx, step, choice === 'rollback-all' ? 'all' : 'step', `watch failed during the bake; ${choice}`, reason);
        return rollbackToRunOutcome(rolled, stepsRun, step.id, reason);
      }
    }
  }
}

function roundUpToSecond(ms: number): number {
  return Math.ceil(ms / 1000) * 1000;
}
