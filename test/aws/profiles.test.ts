import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configProfiles, credentialsProfiles, sharedFilePaths, unknownProfileMessage } from '../../src/aws/profiles.js';
import { unknownProfile } from '../../src/cli/aws-setup.js';
import type { Runbook } from '../../src/runbook/types.js';

const CONFIG = `# comment
[default]
region = eu-west-1

[profile staging]
region = eu-west-1
[ profile  "prod-admin" ]   ; quoted, spaced
sso_session = corp
[sso-session corp]
sso_region = eu-west-1
[orphan]
region = us-east-1
`;

const CREDENTIALS = `[ci]
aws_access_key_id = x
aws_secret_access_key = y
;[commented]
[default]
`;

describe('AWS shared config files', () => {
  it('config: [profile NAME] and [default] are profiles; sso-session and bare sections are not', () => {
    expect(configProfiles(CONFIG)).toEqual(['default', 'staging', 'prod-admin']);
  });

  it('credentials: every [NAME] section, comments skipped; CRLF too', () => {
    expect(credentialsProfiles(CREDENTIALS)).toEqual(['ci', 'default']);
    expect(credentialsProfiles('[a]\r\nx = 1\r\n[b]\r\n')).toEqual(['a', 'b']);
  });

  it('paths: ~/.aws by default; AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE override, with ~/ expanded', () => {
    expect(sharedFilePaths({}, '/home/op')).toEqual({ config: '/home/op/.aws/config', credentials: '/home/op/.aws/credentials' });
    expect(sharedFilePaths({ AWS_CONFIG_FILE: '/etc/aws/config', AWS_SHARED_CREDENTIALS_FILE: '~/creds' }, '/home/op')).toEqual({
      config: '/etc/aws/config',
      credentials: '/home/op/creds',
    });
  });

  it.each([
    ['staging', true],
    ['prod-admin', true],
    ['ci', true],
    ['default', true],
    ['orphan', false],
    ['corp', false],
    ['commented', false],
    ['prod', false],
  ])('profile %s exists: %s', (profile, exists) => {
    const paths = { config: '/c', credentials: '/k' };
    const message = unknownProfileMessage(profile, paths, { config: CONFIG, credentials: CREDENTIALS });
    if (exists) expect(message).toBeUndefined();
    else
      expect(message).toBe(
        `the AWS profile "${profile}" does not exist in /c or /k; "aws configure list-profiles" lists them (check --profile, AWS_PROFILE or aws.profile in the runbook)`,
      );
  });

  it('missing files count as empty', () => {
    expect(unknownProfileMessage('x', { config: '/c', credentials: '/k' }, {})).toContain('"x" does not exist');
  });
});

describe('unknownProfile (the preflight of run, rehearse and rollback)', () => {
  const runbook = { aws: {}, steps: [{ id: 's', action: { kind: 'route53' } }] } as unknown as Pick<Runbook, 'aws' | 'steps'>;
  const home = mkdtempSync(path.join(tmpdir(), 'cutover-profiles-'));

  it('refuses a named profile that is in neither shared file', async () => {
    expect(await unknownProfile({ profile: 'nope' }, runbook, { HOME: home }, { s3Journal: false })).toContain('"nope" does not exist');
  });

  it.each(['AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', 'AWS_CONTAINER_CREDENTIALS_FULL_URI'])(
    'does not refuse when %s gives the machine credentials the SDK falls back to',
    async (name) => {
      expect(await unknownProfile({ profile: 'nope' }, runbook, { HOME: home, [name]: '/x' }, { s3Journal: false })).toBeUndefined();
    },
  );
});
