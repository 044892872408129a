/**
 * Traffic steps through the whole CLI and the real SDK serialisation: `bin/cutover run
 * --endpoint-url` against the fake AWS endpoint (test/fake-aws), then rollback, with the
 * requests the CLI sent and the journal asserted.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeAws } from '../fake-aws/server.js';
import type { FakeAws, FakeAwsState } from '../fake-aws/server.js';
import { cli, cliEnv, describeResult, requireBuild, ROOT, scratch } from './helpers.js';

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
          {
            Name: 'app.example.com.',
            Type: 'A',
            SetIdentifier: 'aws',
            Weight: 0,
            AliasTarget: { HostedZoneId: 'Z35SXDOTRQ7X7K', DNSName: 'web-1.eu-west-1.elb.amazonaws.com.', EvaluateTargetHealth: true },
          },
          {
            Name: 'app.example.com.',
            Type: 'A',
            SetIdentifier: 'onprem',
            Weight: 100,
            TTL: 60,
            ResourceRecords: [{ Value: '203.0.113.10' }],
            HealthCheckId: 'hc-1',
          },
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
    // The result line says what each traffic step changed.
    expect(run.stderr).toMatch(/✔ dns-10 succeeded in [^:]+: onprem 100→90, aws 0→10\n/);
    expect(run.stderr).toMatch(/✔ \S+ succeeded in [^:]+: onprem 100→75, aws 0→25\n/);

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
    expect(rollback.stderr).toMatch(/✔ dns-10 rolled back in [^:]+: (onprem 100, aws 0|aws 0, onprem 100)\n/);
    expect(aws.state.zones[0]!.recordSets).toEqual(before.zones[0]!.recordSets);
    expect(aws.state.listeners[0]!.defaultActions).toEqual(before.listeners[0]!.defaultActions);
  });

  it('a rollback over drifted weights stops with exit 3 and shows the difference, and --force restores (journaled)', async (context) => {
    const dir = scratch(context);
    aws = await startFakeAws(fixture());
    writeFileSync(path.join(dir, 'rb.yaml'), RUNBOOK);
    const env = cliEnv({ AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y' });
    const first = await cli(['run', '--yes', '--max-steps', '1', '--endpoint-url', aws.url, 'rb.yaml'], { cwd: dir, env });
    expect(first.code, describeResult(first)).toBe(0);

    // Someone moves the weights by hand; the rollback of dns-10 must notice.
    const sets = aws.state.zones[0]!.recordSets;
    sets.find((s) => s.SetIdentifier === 'aws')!.Weight = 50;
    // The dry run says so too, and sends nothing.
    const preview = await cli(['rollback', '--dry-run', '--endpoint-url', aws.url, 'rb.yaml'], { cwd: dir, env });
    expect(preview.code, describeResult(preview)).toBe(0);
    expect(preview.stdout).toMatch(
      /drift: .* changed since step dns-10 \(.*aws: journal says 10, live 50.*\); the rollback would stop here \(--force restores anyway\)/,
    );
    const previewJson = await cli(['rollback', '--dry-run', '--json', '--endpoint-url', aws.url, 'rb.yaml'], { cwd: dir, env });
    expect(JSON.parse(previewJson.stdout).rollback[0].traffic.drift).toContain('aws: journal says 10, live 50');
    expect(aws.requests.filter((r) => r.operation === 'ChangeResourceRecordSets')).toHaveLength(1);
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

describe('a derived rollback puts back weights only', () => {
  it('keeps a TTL, an alias target and target group stickiness changed by hand after the steps', async (context) => {
    const dir = scratch(context);
    aws = await startFakeAws(fixture());
    writeFileSync(path.join(dir, 'rb.yaml'), RUNBOOK);
    const env = cliEnv({ AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y' });
    const run = await cli(['run', '--yes', '--endpoint-url', aws.url, 'rb.yaml'], { cwd: dir, env });
    expect(run.code, describeResult(run)).toBe(0);

    // By hand, after the steps: none of it is a weight.
    const set = (id: string) => aws!.state.zones[0]!.recordSets.find((s) => s.SetIdentifier === id)!;
    set('onprem').TTL = 300;
    set('aws').AliasTarget = { HostedZoneId: 'Z35SXDOTRQ7X7K', DNSName: 'web-2.eu-west-1.elb.amazonaws.com.', EvaluateTargetHealth: true };
    const forward = aws.state.listeners[0]!.defaultActions[0]!;
    forward.ForwardConfig!.TargetGroupStickinessConfig = { Enabled: true, DurationSeconds: 900 };
    const handMade = structuredClone(aws.state);

    const rollback = await cli(['rollback', '--yes', '--endpoint-url', aws.url, 'rb.yaml'], { cwd: dir, env });
    expect(rollback.code, describeResult(rollback)).toBe(0);
    expect(aws.state.zones[0]!.recordSets).toEqual(handMade.zones[0]!.recordSets.map((s) => ({ ...s, Weight: s.SetIdentifier === 'onprem' ? 100 : 0 })));
    expect(aws.state.listeners[0]!.defaultActions[0]!.ForwardConfig).toEqual({
      TargetGroups: [
        { TargetGroupArn: ONPREM_TG, Weight: 100 },
        { TargetGroupArn: AWS_TG, Weight: 0 },
      ],
      TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 900 },
    });
  });

  it('stops at a structural change (a set added by hand) with exit 3 and sends nothing, also with --force', async (context) => {
    const dir = scratch(context);
    aws = await startFakeAws(fixture());
    writeFileSync(path.join(dir, 'rb.yaml'), RUNBOOK);
    const env = cliEnv({ AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y' });
    const run = await cli(['run', '--yes', '--max-steps', '1', '--endpoint-url', aws.url, 'rb.yaml'], { cwd: dir, env });
    expect(run.code, describeResult(run)).toBe(0);
    aws.state.zones[0]!.recordSets.push({
      Name: 'app.example.com.',
      Type: 'A',
      SetIdentifier: 'canary',
      Weight: 0,
      TTL: 60,
      ResourceRecords: [{ Value: '198.51.100.9' }],
    });
    const changes = () => aws!.requests.filter((r) => r.operation === 'ChangeResourceRecordSets').length;

    for (const flags of [[], ['--force']]) {
      const rollback = await cli(['rollback', '--yes', ...flags, '--endpoint-url', aws.url, 'rb.yaml'], { cwd: dir, env });
      expect(rollback.code, describeResult(rollback)).toBe(3);
      expect(changes()).toBe(1);
      expect(rollback.stderr).toContain('weighted set "canary" added');
      expect(rollback.stderr).toContain('a rollback only puts weights back');
    }
    // Stopped before anything was journaled for the step: it stays succeeded, as it was.
    expect(journalOf(dir).filter((e) => e.type === 'rollback.started' || e.type === 'rollback.failed')).toEqual([]);
    const preview = await cli(['rollback', '--dry-run', '--endpoint-url', aws.url, 'rb.yaml'], { cwd: dir, env });
    expect(preview.stdout).toContain('structural change');
    expect(preview.stdout).toContain('--force does not help');
  });

  it('rehearse: after each derived rollback the live state, read again, equals the capture', async (context) => {
    const dir = scratch(context);
    aws = await startFakeAws(fixture());
    writeFileSync(path.join(dir, 'rb.yaml'), RUNBOOK);
    const env = cliEnv({ AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y' });
    const rehearse = await cli(['rehearse', '--yes', '--json', '--endpoint-url', aws.url, 'rb.yaml'], { cwd: dir, env });
    expect(rehearse.code, describeResult(rehearse)).toBe(0);
    const summary = JSON.parse(rehearse.stdout.trim().split('\n').at(-1)!) as {
      steps: { id: string; verdict: string; phases: Record<string, { status: string }> }[];
    };
    expect(summary.steps.map((s) => [s.id, s.verdict, s.phases.stateRestored?.status])).toEqual([
      ['dns-10', 'passed', 'passed'],
      ['lb-25', 'passed', 'passed'],
    ]);
  });
});

// ---------------------------------------------------------------------------------------
// More of the CLI: forward drift, previews without changes, pagination, retried
// throttling, one-line errors, credentials kept out of every file.

const SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEYcutover';
const ACCESS_KEY_ID = 'AKIAIOSFODNN7CUTOVER';
const credentials = () => cliEnv({ AWS_ACCESS_KEY_ID: ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY });

/** Two shifts of the same record: the second is measured against what the first left. */
const DNS_RUNBOOK = `cutover: 1
name: traffic-e2e
aws: { region: eu-west-1, changePollInterval: 10ms, changeTimeout: 5s }
defaults: { onFailure: rollback-step }
steps:
  - id: dns-10
    run:
      route53: { zone: example.com, name: app.example.com, type: A, weights: { onprem: 90, aws: 10 } }
  - id: dns-25
    run:
      route53: { zone: example.com, name: app.example.com, type: A, weights: { onprem: 75, aws: 25 } }
`;

const writes = (fake: FakeAws) => fake.requests.filter((r) => /^(Change|Modify)/.test(r.operation));
const weightOf = (fake: FakeAws, id: string) => fake.state.zones[0]!.recordSets.find((s) => s.SetIdentifier === id)!.Weight;

/** Every file under dir, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    return statSync(file).isDirectory() ? filesUnder(file) : [file];
  });
}

/** The environment without any AWS credentials the SDK could find (env, files, IMDS). */
function withoutCredentials(): NodeJS.ProcessEnv {
  const env = cliEnv({
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/cutover-test/credentials',
    AWS_CONFIG_FILE: '/nonexistent/cutover-test/config',
    AWS_EC2_METADATA_DISABLED: 'true',
  });
  for (const name of Object.keys(env)) {
    if (name.startsWith('AWS_') && !['AWS_SHARED_CREDENTIALS_FILE', 'AWS_CONFIG_FILE', 'AWS_EC2_METADATA_DISABLED'].includes(name)) delete env[name];
  }
  return env;
}

describe('traffic steps through the CLI: drift, previews and errors', () => {
  it('forward drift: exit 1 with the difference and no change sent; --force goes ahead and journals it', async (context) => {
    const dir = scratch(context);
    aws = await startFakeAws(fixture());
    writeFileSync(path.join(dir, 'rb.yaml'), DNS_RUNBOOK);
    const env = credentials();
    const first = await cli(['run', '--yes', '--max-steps', '1', '--endpoint-url', aws.url, 'rb.yaml'], { cwd: dir, env });
    expect(first.code, describeResult(first)).toBe(0);
    expect(writes(aws)).toHaveLength(1);

    // Someone moves the weights by hand between the two shifts.
    aws.state.zones[0]!.recordSets.find((s) => s.SetIdentifier === 'aws')!.Weight = 50;
    aws.state.zones[0]!.recordSets.find((s) => s.SetIdentifier === 'onprem')!.Weight = 50;
    const refused = await cli(['run', '--yes', '--max-steps', '1', '--endpoint-url', aws.url, 'rb.yaml'], { cwd: dir, env });
    expect(refused.code, describeResult(refused)).toBe(1);
    expect(refused.stderr).toContain('app.example.com. A in ZAPP changed since step dns-10 (aws: journal says 10, live 50; onprem: journal says 90, live 50)');
    expect(refused.stderr).toContain('--force');
    expect(writes(aws)).toHaveLength(1);
    expect(weightOf(aws, 'aws')).toBe(50);
    // onFailure: rollback-step is not followed after drift: nothing of dns-25 was rolled back.
    const afterRefusal = journalOf(dir);
    expect(afterRefusal.filter((e) => e.step === 'dns-25').map((e) => e.type)).toEqual(['step.started', 'step.failed']);
    expect(afterRefusal.find((e) => e.type === 'step.failed')!.data.phase).toBe('drift');

    const forced = await cli(['run', '--yes', '--force', '--endpoint-url', aws.url, 'rb.yaml'], { cwd: dir, env });
    expect(forced.code, describeResult(forced)).toBe(0);
    expect(writes(aws)).toHaveLength(2);
    expect([weightOf(aws, 'onprem'), weightOf(aws, 'aws')]).toEqual([75, 25]);
    const decisions = journalOf(dir).filter((e) => e.type === 'decision');
    expect(decisions).toHaveLength(1);
    expect(decisions[0]).toMatchObject({
      step: 'dns-25',
      data: { choice: 'force', note: '--force', prompt: expect.stringContaining('aws: journal says 10, live 50') },
    });
    // The capture of the forced step is the drifted state: a rollback puts back what was there.
    const captures = journalOf(dir).filter((e) => e.type === 'step.captured' && e.step === 'dns-25');
    expect(captures.map((e) => e.data.weights)).toEqual([{ aws: 50, onprem: 50 }]);
  });

  it('plan --offline sends no request at all and shows the target weights', async (context) => {
    const dir = scratch(context);
    aws = await startFakeAws(fixture());
    writeFileSync(path.join(dir, 'rb.yaml'), RUNBOOK);
    const plan = await cli(['plan', '--offline', 'rb.yaml'], { cwd: dir, env: cliEnv({ ...credentials(), AWS_ENDPOINT_URL: aws.url }) });
    expect(plan.code, describeResult(plan)).toBe(0);
    expect(aws.requests).toEqual([]);
    // The target only: no live diff (`onprem 100 -> 90`), which would need a read.
    expect(plan.stdout).toContain('route53 app.example.com A in example.com: onprem=90, aws=10');
    expect(plan.stdout).toContain('onprem=75, aws=25');
    expect(plan.stdout).not.toContain('->');
    expect(plan.stdout).not.toMatch(/^\s+live:/m);

    // Control: the same environment without --offline does read (so the endpoint above was live).
    const online = await cli(['plan', 'rb.yaml'], { cwd: dir, env: cliEnv({ ...credentials(), AWS_ENDPOINT_URL: aws.url }) });
    expect(online.code, describeResult(online)).toBe(0);
    expect(online.stdout).toContain('onprem 100 -> 90, aws 0 -> 10');
    expect(aws.requests.length).toBeGreaterThan(0);
    expect(writes(aws)).toEqual([]);
  });

  it('plan --rollback and rollback --dry-run show the captured weights to restore, and change nothing', async (context) => {
    const dir = scratch(context);
    aws = await startFakeAws(fixture());
    writeFileSync(path.join(dir, 'rb.yaml'), RUNBOOK);
    const env = credentials();
    const run = await cli(['run', '--yes', '--endpoint-url', aws.url, 'rb.yaml'], { cwd: dir, env });
    expect(run.code, describeResult(run)).toBe(0);
    const sent = writes(aws).length;
    const journalText = readFileSync(path.join(dir, '.cutover', 'traffic-e2e.journal.jsonl'), 'utf8');
    const state = structuredClone(aws.state);

    for (const args of [
      ['plan', '--rollback'],
      ['rollback', '--dry-run'],
    ]) {
      const preview = await cli([...args, '--endpoint-url', aws.url, 'rb.yaml'], { cwd: dir, env });
      expect(preview.code, describeResult(preview)).toBe(0);
      const lines = preview.stdout.split('\n');
      // Newest first: the listener, then the record; live weights -> the captured ones.
      const lb = lines.findIndex((l) => l.includes('lb-25'));
      const dns = lines.findIndex((l) => l.includes('dns-10'));
      expect(lb, preview.stdout).toBeGreaterThan(-1);
      expect(dns, preview.stdout).toBeGreaterThan(lb);
      expect(lines[dns + 1]).toMatch(/^\s+app\.example\.com\. A in ZAPP: /);
      expect(lines[dns + 1]).toContain('onprem 90 -> 100');
      expect(lines[dns + 1]).toContain('aws 10 -> 0');
      expect(lines[lb + 1]).toMatch(/^\s+listener app\/web\/.*: onprem 75 -> 100, aws 25 -> 0$/);
      expect(writes(aws)).toHaveLength(sent);
    }
    // Read-only: the journal is untouched and the fake's state unchanged.
    expect(readFileSync(path.join(dir, '.cutover', 'traffic-e2e.journal.jsonl'), 'utf8')).toBe(journalText);
    expect(aws.state.zones).toEqual(state.zones);
    expect(aws.state.listeners).toEqual(state.listeners);

    const json = await cli(['rollback', '--dry-run', '--json', '--endpoint-url', aws.url, 'rb.yaml'], { cwd: dir, env });
    expect(json.code, describeResult(json)).toBe(0);
    const parsed = JSON.parse(json.stdout) as { rollback: { id: string; traffic?: { change: string } }[] };
    expect(parsed.rollback.map((s) => s.id)).toEqual(['lb-25', 'dns-10']);
    expect(parsed.rollback[1]!.traffic?.change).toMatch(/^(onprem 90 -> 100, aws 10 -> 0|aws 10 -> 0, onprem 90 -> 100)$/);
  });

  it('pages through ListResourceRecordSets (page size 1) and changes and restores only the weighted sets of the record', async (context) => {
    const dir = scratch(context);
    const state = fixture();
    state.pageSize = 1;
    state.zones[0]!.recordSets.push(
      { Name: 'app.example.com.', Type: 'A', SetIdentifier: 'dr', Weight: 0, TTL: 60, ResourceRecords: [{ Value: '198.51.100.7' }] },
      { Name: 'app.example.com.', Type: 'AAAA', SetIdentifier: 'aws', Weight: 0, TTL: 60, ResourceRecords: [{ Value: '2001:db8::1' }] },
      { Name: 'api.example.com.', Type: 'A', TTL: 300, ResourceRecords: [{ Value: '203.0.113.20' }] },
      { Name: 'www.example.com.', Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: 'app.example.com' }] },
      { Name: 'example.com.', Type: 'TXT', TTL: 300, ResourceRecords: [{ Value: '"v=spf1 -all"' }] },
    );
    aws = await startFakeAws(state);
    const before = structuredClone(aws.state.zones[0]!.recordSets);
    writeFileSync(path.join(dir, 'rb.yaml'), RUNBOOK);
    const env = credentials();
    const run = await cli(['run', '--yes', '--max-steps', '1', '--endpoint-url', aws.url, 'rb.yaml'], { cwd: dir, env });
    expect(run.code, describeResult(run)).toBe(0);

    const lists = aws.requests.filter((r) => r.operation === 'ListResourceRecordSets');
    // One page per set: the first read alone needs three pages for aws, dr, onprem (and one more to see the end).
    expect(lists.length).toBeGreaterThanOrEqual(3);
    expect(lists.some((r) => r.input.StartRecordIdentifier !== undefined)).toBe(true);
    const captured = journalOf(dir).find((e) => e.type === 'step.captured')!;
    expect(captured.data.weights).toEqual({ aws: 0, dr: 0, onprem: 100 });

    const change = aws.requests.find((r) => r.operation === 'ChangeResourceRecordSets')!;
    const batch = (change.input.ChangeBatch as { Changes: { ResourceRecordSet: { Name: string; Type: string; SetIdentifier: string } }[] }).Changes;
    expect(batch.every((c) => c.ResourceRecordSet.Name === 'app.example.com.' && c.ResourceRecordSet.Type === 'A')).toBe(true);
    expect(aws.state.zones[0]!.recordSets.find((s) => s.Type === 'AAAA')!.Weight).toBe(0);
    expect(weightOf(aws, 'dr')).toBe(0);

    const rollback = await cli(['rollback', '--yes', '--endpoint-url', aws.url, 'rb.yaml'], { cwd: dir, env });
    expect(rollback.code, describeResult(rollback)).toBe(0);
    expect(aws.state.zones[0]!.recordSets).toEqual(before);
  });

  it("retries a throttled ModifyListener (the SDK's retry strategy) and succeeds", async (context) => {
    const dir = scratch(context);
    const state = fixture();
    state.faults = [{ operation: 'ModifyListener', code: 'Throttling', message: 'Rate exceeded' }];
    aws = await startFakeAws(state);
    writeFileSync(path.join(dir, 'rb.yaml'), RUNBOOK);
    const run = await cli(['run', '--yes', '--endpoint-url', aws.url, 'rb.yaml'], { cwd: dir, env: credentials() });
    expect(run.code, describeResult(run)).toBe(0);
    const modify = aws.requests.filter((r) => r.operation === 'ModifyListener');
    expect(modify.map((r) => r.error ?? 'ok')).toEqual(['Throttling', 'ok']);
    expect(aws.state.faults).toEqual([]);
    expect(
      journalOf(dir)
        .filter((e) => e.step === 'lb-25')
        .map((e) => e.type),
    ).toEqual(['step.started', 'step.captured', 'step.succeeded']);
  });

  it('a zone id that does not exist: exit 1 with one line naming the zone', async (context) => {
    const dir = scratch(context);
    aws = await startFakeAws(fixture());
    writeFileSync(path.join(dir, 'rb.yaml'), RUNBOOK.replace('zone: example.com', 'zone: ZNOPE0000000'));
    const run = await cli(['run', '--yes', '--endpoint-url', aws.url, 'rb.yaml'], { cwd: dir, env: credentials() });
    expect(run.code, describeResult(run)).toBe(1);
    const lines = run.stderr.split('\n').filter((l) => l.includes('NoSuchHostedZone'));
    expect(lines.length, run.stderr).toBeGreaterThan(0);
    for (const line of lines) expect(line).toContain('ZNOPE0000000');
    expect(run.stderr).toContain('check the zone id');
    expect(writes(aws)).toEqual([]);
    const failed = journalOf(dir).find((e) => e.type === 'step.failed')!;
    expect(failed.data.reason).toMatch(/^reading app\.example\.com\. A in ZNOPE0000000: NoSuchHostedZone \(HTTP 404\): .*ZNOPE0000000.*; check the zone id/);
    expect(String(failed.data.reason)).not.toContain('\n');
  });

  it('without credentials: exit 1 with one line about credentials and no stack trace; nothing reaches AWS', async (context) => {
    const dir = scratch(context);
    aws = await startFakeAws(fixture());
    writeFileSync(path.join(dir, 'rb.yaml'), RUNBOOK);
    const run = await cli(['run', '--yes', '--endpoint-url', aws.url, 'rb.yaml'], { cwd: dir, env: withoutCredentials() });
    expect(run.code, describeResult(run)).toBe(1);
    const lines = run.stderr.split('\n').filter((l) => /credentials/i.test(l));
    expect(lines.length, run.stderr).toBeGreaterThan(0);
    expect(run.stderr).toContain('no AWS credentials found');
    expect(run.stderr).toContain('--profile');
    // cli() already failed the test on a stack trace; nothing was signed and sent either.
    expect(aws.requests).toEqual([]);

    // plan's live diff degrades to a note per step, and plan still succeeds.
    const plan = await cli(['plan', '--endpoint-url', aws.url, 'rb.yaml'], { cwd: dir, env: withoutCredentials() });
    expect(plan.code, describeResult(plan)).toBe(0);
    expect(plan.stdout).toMatch(/^\s+live:\s+unavailable: .*no AWS credentials found/m);
    expect(aws.requests).toEqual([]);
  });

  it('never writes the credentials to the journal, the logs or the output', async (context) => {
    const dir = scratch(context);
    aws = await startFakeAws(fixture());
    writeFileSync(path.join(dir, 'rb.yaml'), RUNBOOK);
    const env = credentials();
    const outputs: string[] = [];
    for (const args of [['plan'], ['run', '--yes'], ['rollback', '--dry-run'], ['rollback', '--yes'], ['log'], ['status']]) {
      const result = await cli([...args, ...(args[0] === 'log' || args[0] === 'status' ? [] : ['--endpoint-url', aws.url]), 'rb.yaml'], { cwd: dir, env });
      expect(result.code, describeResult(result)).toBe(0);
      outputs.push(result.stdout, result.stderr);
    }
    const json = await cli(['run', '--yes', '--json', '--endpoint-url', aws.url, 'rb.yaml'], { cwd: dir, env });
    outputs.push(json.stdout, json.stderr);
    const files = filesUnder(dir);
    expect(files.some((f) => f.endsWith('.journal.jsonl'))).toBe(true);
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      expect(text, file).not.toContain(SECRET_ACCESS_KEY);
      expect(text, file).not.toContain(ACCESS_KEY_ID);
    }
    for (const text of outputs) {
      expect(text).not.toContain(SECRET_ACCESS_KEY);
      expect(text).not.toContain(ACCESS_KEY_ID);
    }
  });
});

describe('captured state holds no secrets', () => {
  it('an OIDC client secret returned by the endpoint reaches neither the journal nor `cutover log`, and AWS keeps it', async (context) => {
    const dir = scratch(context);
    const state = fixture();
    const secret = 'oidc-client-secret-e2e-8d3b';
    const oidc = {
      Type: 'authenticate-oidc' as const,
      Order: 1,
      AuthenticateOidcConfig: {
        Issuer: 'https://idp.example.com',
        AuthorizationEndpoint: 'https://idp.example.com/authorize',
        TokenEndpoint: 'https://idp.example.com/token',
        UserInfoEndpoint: 'https://idp.example.com/userinfo',
        ClientId: 'web',
        ClientSecret: secret,
      },
    };
    const listener = state.listeners[0]!;
    listener.defaultActions = [oidc, { ...listener.defaultActions[0]!, Order: 2 }];
    // An AWS-compatible endpoint that returns the secret in DescribeListeners (AWS does not).
    state.leakClientSecret = true;
    aws = await startFakeAws(state);
    writeFileSync(path.join(dir, 'rb.yaml'), RUNBOOK);
    const env = credentials();
    const run = await cli(['run', '--yes', '--endpoint-url', aws.url, 'rb.yaml'], { cwd: dir, env });
    expect(run.code, describeResult(run)).toBe(0);
    const log = await cli(['log', 'rb.yaml'], { cwd: dir, env });
    expect(log.code, describeResult(log)).toBe(0);
    const json = await cli(['log', '--json', 'rb.yaml'], { cwd: dir, env });
    expect(json.code, describeResult(json)).toBe(0);

    // The capture is there (so the test looks at the right thing), without the secret.
    const captured = journalOf(dir).find((e) => e.type === 'step.captured' && e.step === 'lb-25')!;
    expect(JSON.stringify(captured.data.state)).toContain('authenticate-oidc');
    for (const file of filesUnder(dir)) expect(readFileSync(file, 'utf8'), file).not.toContain(secret);
    for (const text of [run.stdout, run.stderr, log.stdout, log.stderr, json.stdout]) expect(text).not.toContain(secret);
    const modify = aws.requests.find((r) => r.operation === 'ModifyListener')!;
    expect(JSON.stringify(modify.input)).not.toContain(secret);
    expect(JSON.stringify(modify.input)).toContain('"UseExistingClientSecret":true');
    expect(aws.state.listeners[0]!.defaultActions[0]!.AuthenticateOidcConfig!.ClientSecret).toBe(secret);
  });
});

describe('the shipped runbooks', () => {
  const runbooksDir = path.join(ROOT, 'runbooks');
  const files = readdirSync(runbooksDir).filter((name) => name.endsWith('.yaml'));

  it('exist', () => {
    expect(files).toContain('3-traffic-shift.yaml');
  });

  it.for(files)('%s: validate, and plan --offline without any network request', async (name, context) => {
    const dir = scratch(context);
    aws = await startFakeAws(fixture());
    // Any AWS call would go to the fake (and be counted), not to the internet.
    const env = cliEnv({ AWS_ENDPOINT_URL: aws.url, AWS_ACCESS_KEY_ID: ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY });
    const file = path.join(runbooksDir, name);
    const validate = await cli(['validate', file], { cwd: dir, env });
    expect(validate.code, describeResult(validate)).toBe(0);
    const plan = await cli(['plan', '--offline', file], { cwd: dir, env });
    expect(plan.code, describeResult(plan)).toBe(0);
    expect(aws.requests).toEqual([]);
  });
});
