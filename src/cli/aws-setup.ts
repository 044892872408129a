/**
 * AWS settings for a command: --region/--profile/--endpoint-url (and AWS_ENDPOINT_URL), then
 * the runbook's `aws:` block, then nothing (the SDK's own chain). No SDK is loaded here.
 */
import { createTraffic } from '../actions/traffic/index.js';
import type { Traffic } from '../actions/traffic/index.js';
import { lazyAwsClients, mergeAwsSettings } from '../aws/clients.js';
import type { AwsClients, AwsSettings } from '../aws/clients.js';
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

export function awsFor(flags: AwsFlags, runbook: Pick<Runbook, 'aws'>, clock: Clock, onProgress?: (line: string) => void): { aws: AwsClients; traffic: Traffic } {
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
