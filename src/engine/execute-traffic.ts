/**
 * Route 53 / ELBv2 steps and their derived rollback. Order matters for safety:
 * read live state → drift guard → journal the capture (fsync'ed) → send the change → journal
 * what it left. A crash after the capture but before the outcome leaves everything a
 * rollback needs in the journal.
 */
import { TrafficError } from '../actions/traffic/types.js';
import type { TrafficSnapshot } from '../actions/traffic/types.js';
import type { TrafficLeft, TrafficSnapshotData } from '../journal/events.js';
import type { Step, TrafficAction } from '../runbook/types.js';
import type { EngineContext } from './context.js';
import { describeDrift, driftAgainst, lastLeftOn, weightDifferences } from './drift.js';
import type { Expected } from './drift.js';
import { record } from './execution.js';

export type TrafficOutcome =
  | { ok: true; left: TrafficLeft }
  | { ok: false; phase: 'action' | 'drift'; reason: string; aborted?: boolean };

const NO_AWS = 'this command was started without AWS access for traffic steps';

/** Forward: change the weights of a traffic step (or of an explicit traffic rollback action). */
export async function applyTraffic(ctx: EngineContext, step: Step, attempt: number, action: TrafficAction, doing: 'apply' | 'rollback'): Promise<TrafficOutcome> {
  const traffic = ctx.traffic;
  if (!traffic) return { ok: false, phase: 'action', reason: NO_AWS };
  return guarded(ctx, async () => {
    const before = await traffic.read(action, ctx.signal);
    const desired = await traffic.desired(action, before);
    // Already at the target weights (a retry after a change whose wait timed out): nothing drifted.
    if (weightDifferences(desired, before.weights).length > 0) {
      const stop = await driftGuard(ctx, step, attempt, lastLeftOn(ctx.journal.events, before.target), before, doing);
      if (stop) return stop;
    }
    if (doing === 'apply') {
      await record(ctx, { type: 'step.captured', step: step.id, attempt, data: { ...snapshotData(before), intended: desired } });
    }
    const after = await traffic.apply(action, before, ctx.signal);
    return { ok: true, left: leftOf(after) };
  });
}

/** Derived rollback: put back exactly what was captured before the step changed it. */
export async function restoreTraffic(ctx: EngineContext, step: Step, attempt: number, captured: TrafficSnapshotData): Promise<TrafficOutcome> {
  const traffic = ctx.traffic;
  if (!traffic) return { ok: false, phase: 'action', reason: NO_AWS };
  return guarded(ctx, async () => {
    const live = await traffic.reread(captured, ctx.signal);
    // Already restored (a rollback retried after its read-back failed): nothing drifted.
    if (weightDifferences(captured.weights, live.weights).length > 0) {
      const stop = await driftGuard(ctx, step, attempt, lastLeftOn(ctx.journal.events, captured.target), live, 'rollback');
      if (stop) return stop;
    }
    const restored = await traffic.restore(captured, ctx.signal);
    return { ok: true, left: leftOf(restored) };
  });
}

/**
 * After an interruption: are the live weights already what the step sets? A weight change
 * is idempotent, so "no" simply means run it again; "yes" (plus verify, if any) means done.
 */
export async function trafficAlreadyApplied(ctx: EngineContext, action: TrafficAction): Promise<{ applied: true; left: TrafficLeft } | { applied: false; reason: string }> {
  const traffic = ctx.traffic;
  if (!traffic) return { applied: false, reason: NO_AWS };
  try {
    const live = await traffic.read(action, ctx.signal);
    const desired = await traffic.desired(action, live);
    const differences = weightDifferences(desired, live.weights);
    if (differences.length === 0) return { applied: true, left: leftOf(live) };
    return { applied: false, reason: `${live.label} is not at the step's weights yet` };
  } catch (error) {
    if (error instanceof TrafficError) return { applied: false, reason: ctx.masker.text(error.message) };
    throw error;
  }
}

async function driftGuard(
  ctx: EngineContext,
  step: Step,
  attempt: number,
  expected: Expected | undefined,
  live: TrafficSnapshot,
  doing: 'apply' | 'rollback',
): Promise<TrafficOutcome | undefined> {
  const drift = driftAgainst(expected, live);
  if (!drift) return undefined;
  const description = describeDrift(drift, live.names);
  if (ctx.force) {
    await record(ctx, { type: 'decision', step: step.id, attempt, data: { prompt: `drift: ${description}`, choice: 'force', note: '--force' } });
    return undefined;
  }
  const choice = await ctx.operator.drift(step, description, doing);
  if (ctx.operator.interactive) await record(ctx, { type: 'decision', step: step.id, attempt, data: { prompt: `drift: ${description}`, choice } });
  if (choice === 'proceed') return undefined;
  return { ok: false, phase: 'drift', reason: `drift: ${description}; find out who changed it, then run again (--force applies anyway)` };
}

async function guarded(ctx: EngineContext, body: () => Promise<TrafficOutcome>): Promise<TrafficOutcome> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof TrafficError) return { ok: false, phase: 'action', reason: ctx.masker.text(error.message), aborted: ctx.signal.aborted };
    throw error;
  }
}

function snapshotData(snapshot: TrafficSnapshot): TrafficSnapshotData {
  const { kind, target, label, weights, names, state } = snapshot;
  return names ? { kind, target, label, weights, names, state } : { kind, target, label, weights, state };
}

function leftOf(snapshot: TrafficSnapshot): TrafficLeft {
  return { target: snapshot.target, label: snapshot.label, weights: snapshot.weights };
}

