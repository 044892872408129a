/**
 * Route 53 / ELBv2 steps and their derived rollback. Order matters for safety:
 * read live state → drift guard → journal the capture (fsync'ed) → send the change → journal
 * what it left. A crash after the capture but before the outcome leaves everything a
 * rollback needs in the journal.
 */
import { describeStructuralChanges } from '../actions/traffic/structure.js';
import { TrafficError } from '../actions/traffic/types.js';
import type { TrafficSnapshot } from '../actions/traffic/types.js';
import type { TrafficLeft, TrafficSnapshotData } from '../journal/events.js';
import type { Step, TrafficAction } from '../runbook/types.js';
import type { EngineContext } from './context.js';
import { actionMayTarget, describeChange, describeDrift, driftAgainst, lastLeftOn, weightDifferences } from './drift.js';
import { record } from './execution.js';

export type TrafficOutcome = { ok: true; left: TrafficLeft } | { ok: false; phase: 'action' | 'drift'; reason: string; aborted?: boolean };

const NO_AWS = 'this command was started without AWS access for traffic steps';

/**
 * Forward: change the weights of a traffic step (or of an explicit traffic rollback action).
 * `guarded`: the drift guard already ran (a rollback's preflight), do not ask twice.
 */
export async function applyTraffic(
  ctx: EngineContext,
  step: Step,
  attempt: number,
  action: TrafficAction,
  doing: 'apply' | 'rollback',
  options: { guarded?: boolean } = {},
): Promise<TrafficOutcome> {
  const traffic = ctx.traffic;
  if (!traffic) return { ok: false, phase: 'action', reason: NO_AWS };
  return guarded(ctx, async () => {
    const before = await traffic.read(action, ctx.signal);
    const desired = await traffic.desired(action, before);
    if (!options.guarded) {
      const stop = await guardChange(ctx, step, attempt, before, desired, doing);
      if (stop) return stop;
    }
    if (doing === 'apply') {
      await record(ctx, { type: 'step.captured', step: step.id, attempt, data: { ...snapshotData(before), intended: desired } });
    }
    const after = await traffic.apply(action, before, ctx.signal);
    return { ok: true, left: leftOf(after) };
  });
}

/**
 * An explicit traffic rollback action's drift guard, run before its rollback is journaled.
 * `left` on success: the weights it is about to set (journaled in rollback.started).
 */
export async function preflightApply(ctx: EngineContext, step: Step, action: TrafficAction): Promise<TrafficOutcome> {
  const traffic = ctx.traffic;
  if (!traffic) return { ok: false, phase: 'action', reason: NO_AWS };
  return guarded(ctx, async () => {
    const before = await traffic.read(action, ctx.signal);
    const desired = await traffic.desired(action, before);
    return (await guardChange(ctx, step, undefined, before, desired, 'rollback')) ?? { ok: true, left: { ...leftOf(before), weights: desired } };
  });
}

/**
 * The drift guard before a change. Live weights must equal what the journal says was last
 * left on the target (a change of this step's own that may have gone through counts, see
 * driftAgainst); "live already equals the target" is no exemption, since someone else may
 * have set it. A target this journal never touched has nothing to compare with, but when its
 * live weights already equal what a later step sets, the migration is further along than
 * this journal knows (another directory, another journal): that stops too.
 */
async function guardChange(
  ctx: EngineContext,
  step: Step,
  attempt: number | undefined,
  live: TrafficSnapshot,
  desired: Record<string, number>,
  doing: 'apply' | 'rollback',
): Promise<TrafficOutcome | undefined> {
  const expected = lastLeftOn(ctx.journal.events, live.target);
  if (expected) {
    const drift = driftAgainst(expected, live);
    return drift ? driftGuard(ctx, step, attempt, describeDrift(drift, live.names), doing) : undefined;
  }
  if (doing !== 'apply' || weightDifferences(desired, live.weights).length === 0) return undefined;
  const later = await laterStepAt(ctx, step, live);
  if (!later) return undefined;
  const description = `${live.label} is already at the weights of the later step ${later} (${describeChange(live.weights, live.weights, live.names)}), but this journal never changed it: the migration looks further along than this journal knows (is another journal in use: another directory, --journal, the runbook's journal:?)`;
  return driftGuard(ctx, step, attempt, description, doing);
}

/** The first step after `step` whose weights, applied to `live`, are exactly the live ones. */
async function laterStepAt(ctx: EngineContext, step: Step, live: TrafficSnapshot): Promise<string | undefined> {
  const traffic = ctx.traffic;
  const steps = ctx.runbook.steps;
  const index = steps.findIndex((s) => s.id === step.id);
  if (!traffic || index === -1) return undefined;
  for (const later of steps.slice(index + 1)) {
    const action = later.action;
    if ((action.kind !== 'route53' && action.kind !== 'elbv2') || !actionMayTarget(action, live.target)) continue;
    try {
      if (weightDifferences(await traffic.desired(action, live), live.weights).length === 0) return later.id;
    } catch (error) {
      // A later step naming keys this target does not have: not where it points.
      if (!(error instanceof TrafficError)) throw error;
    }
  }
  return undefined;
}

/**
 * A derived rollback's preflight, before its rollback is journaled: read the target and run
 * the drift guard, so a refused rollback changes nothing (not even the step's state).
 * `retrying`: an earlier rollback of this step started, so live weights already at the
 * capture are its own doing, not drift.
 */
export async function preflightRestore(ctx: EngineContext, step: Step, captured: TrafficSnapshotData, retrying: boolean): Promise<TrafficOutcome> {
  const traffic = ctx.traffic;
  if (!traffic) return { ok: false, phase: 'action', reason: NO_AWS };
  const intended: TrafficLeft = { target: captured.target, label: captured.label, weights: captured.weights };
  return guarded(ctx, async () => {
    const live = await traffic.reread(captured, ctx.signal);
    // Not a question of weights: no prompt and no --force puts weights back over a set or target group added or removed.
    const changes = traffic.structuralChanges(captured, live);
    if (changes.length > 0) return { ok: false, phase: 'drift', reason: describeStructuralChanges(captured.label, changes) };
    if (retrying && weightDifferences(captured.weights, live.weights).length === 0) return { ok: true, left: intended };
    const drift = driftAgainst(lastLeftOn(ctx.journal.events, captured.target), live);
    return (
      (drift && (await driftGuard(ctx, step, undefined, describeDrift(drift, { ...captured.names, ...live.names }), 'rollback'))) || {
        ok: true,
        left: intended,
      }
    );
  });
}

/** Derived rollback: put back the weights captured before the step changed them, every other field as it is live (after preflightRestore). */
export async function restoreTraffic(ctx: EngineContext, captured: TrafficSnapshotData): Promise<TrafficOutcome> {
  const traffic = ctx.traffic;
  if (!traffic) return { ok: false, phase: 'action', reason: NO_AWS };
  return guarded(ctx, async () => ({ ok: true, left: leftOf(await traffic.restore(captured, ctx.signal)) }));
}

/**
 * After an interruption: are the live weights already what the step sets? A weight change
 * is idempotent, so "no" simply means run it again; "yes" (plus verify, if any) means done.
 */
export async function trafficAlreadyApplied(
  ctx: EngineContext,
  action: TrafficAction,
): Promise<{ applied: true; left: TrafficLeft } | { applied: false; reason: string }> {
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
  attempt: number | undefined,
  description: string,
  doing: 'apply' | 'rollback',
): Promise<TrafficOutcome | undefined> {
  const at = attempt === undefined ? {} : { attempt };
  if (ctx.force) {
    await record(ctx, { type: 'decision', step: step.id, ...at, data: { prompt: `drift: ${description}`, choice: 'force', note: '--force' } });
    return undefined;
  }
  const choice = await ctx.operator.drift(step, description, doing);
  if (ctx.operator.interactive) await record(ctx, { type: 'decision', step: step.id, ...at, data: { prompt: `drift: ${description}`, choice } });
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
