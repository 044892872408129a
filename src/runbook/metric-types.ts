/** The typed metric checks (cloudwatchAlarm, cloudwatchMetric, prometheus), as resolve.ts produces them. */
import type { CheckRetry } from './types.js';

/** `max`: the value must be at most this; `min`: at least this; either or both. */
export interface Threshold {
  max?: number;
  min?: number;
}

/** What an alarm in INSUFFICIENT_DATA, or a metric without datapoints, counts as. */
export type MissingDataVerdict = 'fail' | 'pass';

export interface CloudwatchAlarmCheck {
  kind: 'cloudwatchAlarm';
  /** Exactly one of `alarms` and `prefix`. */
  alarms?: string[];
  prefix?: string;
  insufficientData: MissingDataVerdict;
  retry?: CheckRetry;
}

export interface MetricStat {
  namespace: string;
  name: string;
  dimensions: Record<string, string>;
  /** Average, Sum, Minimum, Maximum, SampleCount, p99, p99.9, tm90, IQM... */
  statistic: string;
  unit?: string;
}

export interface CloudwatchMetricCheck extends Threshold {
  kind: 'cloudwatchMetric';
  /** One metric, or a metric math expression over `metrics` (by id). */
  query: { kind: 'metric'; metric: MetricStat } | { kind: 'expression'; expression: string; metrics: Record<string, MetricStat> };
  /** Window length: the datapoints of the last `lastMs`, ending at the last full minute. */
  lastMs: number;
  /** Period of each datapoint; defaults to the window (one value for the whole window). */
  periodMs: number;
  noData: MissingDataVerdict;
  retry?: CheckRetry;
}

export interface PrometheusCheck extends Threshold {
  kind: 'prometheus';
  /** Base URL of the Prometheus API (cutover adds /api/v1/query). */
  url: string;
  query: string;
  headers: Record<string, string>;
  timeoutMs: number;
  retry?: CheckRetry;
}

export type MetricCheck = CloudwatchAlarmCheck | CloudwatchMetricCheck | PrometheusCheck;

/** Only the bounds given, so no `max: undefined` reaches a digest or the journal. */
export function boundsOf(threshold: Threshold): Threshold {
  return { ...(threshold.max !== undefined ? { max: threshold.max } : {}), ...(threshold.min !== undefined ? { min: threshold.min } : {}) };
}
