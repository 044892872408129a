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
}

/**
 * The weights the newest traffic success (a step, or a rollback of one) left on `target`.
 * Undefined when no earlier step touched it: the first change has nothing to compare with.
 */
export function lastLeftOn(events: readonly JournalEvent[], target: string): { left: TrafficLeft; by: string } | undefined {
  for (let index = events.length - 1; index >= 0; index--) {
    const event = events[index]!;
    if (event.type === 'step.succeeded' && event.data.traffic?.target === target) return { left: event.data.traffic, by: `step ${event.step ?? '?'}` };
    if (event.type === 'rollback.succeeded' && event.data.traffic?.target === target) return { left: event.data.traffic, by: `the rollback of step ${event.step ?? '?'}` };
  }
  return undefined;
}

export function weightDifferences(expected: Record<string, number>, live: Record<string, number>): WeightDifference[] {
  const keys = [...new Set([...Object.keys(expected), ...Object.keys(live)])].sort();
  return keys.filter((key) => expected[key] !== live[key]).map((key) => ({ key, expected: expected[key], live: live[key] }));
}

export function driftAgainst(expected: { left: TrafficLeft; by: string } | undefined, live: { target: string; label: string; weights: Record<string, number> }): Drift | undefined {
  if (!expected) return undefined;
  const differences = weightDifferences(expected.left.weights, live.weights);
  return differences.length === 0 ? undefined : { target: live.target, label: live.label, leftBy: expected.by, differences };
}

/** `aws: journal says 10, live 25; onprem: journal says 90, live 75` (names instead of ARNs when known). */
export function describeDrift(drift: Drift, names: Record<string, string> = {}): string {
  const show = (value: number | undefined) => (value === undefined ? 'absent' : String(value));
  const parts = drift.differences.map((d) => `${names[d.key] ?? d.key}: journal says ${show(d.expected)}, live ${show(d.live)}`);
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
