/** Undo one step with the definition recorded in the journal, never the edited file. */
import type { TrafficLeft } from '../journal/events.js';
import { replay } from '../journal/replay.js';
import type { Step } from '../runbook/types.js';
import { applyTraffic, preflightApply, preflightRestore, restoreTraffic } from './execute-traffic.js';
import type { EngineContext } from './context.js';
import { executionFor, record } from './execution.js';
import { nothingToUndo } from './nothing-to-undo.js';
import { runChecks } from './execute-step.js';
import { recordRecoveredRollback, recoverInterruptedRollback } from './rollback-recovery.js';

export type RollbackResult =
  | { kind: 'rolled-back' }
  | { kind: 'irreversible'; reason: string }
  /** Stopped before anything was journaled or changed (the drift guard, a failed read): the step is left as it was. */
  | { kind: 'not-started'; reason: string; aborted?: boolean }
  | { kind: 'failed'; reason: string; tail: string[] }
  | { kind: 'aborted' };

export async function rollbackStep(ctx: EngineContext, step: Step, why: string): Promise<RollbackResult> {
  const rollback = step.rollback;
  // A manual step with nothing to undo (an approval, a look) or a gate is passed, not a
  // wall: cutover changed nothing there. Any other irreversible step stops the rollback.
  if (rollback.kind === 'none' && !nothingToUndo(step)) return { kind: 'irreversible', reason: rollback.reason };
  const recovery = await recoverInterruptedRollback(ctx, step);
  if (recovery.kind === 'recovered') {
    await recordRecoveredRollback(ctx, step, recovery.attempt);
    return { kind: 'rolled-back' };
  }
  if (recovery.kind === 'stuck') return recovery.aborted ? { kind: 'aborted' } : { kind: 'failed', reason: recovery.reason, tail: [] };
  const found = replay(ctx.journal.events).steps.get(step.id);
  const captured = rollback.kind === 'derived' ? found?.restoreCapture : undefined;
  // Preflight (reads and the drift guard) before rollback.started: a refused rollback changes nothing, not even the step's state.
  const retrying = found?.state === 'rolling-back' || found?.state === 'rollback-failed';
  const explicit = rollback.kind === 'action' ? rollback.run : undefined;
  const preflight = captured
    ? await preflightRestore(ctx, step, captured, retrying)
    : explicit && (explicit.kind === 'route53' || explicit.kind === 'elbv2')
      ? await preflightApply(ctx, step, explicit)
      : undefined;
  if (preflight && !preflight.ok) return { kind: 'not-started', reason: preflight.reason, ...(preflight.aborted ? { aborted: true } : {}) };
  const attempt = ctx.journal.events.filter((e) => e.type === 'rollback.started' && e.step === step.id).length + 1;
  const startedAt = ctx.clock.now().getTime();
  await record(ctx, {
    type: 'rollback.started',
    step: step.id,
    attempt,
    data: { digest: step.digest, reason: why, ...(preflight?.ok ? { restores: preflight.left } : {}) },
  });
  const fail = async (phase: 'action' | 'verify', reason: string, tail: string[], exitCode?: number): Promise<RollbackResult> => {
    await record(ctx, { type: 'rollback.failed', step: step.id, attempt, data: { phase, reason, tail, ...(exitCode === undefined ? {} : { exitCode }) } });
    return { kind: 'failed', reason, tail };
  };
  // A signal is handled like a crash, not a failure: the step stays rolling-back, and the
  // next rollback waits for (or kills) the undo's command and lets rollback.verify decide
  // whether the undo already happened, so it never runs twice.
  const aborted = async (): Promise<RollbackResult> => {
    const signal = String(ctx.signal.reason ?? 'SIGINT');
    await record(ctx, { type: 'step.interrupted', step: step.id, attempt, data: { signal, reason: `the rollback was interrupted by ${signal}` } });
    return { kind: 'aborted' };
  };

  if (rollback.kind === 'none') {
    await record(ctx, { type: 'rollback.succeeded', step: step.id, attempt, data: { durationMs: 0 } });
    return { kind: 'rolled-back' };
  }
  let trafficLeft: TrafficLeft | undefined;
  const run = rollback.kind === 'derived' ? undefined : rollback.run;
  if (!run) {
    // No capture: the step failed before it sent a change (drift, a read error), so there is nothing to restore.
    if (captured) {
      const result = await restoreTraffic(ctx, captured);
      if (!result.ok) return result.aborted ? aborted() : fail('action', result.reason, []);
      trafficLeft = result.left;
    }
  } else if (run.kind === 'manual') {
    const choice = await ctx.operator.manual(step, run.instructions);
    if (choice === 'not-yet') return fail('action', 'the manual rollback was not confirmed as done', []);
    await record(ctx, { type: 'decision', step: step.id, attempt, data: { prompt: 'manual rollback done?', choice: 'done' } });
  } else if (run.kind === 'route53' || run.kind === 'elbv2') {
    const result = await applyTraffic(ctx, step, attempt, run, 'rollback', { guarded: true });
    if (!result.ok) return result.aborted ? aborted() : fail('action', result.reason, []);
    trafficLeft = result.left;
  } else {
    const result = await ctx.actions.runAction(run, executionFor(ctx, step, attempt, 'rollback'));
    if (!result.ok) {
      if (result.aborted || ctx.signal.aborted) return aborted();
      return fail('action', result.reason, result.tail, result.exitCode);
    }
  }
  if (rollback.verify) {
    const result = await runChecks(ctx, step, attempt, 'rollback-verify', rollback.verify);
    if (result === 'aborted') return aborted();
    if (!result.ok) return fail('verify', `rollback verify failed: ${result.summary}`, result.details);
  }
  const durationMs = ctx.clock.now().getTime() - startedAt;
  await record(ctx, { type: 'rollback.succeeded', step: step.id, attempt, data: trafficLeft ? { durationMs, traffic: trafficLeft } : { durationMs } });
  return { kind: 'rolled-back' };
}
