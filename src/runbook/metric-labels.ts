/**
 * How the metric checks are named in messages, plan and the journal: pure words from their
 * typed definitions, shared by the checks (src/actions) and the one-line summaries (describe.ts).
 */
import { formatDuration } from './duration.js';
import type { CloudwatchAlarmCheck, CloudwatchMetricCheck, MetricStat, PrometheusCheck, Threshold } from './metric-types.js';

/** Up to 6 significant digits, without exponent noise for ordinary values: 0.0123, 812.5, 1.23457e+9. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  return String(Number(value.toPrecision(6)));
}

export function describeThreshold(threshold: Threshold): string {
  const parts: string[] = [];
  if (threshold.min !== undefined) parts.push(`>= ${formatValue(threshold.min)}`);
  if (threshold.max !== undefined) parts.push(`<= ${formatValue(threshold.max)}`);
  return parts.join(' and ');
}

export function alarmLabel(check: Pick<CloudwatchAlarmCheck, 'alarms' | 'prefix'>): string {
  if (check.alarms) return check.alarms.length === 1 ? `CloudWatch alarm ${check.alarms[0]}` : `CloudWatch alarms ${check.alarms.join(', ')}`;
  return `CloudWatch alarms named ${check.prefix}*`;
}

export function metricLabel(check: Pick<CloudwatchMetricCheck, 'query'>): string {
  const { query } = check;
  if (query.kind === 'expression') return `CloudWatch expression "${query.expression}"`;
  return `CloudWatch ${statLabel(query.metric)}`;
}

/** `AWS/ApplicationELB TargetResponseTime p99 {TargetGroup=targetgroup/green/...}` */
export function statLabel(metric: MetricStat): string {
  const dimensions = Object.entries(metric.dimensions).map(([name, value]) => `${name}=${value}`);
  return `${metric.namespace} ${metric.name} ${metric.statistic}${dimensions.length > 0 ? ` {${dimensions.join(', ')}}` : ''}${metric.unit ? ` in ${metric.unit}` : ''}`;
}

export function windowLabel(check: Pick<CloudwatchMetricCheck, 'lastMs' | 'periodMs'>): string {
  return `last ${formatDuration(check.lastMs)}${check.periodMs === check.lastMs ? '' : ` (period ${formatDuration(check.periodMs)})`}`;
}

/** Where the API is: the base URL given, with /api/v1/query added (a trailing slash is fine). */
export function queryEndpoint(url: string): string {
  const base = url.replace(/\/+$/, '');
  return base.endsWith('/api/v1/query') ? base : `${base}/api/v1/query`;
}

export function prometheusLabel(check: Pick<PrometheusCheck, 'query'>): string {
  return `Prometheus query ${JSON.stringify(check.query)}`;
}
