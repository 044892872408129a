/**
 * A runbook with an ELBv2 step and no region anywhere fails before its first step runs,
 * saying how to set one (issue 18), instead of at the ELBv2 step after earlier changes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAws } from '../fake-aws/server.js';
import type { FakeAws } from '../fake-aws/server.js';
import { cli, cliEnv, describeResult, readLedger, requireBuild, scratch } from './helpers.js';

const LISTENER = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2';

let aws: FakeAws | undefined;
afterEach(async () => {
  await aws?.close();
  aws = undefined;
});

/** No region from the environment or an AWS config file; credentials so the SDK has those. */
function withoutRegion(): NodeJS.ProcessEnv {
  const env = cliEnv({
    AWS_ACCESS_KEY_ID: 'x',
    AWS_SECRET_ACCESS_KEY: 'y',
    AWS_CONFIG_FILE: '/nonexistent/cutover-test/config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/cutover-test/credentials',
    AWS_EC2_METADATA_DISABLED: 'true',
  });
  delete env.AWS_REGION;
  delete env.AWS_DEFAULT_REGION;
  delete env.AWS_PROFILE;
  return env;
}

describe('AWS preflight', () => {
  beforeAll(requireBuild);

  it('no region: exit 2 before the first step, with the ways to set one; --region makes it go', async (context) => {
    const dir = scratch(context);
    aws = await startFakeAws({ zones: [], listeners: [], rules: [], targetGroups: [] });
    writeFileSync(
      path.join(dir, 'rb.yaml'),
      `cutover: 1\nname: e2e\nvars: { dir: "${dir}" }\nsteps:\n  - id: first\n    run: echo first >> \${dir}/ledger\n    rollback: "true"\n  - id: lb-25\n    run:\n      elbv2: { listener: "${LISTENER}", weights: { onprem: 75, aws: 25 } }\n`,
    );
    const run = await cli(['run', '--yes', '--endpoint-url', aws.url, 'rb.yaml'], { cwd: dir, env: withoutRegion() });
    expect(run.code, describeResult(run)).toBe(2);
    expect(run.stderr).toContain(
      'no AWS region: step lb-25 uses an ELBv2 load balancer, which needs one; pass --region (e.g. --region eu-west-1), set "aws: { region: … }" in the runbook, export AWS_REGION',
    );
    expect(readLedger(dir)).toEqual([]);
    expect(aws.requests).toEqual([]);

    const given = await cli(['run', '--yes', '--max-steps', '1', '--region', 'eu-west-1', '--endpoint-url', aws.url, 'rb.yaml'], {
      cwd: dir,
      env: withoutRegion(),
    });
    expect(given.code, describeResult(given)).toBe(0);
    expect(readLedger(dir)).toEqual(['first']);
  });
  it('rehearse and rollback check the region before their first step too', async (context) => {
    const dir = scratch(context);
    aws = await startFakeAws({ zones: [], listeners: [], rules: [], targetGroups: [] });
    writeFileSync(
      path.join(dir, 'rb.yaml'),
      `cutover: 1\nname: e2e\nvars: { dir: "${dir}" }\nsteps:\n  - id: first\n    run: echo first >> \${dir}/ledger\n    rollback:\n      run: echo undo-first >> \${dir}/ledger\n      verify: { elbv2TargetHealth: { targetGroup: web } }\n  - id: lb-25\n    run:\n      elbv2: { listener: "${LISTENER}", weights: { onprem: 75, aws: 25 } }\n`,
    );
    const rehearse = await cli(['rehearse', '--yes', '--endpoint-url', aws.url, 'rb.yaml'], { cwd: dir, env: withoutRegion() });
    expect(rehearse.code, describeResult(rehearse)).toBe(2);
    expect(rehearse.stderr).toContain('no AWS region: step first uses an ELBv2 load balancer, which needs one; pass --region (e.g. --region eu-west-1)');
    expect(readLedger(dir)).toEqual([]);

    const first = await cli(['run', '--yes', '--max-steps', '1', '--region', 'eu-west-1', '--endpoint-url', aws.url, 'rb.yaml'], {
      cwd: dir,
      env: withoutRegion(),
    });
    expect(first.code, describeResult(first)).toBe(0);
    const rollback = await cli(['rollback', '--yes', '--endpoint-url', aws.url, 'rb.yaml'], { cwd: dir, env: withoutRegion() });
    expect(rollback.code, describeResult(rollback)).toBe(2);
    expect(rollback.stderr).toContain('no AWS region: step first uses an ELBv2 load balancer, which needs one; pass --region (e.g. --region eu-west-1)');
    expect(rollback.stderr).toContain('Nothing was rolled back');
    expect(readLedger(dir)).toEqual(['first']);
    expect(aws.requests).toEqual([]);
  });
  it('an unknown --profile or AWS_PROFILE: exit 2 before the first step, naming the files; a known one goes; no AWS use, no check', async (context) => {
    const dir = scratch(context);
    const home = path.join(dir, 'home');
    mkdirSync(path.join(home, '.aws'), { recursive: true });
    writeFileSync(path.join(home, '.aws', 'config'), '[default]\nregion = eu-west-1\n[profile staging]\nregion = eu-west-1\n');
    aws = await startFakeAws({ zones: [], listeners: [], rules: [], targetGroups: [] });
    writeFileSync(
      path.join(dir, 'rb.yaml'),
      `cutover: 1\nname: e2e\nvars: { dir: "${dir}" }\nsteps:\n  - id: first\n    run: echo first >> \${dir}/ledger\n    rollback: "true"\n  - id: lb-25\n    run:\n      elbv2: { listener: "${LISTENER}", weights: { onprem: 75, aws: 25 } }\n`,
    );
    writeFileSync(
      path.join(dir, 'local.yaml'),
      `cutover: 1\nname: local\nvars: { dir: "${dir}" }\nsteps:\n  - id: only\n    run: echo only >> \${dir}/ledger\n    rollback: "true"\n`,
    );
    const env: NodeJS.ProcessEnv = { ...withoutRegion(), HOME: home };
    delete env.AWS_CONFIG_FILE;
    delete env.AWS_SHARED_CREDENTIALS_FILE;
    const message = (profile: string) =>
      `the AWS profile "${profile}" does not exist in ${home}/.aws/config or ${home}/.aws/credentials; "aws configure list-profiles" lists them (check --profile, AWS_PROFILE or aws.profile in the runbook)`;

    const flag = await cli(['run', '--yes', '--profile', 'prod', '--endpoint-url', aws.url, 'rb.yaml'], { cwd: dir, env });
    expect(flag.code, describeResult(flag)).toBe(2);
    expect(flag.stderr).toContain(message('prod'));
    const fromEnv = await cli(['rehearse', '--yes', '--endpoint-url', aws.url, 'rb.yaml'], { cwd: dir, env: { ...env, AWS_PROFILE: 'typo' } });
    expect(fromEnv.code, describeResult(fromEnv)).toBe(2);
    expect(fromEnv.stderr).toContain(message('typo'));
    expect(readLedger(dir)).toEqual([]);
    expect(aws.requests).toEqual([]);

    const local = await cli(['run', '--yes', '--profile', 'prod', 'local.yaml'], { cwd: dir, env });
    expect(local.code, describeResult(local)).toBe(0);
    const known = await cli(['run', '--yes', '--max-steps', '1', '--profile', 'staging', '--endpoint-url', aws.url, 'rb.yaml'], { cwd: dir, env });
    expect(known.code, describeResult(known)).toBe(0);
    expect(readLedger(dir)).toEqual(['only', 'first']);
  });
});
