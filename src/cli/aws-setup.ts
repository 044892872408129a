/**
 * AWS settings for a command: --region/--profile/--endpoint-url (and AWS_ENDPOINT_URL), then
 * the runbook's `aws:` block, then nothing (the SDK's own chain). No SDK is loaded here.
 */
import { createTraffic } from '../actions/traffic/index.js';
import type { Traffic } from '../actions/traffic/index.js';
import { lazyAwsClients, mergeAwsSettings } from '../aws/clients.js';
import type { AwsClients, AwsSettings } from '../aws/clients.js';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { sharedFilePaths, unknownProfileMessage } from '../aws/profiles.js';
import type { Runbook } from '../runbook/types.js';
import type { Clock } from '../support/clock.js';

export interface AwsFlags {
  region?: string;
  profile?: string;
  endpointUrl?: string;
}

export function awsSettingsFor(flags: AwsFlags, runbook: Pick<Runbook, 'aws'>, env: Record<string, string | undefined>): AwsSettings {
  return mergeAwsSettings({ region: flags.region, profile: flags.profile, endpointUrl: flags.endpointUrl ?? env.AWS_ENDPOINT_URL }, runbook.aws);
}

export function awsFor(
  flags: AwsFlags,
  runbook: Pick<Runbook, 'aws'>,
  clock: Clock,
  onProgress?: (line: string) => void,
): { aws: AwsClients; traffic: Traffic } {
  const aws = lazyAwsClients(awsSettingsFor(flags, runbook, process.env));
  const traffic = createTraffic({
    clients: aws,
    clock,
    syncPollIntervalMs: runbook.aws.changePollIntervalMs,
    syncTimeoutMs: runbook.aws.changeTimeoutMs,
    onProgress,
  });
  return { aws, traffic };
}

/**
 * A runbook that changes or checks an ELBv2 load balancer needs a region (Route 53 has its
 * own); without one the SDK would fail at that step, after the earlier steps ran. Checked
 * before anything runs, by asking the client for it: the flags, the runbook, AWS_REGION
 * and the profile's config all count. Resolves to a message when there is none.
 */
export async function missingRegion(runbook: Pick<Runbook, 'steps'>, aws: Pick<AwsClients, 'elbv2'>): Promise<string | undefined> {
  const step = runbook.steps.find((s) => s.action.kind === 'elbv2' || JSON.stringify(s).includes('"elbv2TargetHealth"'));
  if (!step) return undefined;
  try {
    const client = await aws.elbv2();
    await client.config.region();
    return undefined;
  } catch {
    return `no AWS region: step ${step.id} uses an ELBv2 load balancer, which needs one; pass --region (e.g. --region eu-west-1), set "aws: { region: … }" in the runbook, export AWS_REGION, or use a --profile whose config has a region. Nothing was run`;
  }
}

/** Steps or checks that call AWS (Route 53, ELBv2, CloudWatch), rollbacks included. */
function usesAws(runbook: Pick<Runbook, 'steps'>): boolean {
  return runbook.steps.some(
    (s) =>
      s.action.kind === 'route53' ||
      s.action.kind === 'elbv2' ||
      /"(elbv2TargetHealth|cloudwatchAlarm|cloudwatchMetric|route53|elbv2)"/.test(JSON.stringify(s)),
  );
}

/** Credentials the SDK finds without a profile, after a named profile is not found. */
const MACHINE_CREDENTIALS = ['AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', 'AWS_CONTAINER_CREDENTIALS_FULL_URI'];

/**
 * A profile named explicitly (--profile, the runbook's aws.profile, AWS_PROFILE) that is in
 * neither shared file would fail at the first AWS call, after earlier steps ran (or at the
 * S3 journal's lock, as an SDK error). Checked before anything runs, only when AWS is used;
 * the default credential chain is left alone. Resolves to a message when it does not exist.
 */
export async function unknownProfile(
  flags: AwsFlags,
  runbook: Pick<Runbook, 'aws' | 'steps'>,
  env: Record<string, string | undefined>,
  options: { s3Journal: boolean },
): Promise<string | undefined> {
  const profile = awsSettingsFor(flags, runbook, env).profile ?? env.AWS_PROFILE;
  if (!profile || !(options.s3Journal || usesAws(runbook))) return undefined;
  // The SDK's chain goes on past a missing profile to web identity (EKS) and container (ECS,
  // CodeBuild) credentials: a runner that has them works without the profile, so no refusal.
  if (MACHINE_CREDENTIALS.some((name) => env[name])) return undefined;
  const paths = sharedFilePaths(env, env.HOME || homedir());
  const read = (file: string) => readFile(file, 'utf8').catch(() => undefined);
  const [config, credentials] = await Promise.all([read(paths.config), read(paths.credentials)]);
  return unknownProfileMessage(profile, paths, { config, credentials });
}
