/**
 * The values metric watches saw during bake windows (check.observed events of phase
 * `watch`), as one series per step, bake window and check, for the report's sparklines.
 */
import type { CheckObservationData, JournalEvent } from '../journal/events.js';

export interface WatchMetricPoint {
  ts: string;
  /** null: the check saw no value (no datapoints, an empty query result). */
  value: number | null;
  ok: boolean;
}

export interface WatchMetricSeries {
  step: string;
  attempt?: number;
  /** Which check (as journaled): `CloudWatch AWS/ApplicationELB TargetResponseTime p99 {...}`. */
  check: string;
  max?: number;
  min?: number;
  window?: string;
  /** The bake window the values fall in (start: the step's success); absent when the journal has none. */
  bake?: { start: string; end: string };
  points: WatchMetricPoint[];
}

/** `bakeOf(step, attempt)`: the bake window the report model drew for that run of the step. */
export function watchMetricSeries(
  events: readonly JournalEvent[],
  bakeOf: (step: string, attempt: number | undefined) => { start: string; end?: string } | undefined,
): WatchMetricSeries[] {
  const series = new Map<string, WatchMetricSeries>();
  for (const event of events) {
    if (event.type !== 'check.observed' || event.data.phase !== 'watch' || event.step === undefined) continue;
    for (const observation of event.data.observations as CheckObservationData[]) {
      const key = JSON.stringify([event.step, event.attempt ?? 0, observation.check]);
      let found = series.get(key);
      if (!found) {
        const bake = bakeOf(event.step, event.attempt);
        found = {
          step: event.step,
          ...(event.attempt !== undefined ? { attempt: event.attempt } : {}),
          check: observation.check,
          ...(observation.max !== undefined ? { max: observation.max } : {}),
          ...(observation.min !== undefined ? { min: observation.min } : {}),
          ...(observation.window !== undefined ? { window: observation.window } : {}),
          ...(bake ? { bake: { start: bake.start, end: bake.end ?? bake.start } } : {}),
          points: [],
        };
        series.set(key, found);
      }
      found.points.push({
        ts: event.ts,
        value: typeof observation.value === 'number' && Number.isFinite(observation.value) ? observation.value : null,
        ok: observation.ok === true,
      });
    }
  }
  return [...series.values()];
}
