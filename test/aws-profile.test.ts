import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { clientConfig } from '../src/aws/clients.js';
import { describeAwsError } from '../src/aws/errors.js';

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
  vi.restoreAllMocks();
});

describe('an unknown --profile', () => {
  it('the SDK\'s "Multiple credential sources" warning is not printed; the profile provider\'s error names the profile', async () => {
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: 'x',
      AWS_SECRET_ACCESS_KEY: 'y',
      AWS_CONFIG_FILE: '/nonexistent/cutover-test/config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/cutover-test/credentials',
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const client = new ElasticLoadBalancingV2Client(clientConfig({ region: 'eu-west-1', profile: 'no-such-profile', endpointUrl: 'http://127.0.0.1:9' }));
    const error = await (client.config.credentials() as Promise<unknown>).then(
      () => new Error('resolved'),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect(warn).not.toHaveBeenCalled();
    // What the SDK's profile provider says when it finds the profile's name but no credentials.
    const fromIni = Object.assign(new Error('Could not resolve credentials using profile: [no-such-profile] in configuration/credentials file(s).'), {
      name: 'CredentialsProviderError',
    });
    expect(describeAwsError(fromIni, 'reading listener app/web').message).toBe(
      'reading listener app/web: the AWS profile "no-such-profile" does not exist in ~/.aws/config or ~/.aws/credentials (or has no credentials); check --profile and AWS_PROFILE ("aws configure list-profiles" lists the profiles)',
    );
  });
});
