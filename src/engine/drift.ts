/**
 * The drift guard's arithmetic, pure: what the journal says a traffic target was left at,
 * and how the live weights differ from that. Someone changing weights by hand between two
 * steps (or during a rollback) must stop cutover, not be silently overwritten.
 */
import type { JournalEvent } from '../journal/events.js';
import { noteTraffic } from '../journal/replay.js';
import type { TargetExpectation } from '../journal/replay.js';
import type { TrafficAction } from '../runbook/types.js';

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

/** What the journal says a target should be at now (the state model's TargetExpectation). */
export type Expected = TargetExpectation;

/**
 * The newest state of `target` the journal knows (journal/replay.ts noteTraffic): undefined
 * when no step of this journal touched it yet.
 */
export function lastLeftOn(events: readonly JournalEvent[], target: string): Expected | undefined {
  const targets = new Map<string, TargetExpectation>();
  for (const event of events) noteTraffic(targets, event);
  return targets.get(target);
}

/**
 * A traffic action that may change `target` (`route53:<zone>:<name>:<type>`,
 * `elbv2:<kind>:<arn>`), judged without AWS: a Route 53 zone may be written as a name or an
 * id, so only the record name and type are compared.
 */
export function actionMayTarget(action: TrafficAction, target: string): boolean {
  if (action.kind === 'elbv2') return target === `elbv2:${action.target.kind}:${action.target.arn}`;
  if (!target.startsWith('route53:')) return false;
  const parts = target.split(':');
  const type = parts.at(-1);
  const name = parts.slice(2, -1).join(':');
  const wanted = action.name.trim().toLowerCase();
  return type === action.type && name === (wanted.endsWith('.') ? wanted : `${wanted}.`);
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
  if (expected.earlier?.some((weights) => weightDifferences(weights, live.weights).length === 0)) return undefined;
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
export function describeChange(
  before: Record<string, number>,
  after: Record<string, number>,
  names: Record<string, string> = {},
  order: string[] = [],
  arrow = ' -> ',
): string {
  const rank = (key: string) => {
    const index = Math.max(order.indexOf(key), order.indexOf(names[key] ?? key));
    return index === -1 ? order.length : index;
  };
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort((a, b) => rank(a) - rank(b));
  const parts = keys.map((key) => {
    const from = before[key];
    const to = after[key];
    const label = names[key] ?? key;
    return from === to
      ? `${label} ${String(to)}`
      : `${label} ${from === undefined ? 'absent' : String(from)}${arrow}${to === undefined ? 'absent' : String(to)}`;
  });
  return parts.join(', ');
}
