/**
 * One step forward: precheck, action (with retries), verify. Intent (`step.started`) is
 * durable before anything runs; the outcome is journaled after it is known.
 */
import type { ActionResult } from '../actions/types.js';
import type { CheckPhase, TrafficLeft } from '../journal/events.js';
import type { Check, Step, TrafficAction } from '../runbook/types.js';
import { applyTraffic } from './execute-traffic.js';
import type { TrafficOutcome } from './execute-traffic.js';
import type { EngineContext } from './context.js';
import { executionFor, record } from './execution.js';
import type { StepFailure } from './operator.js';

export type StepResult =
  | { kind: 'succeeded' }
  | { kind: 'failed'; failure: StepFailure }
  | { kind: 'aborted' }
  /** A manual step the operator has not done yet. */
  | { kind: 'not-done' };

export function nextAttempt(ctx: EngineContext, stepId: string): number {
  return ctx.journal.events.filter((e) => e.type === 'step.started' && e.step === stepId).length + 1;
}

export async function executeStep(ctx: EngineContext, step: Step): Promise<StepResult> {
  if (step.action.kind === 'manual') {
    const choice = await ctx.operator.manual(step, step.action.instructions);
    if (choice === 'not-yet') return { kind: 'not-done' };
  }
  const attempt = nextAttempt(ctx, step.id);
  const startedAt = ctx.clock.now().getTime();
  await record(ctx, { type: 'step.started', step: step.id, attempt, data: { digest: step.digest, definition: step, host: ctx.host } });

  const fail = async (
    phase: StepFailure['phase'],
    reason: string,
    tail: string[],
    extra: { exitCode?: number; timedOut?: boolean; traffic?: TrafficLeft } = {},
  ): Promise<StepResult> => {
    await record(ctx, { type: 'step.failed', step: step.id, attempt, data: { phase, reason, tail, ...extra } });
    return { kind: 'failed', failure: { phase, reason, tail } };
  };

  if (step.precheck) {
    const result = await runChecks(ctx, step, attempt, 'precheck', step.precheck);
    if (result === 'aborted') return interrupted(ctx, step, attempt);
    if (!result.ok) return fail('precheck', `precheck failed: ${result.summary}`, result.details);
  }

  let trafficLeft: TrafficLeft | undefined;
  if (step.action.kind === 'gate') {
    // A check-only step: its precheck and verify are the step.
  } else if (step.action.kind === 'manual') {
    await record(ctx, { type: 'decision', step: step.id, attempt, data: { prompt: 'manual step done?', choice: 'done' } });
  } else if (step.action.kind === 'route53' || step.action.kind === 'elbv2') {
    const result = await applyTrafficWithRetries(ctx, step, attempt, step.action);
    if (!result.ok) {
      if (result.aborted) return interrupted(ctx, step, attempt);
      return fail(result.phase, result.reason, []);
    }
    trafficLeft = result.left;
  } else {
    const result = await runActionWithRetries(ctx, step, attempt);
    if (!result.ok) {
      if (result.aborted) return interrupted(ctx, step, attempt);
      return fail('action', result.reason, result.tail, { exitCode: result.exitCode, timedOut: result.timedOut });
    }
  }

  if (step.verify) {
    const result = await runChecks(ctx, step, attempt, 'verify', step.verify);
    if (result === 'aborted') return interrupted(ctx, step, attempt);
    // A traffic step's change stands even though its verify failed: the drift guard must know what it left.
    if (!result.ok) return fail('verify', `verify failed: ${result.summary}`, result.details, trafficLeft ? { traffic: trafficLeft } : {});
  }
  const durationMs = ctx.clock.now().getTime() - startedAt;
  await record(ctx, { type: 'step.succeeded', step: step.id, attempt, data: trafficLeft ? { durationMs, traffic: trafficLeft } : { durationMs } });
  return { kind: 'succeeded' };
}

function runActionWithRetries(ctx: EngineContext, step: Step, attempt: number): Promise<ActionResult> {
  return withRetries(
    ctx,
    step,
    () => ctx.actions.runAction(step.action, executionFor(ctx, step, attempt, 'action')),
    () => true,
  );
}

/**
 * `retry:` for a traffic step: an AWS error (after the SDK's own retries of throttling) is
 * tried again; drift is not. Each try reads live state again, so a change that went
 * through before the error is recognised (live already at the target), and a try that
 * captured has journaled the step's intended weights for the next try's drift guard.
 */
function applyTrafficWithRetries(ctx: EngineContext, step: Step, attempt: number, action: TrafficAction): Promise<TrafficOutcome> {
  return withRetries(
    ctx,
    step,
    () => applyTraffic(ctx, step, attempt, action, 'apply'),
    (failed) => failed.ok || failed.phase !== 'drift',
  );
}

/** Up to `retry.attempts` tries with `retry.delay` between them; an abort ends the tries at once. */
async function withRetries<R extends { ok: boolean; reason?: string; aborted?: boolean }>(
  ctx: EngineContext,
  step: Step,
  tryOnce: () => Promise<R>,
  retryable: (failed: R) => boolean,
): Promise<R> {
  let result = await tryOnce();
  for (let tryNumber = 2; tryNumber <= step.retry.attempts; tryNumber++) {
    if (result.ok || result.aborted || ctx.signal.aborted || !retryable(result)) return result;
    ctx.reporter.notify({ kind: 'warning', step: step.id, message: `${result.reason ?? 'failed'}; retrying (${tryNumber}/${step.retry.attempts})` });
    try {
      await ctx.clock.sleep(step.retry.delayMs, ctx.signal);
    } catch {
      return { ...result, aborted: true };
    }
    result = await tryOnce();
  }
  return result;
}

/** Runs a check; what its metric checks saw is journaled (check.observed), whatever the verdict. */
export async function runChecks(ctx: EngineContext, step: Step, attempt: number, phase: CheckPhase, check: Check) {
  if (ctx.signal.aborted) return 'aborted' as const;
  // A watch runs like a verify (same log, same spawn phase); only the journal tells them apart.
  const result = await ctx.actions.runCheck(check, executionFor(ctx, step, attempt, phase === 'watch' ? 'verify' : phase));
  if (ctx.signal.aborted) return 'aborted' as const;
  if (result.observations && result.observations.length > 0) {
    await record(ctx, { type: 'check.observed', step: step.id, attempt, data: { phase, ok: result.ok, observations: ctx.masker.value(result.observations) } });
  }
  return result;
}

async function interrupted(ctx: EngineContext, step: Step, attempt: number): Promise<StepResult> {
  const signal = String(ctx.signal.reason ?? 'SIGINT');
  await record(ctx, { type: 'step.interrupted', step: step.id, attempt, data: { signal, reason: `interrupted by ${signal}` } });
  return { kind: 'aborted' };
}
