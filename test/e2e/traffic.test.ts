/**
 * Traffic steps through the whole CLI and the real SDK serialisation: `bin/cutover run
 * --endpoint-url` against the fake AWS endpoint (test/fake-aws), then rollback, with the
 * requests the CLI sent and the journal asserted.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeAws } from '../fake-aws/server.js';
import type { FakeAws, FakeAwsState } from '../fake-aws/server.js';
import { cli, cliEnv, describeResult, requireBuild, scratch } from './helpers.js';

requireBuild();

const ACCOUNT = '123456789012';
const LISTENER = `arn:aws:elasticloadbalancing:eu-west-1:${ACCOUNT}:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2`;
const ONPREM_TG = `arn:aws:elasticloadbalancing:eu-west-1:${ACCOUNT}:targetgroup/onprem/73e2d6bc24d8a067`;
const AWS_TG = `arn:aws:elasticloadbalancing:eu-west-1:${ACCOUNT}:targetgroup/aws/2453ed029918f21f`;

function fixture(): FakeAwsState {
  return {
    zones: [
      {
        id: 'ZAPP',
        name: 'example.com',
        recordSets: [
          { Name: 'app.example.com.', Type: 'A', SetIdentifier: 'aws', Weight: 0, AliasTarget: { HostedZoneId: 'Z35SXDOTRQ7X7K', DNSName: 'web-1.eu-west-1.elb.amazonaws.com.', EvaluateTargetHealth: true } },
          { Name: 'app.example.com.', Type: 'A', SetIdentifier: 'onprem', Weight: 100, TTL: 60, ResourceRecords: [{ Value: '203.0.113.10' }], HealthCheckId: 'hc-1' },
        ],
      },
    ],
    listeners: [
      {
        arn: LISTENER,
        defaultActions: [
          {
            Type: 'forward',
            Order: 1,
            ForwardConfig: {
              TargetGroups: [
                { TargetGroupArn: ONPREM_TG, Weight: 100 },
                { TargetGroupArn: AWS_TG, Weight: 0 },
              ],
              TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 300 },
            },
          },
        ],
      },
    ],
    rules: [],
    targetGroups: [
      { arn: ONPREM_TG, name: 'onprem' },
      { arn: AWS_TG, name: 'aws', health: [{ Target: { Id: 'i-1', Port: 80 }, TargetHealth: { State: 'healthy' } }] },
    ],
    pendingPolls: 1,
  };
}

const RUNBOOK = `cutover: 1
name: traffic-e2e
aws: { region: eu-west-1, changePollInterval: 10ms, changeTimeout: 5s }
steps:
  - id: dns-10
    run:
      route53: { zone: example.com, name: app.example.com, type: A, weights: { onprem: 90, aws: 10 } }
  - id: lb-25
    run:
      elbv2: { listener: "${LISTENER}", weights: { onprem: 75, aws: 25 } }
    verify: { elbv2TargetHealth: { targetGroup: aws, minHealthy: 1 } }
`;

let aws: FakeAws | undefined;
afterEach(async () => {
  await aws?.close();
  aws = undefined;
});

function journalOf(dir: string) {
  return readFileSync(path.join(dir, '.cutover', 'traffic-e2e.journal.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { type: string; step?: string; data: Record<string, unknown> });
}

describe('traffic steps through the CLI', () => {
  it('shifts Route 53 and ELBv2 weights, journals the capture first, and rolls back exactly', async (context) => {
    const dir = scratch(context);
    aws = await startFakeAws(fixture());
    const before = structuredClone(aws.state);
    writeFileSync(path.join(dir, 'rb.yaml'), RUNBOOK);
    const env = cliEnv({ AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y' });

    const plan = await cli(['plan', '--endpoint-url', aws.url, 'rb.yaml'], { cwd: dir, env });
    expect(plan.code, describeResult(plan)).toBe(0);
    expect(plan.stdout).toContain('onprem 100 -> 90, aws 0 -> 10');
    expect(plan.stdout).toContain('onprem 100 -> 75, aws 0 -> 25');
    expect(aws.requests.filter((r) => r.operation.startsWith('Change') || r.operation.startsWith('Modify'))).toEqual([]);

    const run = await cli(['run', '--yes', '--endpoint-url', aws.url, 'rb.yaml'], { cwd: dir, env });
    expect(run.code, describeResult(run)).toBe(0);

    const changes = aws.requests.filter((r) => r.operation === 'ChangeResourceRecordSets');
    expect(changes).toHaveLength(1);
    const batch = (changes[0]!.input.ChangeBatch as { Changes: { Action: string; ResourceRecordSet: Record<string, unknown> }[] }).Changes;
    expect(batch.map((c) => [c.Action, c.ResourceRecordSet.SetIdentifier, c.ResourceRecordSet.Weight])).toEqual([
      ['UPSERT', 'aws', 10],
      ['UPSERT', 'onprem', 90],
    ]);
    // Only the weight changed: alias target, TTL, records and health check are resent as they were.
    expect(batch[1]!.ResourceRecordSet).toMatchObject({ TTL: 60, ResourceRecords: [{ Value: '203.0.113.10' }], HealthCheckId: 'hc-1' });
    expect(aws.requests.some((r) => r.operation === 'GetChange')).toBe(true);

    const modify = aws.requests.filter((r) => r.operation === 'ModifyListener');
    expect(modify).toHaveLength(1);
    const forward = (modify[0]!.input.DefaultActions as { ForwardConfig: { TargetGroups: unknown[]; TargetGroupStickinessConfig: unknown } }[])[0]!;
    expect(forward.ForwardConfig.TargetGroups).toEqual([
      { TargetGroupArn: ONPREM_TG, Weight: 75 },
      { TargetGroupArn: AWS_TG, Weight: 25 },
    ]);
    expect(forward.ForwardConfig.TargetGroupStickinessConfig).toEqual({ Enabled: true, DurationSeconds: 300 });

    const events = journalOf(dir);
    const types = events.filter((e) => e.step === 'dns-10').map((e) => e.type);
    expect(types).toEqual(['step.started', 'step.captured', 'step.succeeded']);
    const captured = events.find((e) => e.type === 'step.captured' && e.step === 'dns-10')!;
    expect(captured.data.weights).toEqual({ aws: 0, onprem: 100 });
    expect(events.find((e) => e.type === 'step.succeeded' && e.step === 'dns-10')!.data.traffic).toMatchObject({ weights: { aws: 10, onprem: 90 } });

    const rollback = await cli(['rollback', '--yes', '--endpoint-url', aws.url, 'rb.yaml'], { cwd: dir, env });
    expect(rollback.code, describeResult(rollback)).toBe(0);
    expect(aws.state.zones[0]!.recordSets).toEqual(before.zones[0]!.recordSets);
    expect(aws.state.listeners[0]!.defaultActions).toEqual(before.listeners[0]!.defaultActions);
  });

  it('stops with exit 1 and shows the difference when weights drifted, and --force goes ahead (journaled)', async (context) => {
    const dir = scratch(context);
    aws = await startFakeAws(fixture());
    writeFileSync(path.join(dir, 'rb.yaml'), RUNBOOK);
    const env = cliEnv({ AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y' });
    const first = await cli(['run', '--yes', '--max-steps', '1', '--endpoint-url', aws.url, 'rb.yaml'], { cwd: dir, env });
    expect(first.code, describeResult(first)).toBe(0);

    // Someone moves the weights by hand; the rollback of dns-10 must notice.
    const sets = aws.state.zones[0]!.recordSets;
    sets.find((s) => s.SetIdentifier === 'aws')!.Weight = 50;
    const refused = await cli(['rollback', '--yes', '--endpoint-url', aws.url, 'rb.yaml'], { cwd: dir, env });
    expect(refused.code, describeResult(refused)).toBe(3);
    expect(refused.stderr).toContain('aws: journal says 10, live 50');
    expect(aws.requests.filter((r) => r.operation === 'ChangeResourceRecordSets')).toHaveLength(1);

    const forced = await cli(['rollback', '--yes', '--force', '--endpoint-url', aws.url, 'rb.yaml'], { cwd: dir, env });
    expect(forced.code, describeResult(forced)).toBe(0);
    expect(aws.state.zones[0]!.recordSets.find((s) => s.SetIdentifier === 'aws')!.Weight).toBe(0);
    expect(journalOf(dir).some((e) => e.type === 'decision' && e.data.choice === 'force')).toBe(true);
  });
});
