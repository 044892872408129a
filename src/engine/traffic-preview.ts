/**
 * Read-only previews of traffic changes for `plan` (the live diff of each pending step) and
 * for `plan --rollback` / `rollback --dry-run` (what a rollback would restore). Only reads.
 */
import type { Traffic } from '../actions/traffic/index.js';
import { TrafficError } from '../actions/traffic/types.js';
import type { TrafficSnapshot } from '../actions/traffic/types.js';
import type { JournalEvent } from '../journal/events.js';
import type { Step, TrafficAction } from '../runbook/types.js';
import { describeChange, describeDrift, driftAgainst, lastLeftOn, weightDifferences } from './drift.js';
import { firstCaptureSinceRollback } from './execute-rollback.js';

/** `drift`: the live weights differ from what the journal says was left, so the real rollback would stop there. */
export type TrafficPreview = { label: string; change: string; drift?: string } | { error: string };

/**
 * For each step (in order) with a traffic action: live weights -> weights after the step.
 * A later step on the same target starts from what the earlier one would leave.
 */
export async function previewForward(steps: readonly Step[], traffic: Traffic, signal: AbortSignal): Promise<Map<string, TrafficPreview>> {
  const previews = new Map<string, TrafficPreview>();
  const simulated = new Map<string, TrafficSnapshot>();
  for (const step of steps) {
    if (step.action.kind !== 'route53' && step.action.kind !== 'elbv2') continue;
    const action: TrafficAction = step.action;
    try {
      const live = await traffic.read(action, signal);
      const before = simulated.get(live.target) ?? live;
      const after = await traffic.desired(action, before);
      simulated.set(live.target, { ...before, weights: after });
      previews.set(step.id, { label: live.label, change: describeChange(before.weights, after, live.names, Object.keys(action.weights)) });
    } catch (error) {
      if (!(error instanceof TrafficError)) throw error;
      previews.set(step.id, { error: error.message });
    }
  }
  return previews;
}

/**
 * For a step about to be rolled back: live weights -> the captured weights a derived rollback
 * restores. `checkDrift`: also run the rollback's drift guard, for the first step of the
 * rollback on each target (later ones start from what the earlier restores leave).
 */
export async function previewRestore(
  events: readonly JournalEvent[],
  stepId: string,
  traffic: Traffic | undefined,
  signal: AbortSignal,
  options: { order?: string[]; checkDrift?: boolean } = {},
): Promise<TrafficPreview | undefined> {
  const captured = firstCaptureSinceRollback(events, stepId);
  if (!captured) return undefined;
  const order = options.order ?? [];
  if (!traffic) return { label: captured.label, change: `restore ${describeChange(captured.weights, captured.weights, captured.names, order)}` };
  try {
    const live = await traffic.reread(captured, signal);
    const preview = { label: captured.label, change: describeChange(live.weights, captured.weights, captured.names, order) };
    // Weights already at the capture are not drift (as in the real rollback).
    const drift = options.checkDrift && weightDifferences(captured.weights, live.weights).length > 0 ? driftAgainst(lastLeftOn(events, captured.target), live) : undefined;
    return drift ? { ...preview, drift: describeDrift(drift, { ...captured.names, ...live.names }) } : preview;
  } catch (error) {
    if (!(error instanceof TrafficError)) throw error;
    return { error: error.message };
  }
}
