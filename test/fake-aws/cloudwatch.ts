/**
 * The CloudWatch half of the fake: the protocol @aws-sdk/client-cloudwatch really speaks
 * since 2025, AWS JSON 1.0 with query compatibility: `POST /`, `X-Amz-Target:
 * GraniteServiceVersion20100801.<Operation>`, a JSON body, timestamps as epoch seconds, and
 * errors as `{"__type": ..., "message": ...}` with an `x-amzn-query-error: Code;Sender` header.
 *
 * Supported: DescribeAlarms (names or a prefix, metric and composite alarms, MaxRecords
 * pages with NextToken) and GetMetricData (MetricStat queries over the stored datapoints,
 * bucketed by period from StartTime, with Sum, Average, Minimum, Maximum, SampleCount and pNN;
 * expressions of + - * / ( ) numbers and query ids, evaluated per timestamp).
 */
import type { FakeAwsState, FakeReply } from './server.js';
import { FakeAwsError } from './server.js';

export const CLOUDWATCH_TARGET_PREFIX = 'GraniteServiceVersion20100801.';
export const CLOUDWATCH_JSON = 'application/x-amz-json-1.0';

export interface FakeAlarm {
  name: string;
  state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  reason?: string;
  /** Default metric. */
  type?: 'metric' | 'composite';
}

export interface FakeMetric {
  namespace: string;
  name: string;
  dimensions?: Record<string, string>;
  unit?: string;
  /** Raw values, each at an ISO time (or epoch ms). */
  datapoints: { at: string | number; value: number }[];
}

/** DescribeAlarms' default MaxRecords. */
const ALARM_PAGE = 50;

export function handleCloudwatch(state: FakeAwsState, operation: string, input: Record<string, unknown>): FakeReply {
  switch (operation) {
    case 'DescribeAlarms':
      return json(describeAlarms(state, input));
    case 'GetMetricData':
      return json(getMetricData(state, input));
    default:
      throw new FakeAwsError('InvalidAction', `the fake CloudWatch does not do ${operation}`);
  }
}

function json(body: unknown): FakeReply {
  return { body: JSON.stringify(body) };
}

function describeAlarms(state: FakeAwsState, input: Record<string, unknown>): unknown {
  const names = input.AlarmNames as string[] | undefined;
  const prefix = input.AlarmNamePrefix as string | undefined;
  if (names && prefix !== undefined) throw new FakeAwsError('InvalidParameterCombination', 'AlarmNames and AlarmNamePrefix cannot be given together');
  if (names && names.length > 100) throw new FakeAwsError('ValidationError', 'AlarmNames has at most 100 members');
  // Without AlarmTypes, AWS answers metric alarms only.
  const types = (input.AlarmTypes as string[] | undefined) ?? ['MetricAlarm'];
  const matching = (state.alarms ?? []).filter((a) => (names ? names.includes(a.name) : prefix !== undefined ? a.name.startsWith(prefix) : true));
  const pageSize = Math.min(Number(input.MaxRecords ?? ALARM_PAGE), ALARM_PAGE);
  const start = input.NextToken === undefined ? 0 : Number(input.NextToken);
  if (!Number.isInteger(start) || start < 0) throw new FakeAwsError('InvalidNextToken', 'the next token is not valid');
  const page = matching.slice(start, start + pageSize);
  const shape = (a: FakeAlarm) => ({
    AlarmName: a.name,
    AlarmArn: `arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${a.name}`,
    StateValue: a.state,
    StateReason: a.reason ?? `state ${a.state}`,
    StateUpdatedTimestamp: 1_780_000_000,
  });
  const out: Record<string, unknown> = {
    MetricAlarms: types.includes('MetricAlarm') ? page.filter((a) => (a.type ?? 'metric') === 'metric').map(shape) : [],
    CompositeAlarms: types.includes('CompositeAlarm') ? page.filter((a) => a.type === 'composite').map(shape) : [],
  };
  if (start + pageSize < matching.length) out.NextToken = String(start + pageSize);
  return out;
}

interface Query {
  Id: string;
  MetricStat?: {
    Metric: { Namespace: string; MetricName: string; Dimensions?: { Name: string; Value: string }[] };
    Period: number;
    Stat: string;
    Unit?: string;
  };
  Expression?: string;
  Period?: number;
  ReturnData?: boolean;
  Label?: string;
}

function getMetricData(state: FakeAwsState, input: Record<string, unknown>): unknown {
  const queries = input.MetricDataQueries as Query[];
  const start = Number(input.StartTime) * 1000;
  const end = Number(input.EndTime) * 1000;
  if (!(start < end)) throw new FakeAwsError('ValidationError', 'The parameter StartTime must be less than the parameter EndTime.');
  const series = new Map<string, Map<number, number>>();
  for (const query of queries.filter((q) => q.MetricStat)) series.set(query.Id, statSeries(state, query, start, end));
  for (const query of queries.filter((q) => q.Expression !== undefined)) series.set(query.Id, evaluate(query.Expression ?? '', series));
  const descending = input.ScanBy !== 'TimestampAscending';
  return {
    MetricDataResults: queries
      .filter((q) => q.ReturnData !== false)
      .map((q) => {
        const points = [...(series.get(q.Id) ?? new Map<number, number>()).entries()].sort((a, b) => (descending ? b[0] - a[0] : a[0] - b[0]));
        return {
          Id: q.Id,
          Label: q.Label ?? q.MetricStat?.Metric.MetricName ?? q.Id,
          Timestamps: points.map(([t]) => t / 1000),
          Values: points.map(([, v]) => v),
          StatusCode: 'Complete',
        };
      }),
    Messages: [],
  };
}

function statSeries(state: FakeAwsState, query: Query, start: number, end: number): Map<number, number> {
  const stat = query.MetricStat!;
  const wanted = Object.fromEntries((stat.Metric.Dimensions ?? []).map((d) => [d.Name, d.Value]));
  const metric = (state.metrics ?? []).find(
    (m) =>
      m.namespace === stat.Metric.Namespace &&
      m.name === stat.Metric.MetricName &&
      sameDimensions(m.dimensions ?? {}, wanted) &&
      (stat.Unit === undefined || m.unit === stat.Unit),
  );
  const periodMs = stat.Period * 1000;
  const buckets = new Map<number, number[]>();
  for (const point of metric?.datapoints ?? []) {
    const t = typeof point.at === 'number' ? point.at : Date.parse(point.at);
    if (t < start || t >= end) continue;
    const bucket = start + Math.floor((t - start) / periodMs) * periodMs;
    buckets.set(bucket, [...(buckets.get(bucket) ?? []), point.value]);
  }
  return new Map([...buckets.entries()].map(([t, values]) => [t, statistic(stat.Stat, values)]));
}

function sameDimensions(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

function statistic(stat: string, values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  switch (stat) {
    case 'Sum':
      return values.reduce((a, b) => a + b, 0);
    case 'Average':
      return values.reduce((a, b) => a + b, 0) / values.length;
    case 'Minimum':
      return sorted[0] ?? Number.NaN;
    case 'Maximum':
      return sorted.at(-1) ?? Number.NaN;
    case 'SampleCount':
      return values.length;
    default: {
      const match = /^p(\d+(\.\d+)?)$/.exec(stat);
      if (!match) throw new FakeAwsError('ValidationError', `the fake CloudWatch does not compute the statistic ${stat}`);
      const rank = Math.ceil((Number(match[1]) / 100) * sorted.length) - 1;
      return sorted[Math.max(0, rank)] ?? Number.NaN;
    }
  }
}

/** + - * / ( ), numbers and ids, per timestamp where every id used has a value. */
function evaluate(expression: string, series: Map<string, Map<number, number>>): Map<number, number> {
  const tokens = expression.match(/\d+(\.\d+)?|[A-Za-z_][A-Za-z0-9_]*|[-+*/()]/g) ?? [];
  const ids = tokens.filter((t) => /^[A-Za-z_]/.test(t));
  for (const id of ids) if (!series.has(id)) throw new FakeAwsError('ValidationError', `Unknown metric id ${id} in expression`);
  const times = ids.length === 0 ? [] : [...(series.get(ids[0]!) ?? new Map<number, number>()).keys()].filter((t) => ids.every((id) => series.get(id)?.has(t)));
  const out = new Map<number, number>();
  for (const t of times) {
    let i = 0;
    const primary = (): number => {
      const token = tokens[i++];
      if (token === '(') {
        const value = sum();
        i++;
        return value;
      }
      if (token === '-') return -primary();
      if (token !== undefined && /^[A-Za-z_]/.test(token)) return series.get(token)!.get(t)!;
      return Number(token);
    };
    const product = (): number => {
      let value = primary();
      while (tokens[i] === '*' || tokens[i] === '/') value = tokens[i++] === '*' ? value * primary() : value / primary();
      return value;
    };
    const sum = (): number => {
      let value = product();
      while (tokens[i] === '+' || tokens[i] === '-') value = tokens[i++] === '+' ? value + product() : value - product();
      return value;
    };
    out.set(t, sum());
  }
  return out;
}
