/**
 * Read-only previews of traffic changes for `plan` (the live diff of each pending step) and
 * for `plan --rollback` / `rollback --dry-run` (what a rollback would restore, chained). Only reads.
 */
import type { Traffic } from '../actions/traffic/index.js';
import { describeStructuralChanges } from '../actions/traffic/structure.js';
import { TrafficError } from '../actions/traffic/types.js';
import type { TrafficSnapshot } from '../actions/traffic/types.js';
import type { JournalState } from '../journal/replay.js';
import type { Step, TrafficAction } from '../runbook/types.js';
import { mapLimit } from '../support/concurrency.js';
import { describeChange, describeDrift, driftAgainst, weightDifferences } from './drift.js';

/**
 * `drift`: the live weights differ from what the journal says was left, so the real rollback
 * would stop there (--force goes ahead). `structural`: a set or target group was added or
 * removed, or the forward action is gone: the rollback stops there even with --force.
 */
export type TrafficPreview = { label: string; change: string; drift?: string; structural?: string } | { error: string };

/** Live reads of plan in flight at once; the SDK retries throttling on its own. */
export const PREVIEW_READ_CONCURRENCY = 8;

/**
 * What a traffic action reads, as a key: two steps on the same record set (or listener, or
 * rule) read the same live state, so a plan reads it once. A zone given by name and by id
 * are two keys (one extra read, never a wrong one).
 */
export function trafficTargetKey(action: TrafficAction): string {
  if (action.kind === 'elbv2') return `elbv2 ${action.target.kind} ${action.target.arn}`;
  const name = action.name.trim().toLowerCase();
  return `route53 ${action.zone.trim().toLowerCase()} ${name.endsWith('.') ? name : `${name}.`} ${action.type}`;
}

/**
 * For each step (in order) with a traffic action: live weights -> weights after the step.
 * Each target is read once, and the reads run in parallel (`concurrency` at a time); the
 * previews are then chained in runbook order: a later step on the same target starts from
 * what the earlier one would leave.
 */
export async function previewForward(
  steps: readonly Step[],
  traffic: Traffic,
  signal: AbortSignal,
  options: { concurrency?: number } = {},
): Promise<Map<string, TrafficPreview>> {
  const actions = steps.flatMap((step) =>
    step.action.kind === 'route53' || step.action.kind === 'elbv2'
      ? [{ id: step.id, action: step.action as TrafficAction, key: trafficTargetKey(step.action) }]
      : [],
  );
  const firstOfTarget = new Map<string, TrafficAction>();
  for (const { action, key } of actions) if (!firstOfTarget.has(key)) firstOfTarget.set(key, action);
  const reads = new Map<string, { live: TrafficSnapshot } | { error: string }>();
  await mapLimit([...firstOfTarget], options.concurrency ?? PREVIEW_READ_CONCURRENCY, async ([key, action]) => {
    try {
      reads.set(key, { live: await traffic.read(action, signal) });
    } catch (error) {
      if (!(error instanceof TrafficError)) throw error;
      reads.set(key, { error: error.message });
    }
  });

  const previews = new Map<string, TrafficPreview>();
  const simulated = new Map<string, TrafficSnapshot>();
  for (const { id, action, key } of actions) {
    const read = reads.get(key);
    if (!read || 'error' in read) {
      previews.set(id, { error: read?.error ?? 'not read' });
      continue;
    }
    const live = read.live;
    try {
      const before = simulated.get(live.target) ?? live;
      const after = await traffic.desired(action, before);
      simulated.set(live.target, { ...before, weights: after });
      previews.set(id, { label: live.label, change: describeChange(before.weights, after, live.names, Object.keys(action.weights)) });
    } catch (error) {
      if (!(error instanceof TrafficError)) throw error;
      previews.set(id, { error: error.message });
    }
  }
  return previews;
}

/**
 * For the steps of a rollback, in the order it would undo them: the weights each derived
 * rollback would restore, chained: the first restore on a target starts from the live
 * weights (and runs the rollback's drift guard against the journal when `checkDrift`),
 * each later one from what the earlier restores leave. Read-only: one read per target.
 */
export async function previewRestores(
  state: JournalState,
  steps: readonly { id: string; order: string[] }[],
  traffic: Traffic | undefined,
  signal: AbortSignal,
  options: { checkDrift?: boolean } = {},
): Promise<Map<string, TrafficPreview>> {
  const previews = new Map<string, TrafficPreview>();
  const simulated = new Map<string, Record<string, number>>();
  const unavailable = new Map<string, string>();
  for (const { id, order } of steps) {
    const captured = state.steps.get(id)?.restoreCapture;
    if (!captured) continue;
    const target = captured.target;
    if (!traffic) {
      previews.set(id, { label: captured.label, change: `restore ${describeChange(captured.weights, captured.weights, captured.names, order)}` });
      continue;
    }
    const failed = unavailable.get(target);
    if (failed !== undefined) {
      previews.set(id, { error: failed });
      continue;
    }
    let before = simulated.get(target);
    let drift: string | undefined;
    let structural: string | undefined;
    if (!before) {
      try {
        const live = await traffic.reread(captured, signal);
        before = live.weights;
        const changes = traffic.structuralChanges(captured, live);
        if (changes.length > 0) structural = describeStructuralChanges(captured.label, changes);
        const expected = state.targets.get(target);
        const retrying = ['rolling-back', 'rollback-failed'].includes(state.steps.get(id)?.state ?? '');
        const alreadyRestored = retrying && weightDifferences(captured.weights, live.weights).length === 0;
        const found = options.checkDrift && !alreadyRestored ? driftAgainst(expected, live) : undefined;
        if (found) drift = describeDrift(found, { ...captured.names, ...live.names });
      } catch (error) {
        if (!(error instanceof TrafficError)) throw error;
        unavailable.set(target, error.message);
        previews.set(id, { error: error.message });
        continue;
      }
    }
    simulated.set(target, captured.weights);
    const preview = { label: captured.label, change: describeChange(before, captured.weights, captured.names, order) };
    previews.set(id, { ...preview, ...(drift ? { drift } : {}), ...(structural ? { structural } : {}) });
  }
  return previews;
}
