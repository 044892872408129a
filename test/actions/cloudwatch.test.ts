/** cloudwatchAlarm and cloudwatchMetric against a mocked CloudWatch client: what is asked, and the verdicts. */
import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand, ResourceNotFound } from '@aws-sdk/client-cloudwatch';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCloudwatchAlarm } from '../../src/actions/cloudwatch-alarm.js';
import { runCloudwatchMetric } from '../../src/actions/cloudwatch-metric.js';
import type { AwsClients } from '../../src/aws/clients.js';
import type { CloudwatchAlarmCheck, CloudwatchMetricCheck } from '../../src/runbook/metric-types.js';
import type { Clock } from '../../src/support/clock.js';

const unused = async (): Promise<never> => {
  throw new Error('unused');
};
const clients: AwsClients = {
  route53: unused,
  elbv2: unused,
  cloudwatch: async () => new CloudWatchClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }),
};
// 12:07:42 UTC: the window ends at 12:07:00.
const NOW = Date.parse('2026-12-04T12:07:42Z');
const clock: Clock = { now: () => new Date(NOW), sleep: async () => undefined };
const ctx = () => ({ clients, signal: new AbortController().signal, clock });

const alarm = (over: Partial<CloudwatchAlarmCheck>): CloudwatchAlarmCheck => ({ kind: 'cloudwatchAlarm', insufficientData: 'fail', ...over });

let cw: AwsClientStub<CloudWatchClient>;
beforeEach(() => {
  cw = mockClient(CloudWatchClient);
});
afterEach(() => cw.restore());

describe('cloudwatchAlarm', () => {
  it('passes when every named alarm is OK, asking for metric and composite alarms', async () => {
    cw.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [{ AlarmName: 'web-5xx', StateValue: 'OK' }],
      CompositeAlarms: [{ AlarmName: 'web-health', StateValue: 'OK' }],
    });
    const result = await runCloudwatchAlarm(alarm({ alarms: ['web-5xx', 'web-health'] }), ctx());
    expect(result).toMatchObject({ ok: true, summary: 'CloudWatch alarms web-5xx, web-health: all 2 OK', observations: [{ value: 0, max: 0, ok: true }] });
    expect(cw.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input)).toEqual([
      { AlarmNames: ['web-5xx', 'web-health'], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'], NextToken: undefined },
    ]);
  });

  it.each([
    { state: 'ALARM', insufficientData: 'fail' as const, ok: false, summary: /web-5xx is ALARM$/ },
    {
      state: 'INSUFFICIENT_DATA',
      insufficientData: 'fail' as const,
      ok: false,
      summary: /web-5xx is INSUFFICIENT_DATA \(not enough data to decide; "insufficientData: pass" accepts it\)/,
    },
    { state: 'INSUFFICIENT_DATA', insufficientData: 'pass' as const, ok: true, summary: /OK \(1 in INSUFFICIENT_DATA, accepted\)/ },
  ])('$state with insufficientData: $insufficientData -> ok $ok', async ({ state, insufficientData, ok, summary }) => {
    cw.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        { AlarmName: 'web-5xx', StateValue: state as 'OK', StateReason: 'Threshold Crossed: 3 datapoints' },
        { AlarmName: 'web-p99', StateValue: 'OK' },
      ],
    });
    const result = await runCloudwatchAlarm(alarm({ alarms: ['web-5xx', 'web-p99'], insufficientData }), ctx());
    expect(result.ok).toBe(ok);
    expect(result.summary).toMatch(summary);
    expect(result.details).toContain(`web-5xx: ${state} (Threshold Crossed: 3 datapoints)`);
  });

  it('fails when a named alarm does not exist, and when a prefix matches none', async () => {
    cw.on(DescribeAlarmsCommand, { AlarmNames: ['web-5xx', 'web-typo'] }).resolves({ MetricAlarms: [{ AlarmName: 'web-5xx', StateValue: 'OK' }] });
    cw.on(DescribeAlarmsCommand, { AlarmNamePrefix: 'nothing-' }).resolves({ MetricAlarms: [], CompositeAlarms: [] });
    expect(await runCloudwatchAlarm(alarm({ alarms: ['web-5xx', 'web-typo'] }), ctx())).toMatchObject({
      ok: false,
      summary: 'CloudWatch alarms web-5xx, web-typo: web-typo does not exist',
      observations: [{ value: 1 }],
    });
    expect((await runCloudwatchAlarm(alarm({ prefix: 'nothing-' }), ctx())).summary).toBe(
      'CloudWatch alarms named nothing-*: no alarm has a name starting with "nothing-" (check the prefix and the region)',
    );
  });

  it('reads every page of a prefix', async () => {
    cw.on(DescribeAlarmsCommand)
      .resolvesOnce({ MetricAlarms: [{ AlarmName: 'web-a', StateValue: 'OK' }], NextToken: 'page2' })
      .resolvesOnce({ MetricAlarms: [{ AlarmName: 'web-b', StateValue: 'ALARM' }] });
    const result = await runCloudwatchAlarm(alarm({ prefix: 'web-' }), ctx());
    expect(result).toMatchObject({ ok: false, summary: 'CloudWatch alarms named web-*: web-b is ALARM' });
    expect(cw.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input.NextToken)).toEqual([undefined, 'page2']);
  });

  it('splits more than 100 names into several calls', async () => {
    const names = Array.from({ length: 150 }, (_, i) => `a-${i}`);
    cw.on(DescribeAlarmsCommand).callsFake((input: { AlarmNames: string[] }) => ({
      MetricAlarms: input.AlarmNames.map((n) => ({ AlarmName: n, StateValue: 'OK' })),
    }));
    expect((await runCloudwatchAlarm(alarm({ alarms: names }), ctx())).summary).toMatch(/all 150 OK$/);
    expect(cw.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input.AlarmNames?.length)).toEqual([100, 50]);
  });

  it('turns an AWS error into a failed check with a hint', async () => {
    cw.on(DescribeAlarmsCommand).rejects(Object.assign(new Error('User is not authorized to perform: cloudwatch:DescribeAlarms'), { name: 'AccessDenied' }));
    const result = await runCloudwatchAlarm(alarm({ alarms: ['x'] }), ctx());
    expect(result.ok).toBe(false);
    expect(result.summary).toMatch(/reading CloudWatch alarm x: .*not authorized.*IAM policy/);
  });
});

const metric = (over: Partial<CloudwatchMetricCheck> = {}): CloudwatchMetricCheck => ({
  kind: 'cloudwatchMetric',
  query: {
    kind: 'metric',
    metric: { namespace: 'AWS/ApplicationELB', name: 'TargetResponseTime', dimensions: { TargetGroup: 'targetgroup/green/abc' }, statistic: 'p99' },
  },
  lastMs: 5 * 60_000,
  periodMs: 60_000,
  noData: 'fail',
  max: 0.8,
  ...over,
});

const at = (minute: number) => new Date(Date.UTC(2026, 11, 4, 12, minute));

describe('cloudwatchMetric', () => {
  it('asks for the window ending at the last full minute and passes within the threshold', async () => {
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [{ Id: 'cutover', Label: 'TargetResponseTime', StatusCode: 'Complete', Timestamps: [at(6), at(5), at(4)], Values: [0.31, 0.52, 0.4] }],
    });
    const result = await runCloudwatchMetric(metric(), ctx());
    expect(result).toMatchObject({
      ok: true,
      summary:
        'CloudWatch AWS/ApplicationELB TargetResponseTime p99 {TargetGroup=targetgroup/green/abc} was at worst 0.52 (3 datapoints) over the last 5m (period 1m), within <= 0.8',
      observations: [{ value: 0.52, max: 0.8, window: 'last 5m (period 1m)', ok: true }],
    });
    expect(cw.commandCalls(GetMetricDataCommand)[0]?.args[0].input).toEqual({
      MetricDataQueries: [
        {
          Id: 'cutover',
          MetricStat: {
            Metric: {
              Namespace: 'AWS/ApplicationELB',
              MetricName: 'TargetResponseTime',
              Dimensions: [{ Name: 'TargetGroup', Value: 'targetgroup/green/abc' }],
            },
            Period: 60,
            Stat: 'p99',
          },
          ReturnData: true,
        },
      ],
      StartTime: new Date('2026-12-04T12:02:00Z'),
      EndTime: new Date('2026-12-04T12:07:00Z'),
      ScanBy: 'TimestampDescending',
      NextToken: undefined,
    });
  });

  it('fails naming the worst value, when, the threshold and the window', async () => {
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [{ Id: 'cutover', Label: 'x', StatusCode: 'Complete', Timestamps: [at(6), at(5), at(4)], Values: [0.9, 1.7, 0.5] }],
    });
    const result = await runCloudwatchMetric(metric(), ctx());
    expect(result.summary).toBe(
      'CloudWatch AWS/ApplicationELB TargetResponseTime p99 {TargetGroup=targetgroup/green/abc} was 1.7 at 12:05Z over the last 5m (period 1m), above max 0.8 (2 of 3 datapoints)',
    );
    expect(result.observations).toEqual([{ check: expect.any(String), value: 1.7, max: 0.8, window: 'last 5m (period 1m)', ok: false }]);
  });

  it('a min threshold names the lowest value', async () => {
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'cutover', Label: 'x', Timestamps: [at(6)], Values: [3] }] });
    const result = await runCloudwatchMetric(metric({ max: undefined, min: 5, periodMs: 300_000 }), ctx());
    expect(result.summary).toMatch(/ was 3 over the last 5m, below min 5$/);
  });

  it('sends an expression with its metrics, and reads every page', async () => {
    cw.on(GetMetricDataCommand)
      .resolvesOnce({ MetricDataResults: [{ Id: 'cutover', Label: 'rate', StatusCode: 'PartialData', Timestamps: [at(6)], Values: [0.2] }], NextToken: 't2' })
      .resolvesOnce({ MetricDataResults: [{ Id: 'cutover', Label: 'rate', StatusCode: 'Complete', Timestamps: [at(5)], Values: [2.5] }] });
    const check = metric({
      query: {
        kind: 'expression',
        expression: '100 * errors / requests',
        metrics: {
          errors: { namespace: 'AWS/ApplicationELB', name: 'HTTPCode_Target_5XX_Count', dimensions: {}, statistic: 'Sum' },
          requests: { namespace: 'AWS/ApplicationELB', name: 'RequestCount', dimensions: {}, statistic: 'Sum', unit: 'Count' },
        },
      },
      max: 1,
    });
    const result = await runCloudwatchMetric(check, ctx());
    expect(result.summary).toBe(
      'CloudWatch expression "100 * errors / requests" was 2.5 at 12:05Z over the last 5m (period 1m), above max 1 (1 of 2 datapoints)',
    );
    const calls = cw.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => c.NextToken)).toEqual([undefined, 't2']);
    expect(calls[0]?.MetricDataQueries).toEqual([
      {
        Id: 'errors',
        MetricStat: { Metric: { Namespace: 'AWS/ApplicationELB', MetricName: 'HTTPCode_Target_5XX_Count', Dimensions: [] }, Period: 60, Stat: 'Sum' },
        ReturnData: false,
      },
      {
        Id: 'requests',
        MetricStat: { Metric: { Namespace: 'AWS/ApplicationELB', MetricName: 'RequestCount', Dimensions: [] }, Period: 60, Stat: 'Sum', Unit: 'Count' },
        ReturnData: false,
      },
      { Id: 'cutover', Expression: '100 * errors / requests', Period: 60, ReturnData: true },
    ]);
  });

  it('no datapoints fails, unless noData: pass', async () => {
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'cutover', Label: 'x', StatusCode: 'Complete', Timestamps: [], Values: [] }] });
    expect(await runCloudwatchMetric(metric(), ctx())).toMatchObject({
      ok: false,
      summary: expect.stringMatching(
        /no datapoints over the last 5m \(period 1m\); check the namespace, name, dimensions and region, or accept it with "noData: pass"$/,
      ),
      observations: [{ value: null, ok: false }],
    });
    expect(await runCloudwatchMetric(metric({ noData: 'pass' }), ctx())).toMatchObject({
      ok: true,
      summary: expect.stringMatching(/no datapoints .*\(accepted: noData: pass\)$/),
    });
  });

  it('several series and a refused query fail', async () => {
    cw.on(GetMetricDataCommand)
      .resolvesOnce({
        MetricDataResults: [
          { Id: 'cutover', Label: 'green', Timestamps: [at(6)], Values: [1] },
          { Id: 'cutover', Label: 'blue', Timestamps: [at(6)], Values: [2] },
        ],
      })
      .resolvesOnce({ MetricDataResults: [{ Id: 'cutover', StatusCode: 'Forbidden', Messages: [{ Code: 'Forbidden', Value: 'no access to the metric' }] }] });
    expect((await runCloudwatchMetric(metric(), ctx())).summary).toMatch(/the query answered 2 series \(green, blue\); it must answer one$/);
    expect((await runCloudwatchMetric(metric(), ctx())).summary).toMatch(/CloudWatch answered Forbidden \(Forbidden: no access to the metric\)$/);
  });

  it('an AWS error is a failed check; an abort is not a verdict', async () => {
    cw.on(GetMetricDataCommand).rejects(new ResourceNotFound({ message: 'nope', $metadata: {} }));
    expect((await runCloudwatchMetric(metric(), ctx())).ok).toBe(false);
    const controller = new AbortController();
    controller.abort();
    expect(await runCloudwatchMetric(metric(), { ...ctx(), signal: controller.signal })).toMatchObject({ ok: false, aborted: true });
  });
});
