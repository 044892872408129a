/**
 * The CloudWatch checks through the built CLI against the fake AWS endpoint (--endpoint-url):
 * a verify on a metric and a bake watched by an alarm, the values journaled, a failing
 * alarm rolling the step back.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeAws, type FakeAws } from '../fake-aws/server.js';
import { cli, cliEnv, describeResult, journalPath, readJournal, readLedger, requireBuild, scratch } from './helpers.js';

let aws: FakeAws | undefined;
afterEach(async () => {
  await aws?.close();
  aws = undefined;
});

const RUNBOOK = `cutover: 1
name: e2e
defaults: { confirm: false }
aws: { region: eu-west-1 }
steps:
  - id: shift
    run: echo shift >> ledger
    rollback: { run: echo undo >> ledger, verify: "true" }
    verify:
      cloudwatchMetric:
        namespace: AWS/ApplicationELB
        name: HTTPCode_Target_5XX_Count
        dimensions: { TargetGroup: targetgroup/green/abc }
        statistic: Sum
        last: 5m
        max: 10
    bake: 2s
    watch:
      cloudwatchAlarm: { prefix: green- }
    onFailure: rollback-step
`;

async function fake(alarmState: 'OK' | 'ALARM'): Promise<FakeAws> {
  const recent = new Date(Date.now() - 150_000).toISOString();
  return startFakeAws({
    zones: [],
    listeners: [],
    rules: [],
    targetGroups: [],
    alarms: [
      { name: 'green-5xx', state: alarmState, reason: 'Threshold Crossed: 1 datapoint [12.0] was greater than the threshold (10.0)' },
      { name: 'green-latency', state: 'OK', type: 'composite' },
    ],
    metrics: [
      {
        namespace: 'AWS/ApplicationELB',
        name: 'HTTPCode_Target_5XX_Count',
        dimensions: { TargetGroup: 'targetgroup/green/abc' },
        datapoints: [
          { at: recent, value: 3 },
          { at: recent, value: 4 },
        ],
      },
    ],
  });
}

describe('CloudWatch checks through the CLI', () => {
  it('verify on a metric, a bake watched by alarms: every value journaled, the calls sent to --endpoint-url', async (context) => {
    requireBuild();
    const dir = scratch(context);
    aws = await fake('OK');
    writeFileSync(path.join(dir, 'e2e.yaml'), RUNBOOK);
    const env = cliEnv({ AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y' });

    const plan = await cli(['plan', '--endpoint-url', aws.url, 'e2e.yaml'], { cwd: dir, env });
    expect(plan.stdout, describeResult(plan)).toContain(
      'CloudWatch AWS/ApplicationELB HTTPCode_Target_5XX_Count Sum {TargetGroup=targetgroup/green/abc} over the last 5m must be <= 10',
    );
    expect(plan.stdout).toContain('CloudWatch alarms named green-* must be OK (INSUFFICIENT_DATA fails)');
    expect(aws.requests).toEqual([]);

    const run = await cli(['run', '--yes', '--endpoint-url', aws.url, 'e2e.yaml'], { cwd: dir, env, timeoutMs: 30_000 });
    expect(run.code, describeResult(run)).toBe(0);
    const observed = readJournal(journalPath(dir)).filter((e) => e.type === 'check.observed');
    expect(observed[0]?.data).toEqual({
      phase: 'verify',
      ok: true,
      observations: [
        {
          check: 'CloudWatch AWS/ApplicationELB HTTPCode_Target_5XX_Count Sum {TargetGroup=targetgroup/green/abc}',
          value: 7,
          max: 10,
          window: 'last 5m',
          ok: true,
        },
      ],
    });
    expect(observed.slice(1).map((e) => e.data)).toContainEqual({
      phase: 'watch',
      ok: true,
      observations: [{ check: 'CloudWatch alarms named green-*', value: 0, max: 0, ok: true }],
    });
    expect(aws.requests.map((r) => `${r.service} ${r.operation}`)).toContain('cloudwatch GetMetricData');
    expect(aws.requests.filter((r) => r.operation === 'DescribeAlarms').length).toBeGreaterThanOrEqual(1);
  });

  it('an alarm in ALARM during the bake fails the watch and rolls the step back', async (context) => {
    requireBuild();
    const dir = scratch(context);
    aws = await fake('ALARM');
    writeFileSync(path.join(dir, 'e2e.yaml'), RUNBOOK);
    const env = cliEnv({ AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y', AWS_ENDPOINT_URL: aws.url });
    const run = await cli(['run', '--yes', 'e2e.yaml'], { cwd: dir, env, timeoutMs: 30_000 });
    expect(run.code, describeResult(run)).not.toBe(0);
    expect(readLedger(dir)).toEqual(['shift', 'undo']);
    const events = readJournal(journalPath(dir));
    expect(events.find((e) => e.type === 'bake.watch')?.data).toMatchObject({ ok: false, summary: 'CloudWatch alarms named green-*: green-5xx is ALARM' });
    expect(events.filter((e) => e.type === 'check.observed').map((e) => [e.data.phase, e.data.ok])).toEqual([
      ['verify', true],
      ['watch', false],
    ]);
    expect(events.some((e) => e.type === 'rollback.succeeded')).toBe(true);
  });
});
