/**
 * The CloudWatch checks with the real SDK client against the fake endpoint: the requests
 * the client really sends (AWS JSON 1.0) and the answers it really parses.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCloudwatchAlarm } from '../../src/actions/cloudwatch-alarm.js';
import { runCloudwatchMetric } from '../../src/actions/cloudwatch-metric.js';
import { clientConfig } from '../../src/aws/clients.js';
import type { AwsClients } from '../../src/aws/clients.js';
import type { CloudwatchMetricCheck } from '../../src/runbook/metric-types.js';
import type { Clock } from '../../src/support/clock.js';
import { startFakeAws, type FakeAws } from './server.js';

const NOW = Date.parse('2026-12-04T12:07:42Z');
const clock: Clock = { now: () => new Date(NOW), sleep: async () => undefined };
const minute = (m: number, s = 0) => new Date(Date.UTC(2026, 11, 4, 12, m, s)).toISOString();

let aws: FakeAws;
let clients: AwsClients;
beforeEach(async () => {
  aws = await startFakeAws({
    zones: [],
    listeners: [],
    rules: [],
    targetGroups: [],
    alarms: [
      ...Array.from({ length: 60 }, (_, i) => ({ name: `web-${String(i).padStart(2, '0')}`, state: 'OK' as const })),
      { name: 'web-health', state: 'OK', type: 'composite' },
      { name: 'db-cpu', state: 'INSUFFICIENT_DATA', reason: 'Unchecked: Initial alarm creation' },
    ],
    metrics: [
      {
        namespace: 'AWS/ApplicationELB',
        name: 'TargetResponseTime',
        dimensions: { TargetGroup: 'targetgroup/green/abc', LoadBalancer: 'app/web/123' },
        datapoints: [minute(3, 10), minute(3, 40), minute(4, 5), minute(5, 5), minute(6, 59), minute(7, 10)].map((at, i) => ({
          at,
          value: [0.2, 0.4, 0.3, 0.9, 0.5, 9][i]!,
        })),
      },
      {
        namespace: 'AWS/ApplicationELB',
        name: 'HTTPCode_Target_5XX_Count',
        dimensions: { TargetGroup: 'targetgroup/green/abc' },
        datapoints: [
          { at: minute(5), value: 3 },
          { at: minute(6), value: 1 },
        ],
      },
      {
        namespace: 'AWS/ApplicationELB',
        name: 'RequestCount',
        dimensions: { TargetGroup: 'targetgroup/green/abc' },
        datapoints: [
          { at: minute(5), value: 100 },
          { at: minute(6), value: 300 },
        ],
      },
    ],
  });
  const client = new CloudWatchClient({
    ...clientConfig({ endpointUrl: aws.url, region: 'eu-west-1', maxAttempts: 1 }),
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
  });
  const unused = async (): Promise<never> => {
    throw new Error('unused');
  };
  clients = { route53: unused, elbv2: unused, cloudwatch: async () => client };
});
afterEach(() => aws.close());

const ctx = () => ({ clients, signal: new AbortController().signal, clock });

describe('cloudwatchAlarm against the fake endpoint', () => {
  it('reads every page of a prefix, metric and composite alarms', async () => {
    const result = await runCloudwatchAlarm({ kind: 'cloudwatchAlarm', prefix: 'web-', insufficientData: 'fail' }, ctx());
    expect(result).toMatchObject({ ok: true, summary: 'CloudWatch alarms named web-*: all 61 OK' });
    const calls = aws.requests.filter((r) => r.operation === 'DescribeAlarms');
    expect(calls.map((r) => [r.service, r.input.NextToken])).toEqual([
      ['cloudwatch', undefined],
      ['cloudwatch', '50'],
    ]);
    expect(calls[0]?.input).toMatchObject({ AlarmNamePrefix: 'web-', AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] });
  });

  it('INSUFFICIENT_DATA fails by default and names the reason', async () => {
    const result = await runCloudwatchAlarm({ kind: 'cloudwatchAlarm', alarms: ['db-cpu', 'web-health'], insufficientData: 'fail' }, ctx());
    expect(result.ok).toBe(false);
    expect(result.summary).toMatch(/db-cpu is INSUFFICIENT_DATA/);
    expect(result.details).toContain('db-cpu: INSUFFICIENT_DATA (Unchecked: Initial alarm creation)');
  });

  it('an AWS error comes back as a failed check (query-compatible error code)', async () => {
    aws.state.faults = [{ operation: 'DescribeAlarms', code: 'AccessDenied', status: 403, message: 'not authorized to perform cloudwatch:DescribeAlarms' }];
    const result = await runCloudwatchAlarm({ kind: 'cloudwatchAlarm', alarms: ['db-cpu'], insufficientData: 'fail' }, ctx());
    expect(result.summary).toMatch(/^reading CloudWatch alarm db-cpu: .*not authorized.*IAM policy/);
  });
});

const p99: CloudwatchMetricCheck = {
  kind: 'cloudwatchMetric',
  query: {
    kind: 'metric',
    metric: {
      namespace: 'AWS/ApplicationELB',
      name: 'TargetResponseTime',
      dimensions: { TargetGroup: 'targetgroup/green/abc', LoadBalancer: 'app/web/123' },
      statistic: 'Maximum',
    },
  },
  lastMs: 5 * 60_000,
  periodMs: 60_000,
  noData: 'fail',
  max: 0.8,
};

describe('cloudwatchMetric against the fake endpoint', () => {
  it('per-minute datapoints over the last 5 full minutes: the 12:07:10 value is outside the window', async () => {
    const result = await runCloudwatchMetric(p99, ctx());
    expect(result.summary).toBe(
      'CloudWatch AWS/ApplicationELB TargetResponseTime Maximum {TargetGroup=targetgroup/green/abc, LoadBalancer=app/web/123} was 0.9 at 12:05Z over the last 5m (period 1m), above max 0.8 (1 of 4 datapoints)',
    );
    expect(aws.requests.find((r) => r.operation === 'GetMetricData')?.input).toMatchObject({
      StartTime: Date.parse(minute(2)) / 1000,
      EndTime: Date.parse(minute(7)) / 1000,
    });
  });

  it('one value over the whole window, within the threshold', async () => {
    const metric = p99.query.kind === 'metric' ? p99.query.metric : undefined;
    const result = await runCloudwatchMetric({ ...p99, periodMs: 5 * 60_000, query: { kind: 'metric', metric: { ...metric!, statistic: 'Average' } } }, ctx());
    expect(result).toMatchObject({
      ok: true,
      summary: expect.stringMatching(/ was 0.46 over the last 5m, within <= 0.8$/),
      observations: [{ max: 0.8, window: 'last 5m', ok: true }],
    });
    expect(result.observations?.[0]?.value).toBeCloseTo(0.46);
  });

  it('a metric math expression: the error rate in percent', async () => {
    const dims = { TargetGroup: 'targetgroup/green/abc' };
    const check: CloudwatchMetricCheck = {
      ...p99,
      query: {
        kind: 'expression',
        expression: '100 * errors / requests',
        metrics: {
          errors: { namespace: 'AWS/ApplicationELB', name: 'HTTPCode_Target_5XX_Count', dimensions: dims, statistic: 'Sum' },
          requests: { namespace: 'AWS/ApplicationELB', name: 'RequestCount', dimensions: dims, statistic: 'Sum' },
        },
      },
      max: 1,
    };
    const result = await runCloudwatchMetric(check, ctx());
    expect(result.summary).toBe(
      'CloudWatch expression "100 * errors / requests" was 3 at 12:05Z over the last 5m (period 1m), above max 1 (1 of 2 datapoints)',
    );
  });

  it('a dimension that matches nothing: no datapoints, a failure', async () => {
    const result = await runCloudwatchMetric(
      {
        ...p99,
        query: {
          kind: 'metric',
          metric: { namespace: 'AWS/ApplicationELB', name: 'TargetResponseTime', dimensions: { TargetGroup: 'targetgroup/typo/abc' }, statistic: 'p99' },
        },
      },
      ctx(),
    );
    expect(result).toMatchObject({ ok: false, summary: expect.stringMatching(/no datapoints over the last 5m \(period 1m\)/) });
  });
});
