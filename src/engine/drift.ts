/**
 * The drift guard's arithmetic, pure: what the journal says a traffic target was left at,
 * and how the live weights differ from that. Someone changing weights by hand between two
 * steps (or during a rollback) must stop cutover, not be silently overwritten.
 */
import type { JournalEvent, TrafficLeft } from '../journal/events.js';

export interface WeightDifference {
  key: string;
  expected: number | undefined;
  live: number | undefined;
}

export interface Drift {
  target: string;
  label: string;
  /** Which step (or rollback of which step) left the expected weights. */
  leftBy: string;
  differences: WeightDifference[];
  /** A step of cutover's own that may have changed the weights, and what it would have set. */
  unconfirmed?: { by: string; weights: Record<string, number> };
}

/** What the journal says a target should be at now. */
export interface Expected {
  left: TrafficLeft;
  by: string;
  /**
   * A step captured the target and then ended without saying what it left (the change
   * failed, or the process died): its change may or may not have gone through, so its
   * intended weights are as expected as `left`.
   */
  unconfirmed?: { by: string; weights: Record<string, number> };
}

/**
 * The newest state of `target` the journal knows: what a step or rollback left (a success,
 * or a step whose verify failed after the change), or what a step captured right before a
 * change whose outcome was never journaled. Undefined when no earlier step touched it: the
 * first change has nothing to compare with.
 */
export function lastLeftOn(events: readonly JournalEvent[], target: string): Expected | undefined {
  for (let index = events.length - 1; index >= 0; index--) {
    const event = events[index]!;
    if (event.type === 'step.succeeded' && event.data.traffic?.target === target) return { left: event.data.traffic, by: `step ${event.step ?? '?'}` };
    if (event.type === 'step.failed' && event.data.traffic?.target === target) return { left: event.data.traffic, by: `step ${event.step ?? '?'} (which then failed)` };
    if (event.type === 'rollback.succeeded' && event.data.traffic?.target === target) return { left: event.data.traffic, by: `the rollback of step ${event.step ?? '?'}` };
    if (event.type === 'step.captured' && event.data.target === target) {
      const { label, weights, intended } = event.data;
      const by = `step ${event.step ?? '?'} captured it`;
      return intended ? { left: { target, label, weights }, by, unconfirmed: { by: `step ${event.step ?? '?'}`, weights: intended } } : { left: { target, label, weights }, by };
    }
  }
  return undefined;
}

export function weightDifferences(expected: Record<string, number>, live: Record<string, number>): WeightDifference[] {
  const keys = [...new Set([...Object.keys(expected), ...Object.keys(live)])].sort();
  return keys.filter((key) => expected[key] !== live[key]).map((key) => ({ key, expected: expected[key], live: live[key] }));
}

export function driftAgainst(expected: Expected | undefined, live: { target: string; label: string; weights: Record<string, number> }): Drift | undefined {
  if (!expected) return undefined;
  const differences = weightDifferences(expected.left.weights, live.weights);
  if (differences.length === 0) return undefined;
  // The unconfirmed change went through: cutover's own doing, not drift.
  if (expected.unconfirmed && weightDifferences(expected.unconfirmed.weights, live.weights).length === 0) return undefined;
  const drift: Drift = { target: live.target, label: live.label, leftBy: expected.by, differences };
  return expected.unconfirmed ? { ...drift, unconfirmed: expected.unconfirmed } : drift;
}

/** `aws: journal says 10, live 25; onprem: journal says 90, live 75` (names instead of ARNs when known). */
export function describeDrift(drift: Drift, names: Record<string, string> = {}): string {
  const show = (value: number | undefined) => (value === undefined ? 'absent' : String(value));
  const parts = drift.differences.map((d) => {
    const ifApplied = drift.unconfirmed ? ` (${show(drift.unconfirmed.weights[d.key])} if its change went through)` : '';
    return `${names[d.key] ?? d.key}: journal says ${show(d.expected)}${ifApplied}, live ${show(d.live)}`;
  });
  return `${drift.label} changed since ${drift.leftBy} (${parts.join('; ')})`;
}

/**
 * `onprem 100 -> 90, aws 0 -> 10` for plan and prompts. `order` (the runbook's keys, names
 * or ids) puts the entries in the order the author wrote them; the rest follow.
 */
export function describeChange(before: Record<string, number>, after: Record<string, number>, names: Record<string, string> = {}, order: string[] = []): string {
  const rank = (key: string) => {
    const index = Math.max(order.indexOf(key), order.indexOf(names[key] ?? key));
    return index === -1 ? order.length : index;
  };
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort((a, b) => rank(a) - rank(b));
  const parts = keys.map((key) => {
    const from = before[key];
    const to = after[key];
    const label = names[key] ?? key;
    return from === to ? `${label} ${String(to)}` : `${label} ${from === undefined ? 'absent' : String(from)} -> ${to === undefined ? 'absent' : String(to)}`;
  });
  return parts.join(', ');
}
