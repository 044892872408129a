/** Raw metric checks -> typed ones: references interpolated, durations in ms, defaults applied. */
import { parseDuration } from './duration.js';
import { boundsOf } from './metric-types.js';
import type { CloudwatchAlarmCheck, CloudwatchMetricCheck, MetricCheck, MetricStat, PrometheusCheck } from './metric-types.js';
import type { RawSingleCheck } from './schema.js';

type RawMetricCheck = Extract<RawSingleCheck, { cloudwatchAlarm: unknown } | { cloudwatchMetric: unknown } | { prometheus: unknown }>;
type RawMetric = { namespace?: string; name?: string; dimensions?: Record<string, string>; statistic?: string; unit?: string };

export const DEFAULT_STATISTIC = 'Average';
export const DEFAULT_PROMETHEUS_TIMEOUT_MS = 10_000;

export function isMetricCheck(raw: Exclude<RawSingleCheck, string>): raw is RawMetricCheck {
  return 'cloudwatchAlarm' in raw || 'cloudwatchMetric' in raw || 'prometheus' in raw;
}

/** Without the retry, which resolve.ts adds as for every check. */
export function resolveMetricCheck(raw: RawMetricCheck, text: (value: string) => string): MetricCheck {
  if ('cloudwatchAlarm' in raw) {
    const a = raw.cloudwatchAlarm;
    const check: CloudwatchAlarmCheck = { kind: 'cloudwatchAlarm', insufficientData: a.insufficientData ?? 'fail' };
    if (a.alarms) check.alarms = a.alarms.map(text);
    if (a.prefix !== undefined) check.prefix = text(a.prefix);
    return check;
  }
  if ('cloudwatchMetric' in raw) {
    const m = raw.cloudwatchMetric;
    const lastMs = parseDuration(m.last) ?? 0;
    const query: CloudwatchMetricCheck['query'] =
      m.expression !== undefined
        ? {
            kind: 'expression',
            expression: text(m.expression),
            metrics: Object.fromEntries(Object.entries(m.metrics ?? {}).map(([id, metric]) => [id, metricStat(metric, text)])),
          }
        : { kind: 'metric', metric: metricStat(m, text) };
    return {
      kind: 'cloudwatchMetric',
      query,
      lastMs,
      periodMs: m.period === undefined ? lastMs : (parseDuration(m.period) ?? lastMs),
      noData: m.noData ?? 'fail',
      ...boundsOf(m),
    };
  }
  const p = raw.prometheus;
  const check: PrometheusCheck = {
    kind: 'prometheus',
    url: text(p.url),
    query: text(p.query),
    headers: Object.fromEntries(Object.entries(p.headers ?? {}).map(([name, value]) => [name, text(value)])),
    timeoutMs: p.timeout === undefined ? DEFAULT_PROMETHEUS_TIMEOUT_MS : (parseDuration(p.timeout) ?? DEFAULT_PROMETHEUS_TIMEOUT_MS),
    ...boundsOf(p),
  };
  return check;
}

function metricStat(raw: RawMetric, text: (value: string) => string): MetricStat {
  const stat: MetricStat = {
    namespace: text(raw.namespace ?? ''),
    name: text(raw.name ?? ''),
    dimensions: Object.fromEntries(Object.entries(raw.dimensions ?? {}).map(([name, value]) => [name, text(value)])),
    statistic: raw.statistic ?? DEFAULT_STATISTIC,
  };
  if (raw.unit !== undefined) stat.unit = raw.unit;
  return stat;
}
