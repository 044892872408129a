/**
 * The `cloudwatchMetric` check: one metric, or a metric math expression, over the last
 * `last` (ending at the last full minute, so every period is complete), compared with
 * max/min. GetMetricData only, every page. Every datapoint in the window must be within the
 * threshold; the message names the worst one. No datapoint at all fails unless `noData: pass`.
 */
import type { MetricDataQuery, MetricDataResult, StandardUnit } from '@aws-sdk/client-cloudwatch';
import type { AwsClients } from '../aws/clients.js';
import { describeAwsError } from '../aws/errors.js';
import type { CloudwatchMetricCheck, MetricStat } from '../runbook/metric-types.js';
import { EXPRESSION_ID } from '../runbook/schema-metrics.js';
import type { Clock } from '../support/clock.js';
import { boundsOf, breach, describeThreshold, formatValue } from './threshold.js';
import type { CheckObservation, CheckResult } from './types.js';
import { metricLabel, windowLabel } from '../runbook/metric-labels.js';

export async function runCloudwatchMetric(check: CloudwatchMetricCheck, ctx: { clients: AwsClients; signal: AbortSignal; clock: Clock }): Promise<CheckResult> {
  const label = metricLabel(check);
  const window = windowLabel(check);
  try {
    if (!ctx.clients.cloudwatch) throw new Error('no CloudWatch client is set up');
    const client = await ctx.clients.cloudwatch();
    const { GetMetricDataCommand } = await import('@aws-sdk/client-cloudwatch');
    const { start, end } = windowOf(check, ctx.clock.now().getTime());
    const results: MetricDataResult[] = [];
    let token: string | undefined;
    do {
      const out = await client.send(
        new GetMetricDataCommand({
          MetricDataQueries: queriesOf(check),
          StartTime: new Date(start),
          EndTime: new Date(end),
          ScanBy: 'TimestampDescending',
          NextToken: token,
        }),
        { abortSignal: ctx.signal },
      );
      results.push(...(out.MetricDataResults ?? []));
      token = out.NextToken || undefined;
    } while (token);
    return verdict(check, label, window, results);
  } catch (error) {
    if (ctx.signal.aborted) return { ok: false, summary: `${label}: interrupted`, details: [], aborted: true };
    return { ok: false, summary: describeAwsError(error, `reading ${label}`).message, details: [] };
  }
}

/**
 * The window ends at the last full minute (or full period, for periods under a minute):
 * CloudWatch aligns periods to the start time, so a window ending "now" would add a
 * partial, low last period, and most AWS metrics arrive a minute late anyway.
 */
export function windowOf(check: Pick<CloudwatchMetricCheck, 'lastMs' | 'periodMs'>, now: number): { start: number; end: number } {
  const align = check.periodMs % 60_000 === 0 ? 60_000 : check.periodMs;
  const end = Math.floor(now / align) * align;
  return { start: end - check.lastMs, end };
}

function queriesOf(check: CloudwatchMetricCheck): MetricDataQuery[] {
  const period = Math.round(check.periodMs / 1000);
  const stat = (id: string, metric: MetricStat, returnData: boolean): MetricDataQuery => ({
    Id: id,
    MetricStat: {
      Metric: { Namespace: metric.namespace, MetricName: metric.name, Dimensions: Object.entries(metric.dimensions).map(([Name, Value]) => ({ Name, Value })) },
      Period: period,
      Stat: metric.statistic,
      // CloudWatch checks the unit's name (a StandardUnit); an unknown one is its ValidationError.
      ...(metric.unit ? { Unit: metric.unit as StandardUnit } : {}),
    },
    ReturnData: returnData,
  });
  const { query } = check;
  if (query.kind === 'metric') return [stat(EXPRESSION_ID, query.metric, true)];
  return [
    ...Object.entries(query.metrics).map(([id, metric]) => stat(id, metric, false)),
    { Id: EXPRESSION_ID, Expression: query.expression, Period: period, ReturnData: true },
  ];
}

function verdict(check: CloudwatchMetricCheck, label: string, window: string, results: MetricDataResult[]): CheckResult {
  const threshold = describeThreshold(check);
  const observe = (value: number | null, ok: boolean): CheckObservation[] => [{ check: label, value, ...boundsOf(check), window, ok }];
  const ours = results.filter((r) => r.Id === EXPRESSION_ID);
  const refused = ours.find((r) => r.StatusCode === 'Forbidden' || r.StatusCode === 'InternalError');
  const messages = results.flatMap((r) => (r.Messages ?? []).map((m) => `${m.Code ?? 'message'}: ${m.Value ?? ''}`));
  if (refused)
    return {
      ok: false,
      summary: `${label}: CloudWatch answered ${refused.StatusCode} (${messages.join('; ') || 'no message'})`,
      details: messages,
      observations: observe(null, false),
    };

  // Pages of one series share its label; an expression such as SEARCH may answer several series.
  const series = new Map<string, { label: string; points: { t: Date | undefined; v: number }[] }>();
  for (const result of ours) {
    const key = result.Label ?? '';
    const entry = series.get(key) ?? { label: key, points: [] };
    (result.Values ?? []).forEach((v, i) => entry.points.push({ t: result.Timestamps?.[i], v }));
    series.set(key, entry);
  }
  const withData = [...series.values()].filter((s) => s.points.length > 0);
  if (withData.length > 1) {
    const names = withData.map((s) => s.label || '(no label)');
    return {
      ok: false,
      summary: `${label}: the query answered ${withData.length} series (${names.slice(0, 5).join(', ')}${names.length > 5 ? ', ...' : ''}); it must answer one`,
      details: messages,
      observations: observe(null, false),
    };
  }
  const points = withData[0]?.points ?? [];
  if (points.length === 0) {
    const why = `no datapoints over the ${window}`;
    if (check.noData === 'pass')
      return { ok: true, summary: `${label}: ${why} (accepted: noData: pass)`, details: messages, observations: observe(null, true) };
    return {
      ok: false,
      summary: `${label}: ${why}; check the namespace, name, dimensions and region, or accept it with "noData: pass"`,
      details: messages,
      observations: observe(null, false),
    };
  }
  const breaching = points.filter((p) => breach(p.v, check) !== undefined);
  const details = [...messages, ...points.map((p) => `${p.t ? p.t.toISOString() : '?'}: ${formatValue(p.v)}`)];
  const count = `${points.length} datapoint${points.length === 1 ? '' : 's'}`;
  if (breaching.length > 0) {
    const worst = mostExtreme(breaching, check);
    const at = points.length > 1 && worst.t ? ` at ${worst.t.toISOString().slice(11, 16)}Z` : '';
    const which = points.length > 1 ? ` (${breaching.length} of ${count})` : '';
    return {
      ok: false,
      summary: `${label} was ${formatValue(worst.v)}${at} over the ${window}, ${breach(worst.v, check) ?? ''}${which}`,
      details,
      observations: observe(worst.v, false),
    };
  }
  const worst = mostExtreme(points, check);
  const shown = points.length > 1 ? `at worst ${formatValue(worst.v)} (${count})` : formatValue(worst.v);
  return { ok: true, summary: `${label} was ${shown} over the ${window}, within ${threshold}`, details, observations: observe(worst.v, true) };
}

/** The value nearest to (or furthest past) the bound: the highest against max, the lowest against min only. */
function mostExtreme<T extends { v: number }>(points: T[], check: CloudwatchMetricCheck): T {
  const nan = points.find((p) => Number.isNaN(p.v));
  if (nan) return nan;
  const byMax = check.max !== undefined;
  const below = check.min !== undefined ? points.filter((p) => p.v < (check.min as number)) : [];
  if (below.length > 0 || !byMax) return (below.length > 0 ? below : points).reduce((a, b) => (b.v < a.v ? b : a));
  return points.reduce((a, b) => (b.v > a.v ? b : a));
}
