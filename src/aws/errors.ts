/**
 * AWS SDK errors as one-line messages that say what to check. Throttling and
 * PriorRequestNotComplete never reach here: the SDK's standard retry strategy retries them
 * (see clients.ts); only what is still failing after those retries does.
 * The layers above wrap an AwsError in their own (traffic actions: TrafficError; the S3
 * journal: JournalError), so aws/ depends on nothing above it.
 */

/** One AWS call that still failed after the SDK's retries, as one line a user can act on. */
export class AwsError extends Error {
  constructor(
    message: string,
    /** The AWS error name (NoSuchHostedZone, ValidationError, ...). */
    readonly code: string,
  ) {
    super(message);
    this.name = 'AwsError';
  }
}

interface AwsErrorLike {
  name?: string;
  message?: string;
  code?: string;
  Code?: string;
  messages?: string[];
  $metadata?: { httpStatusCode?: number };
}

const HINTS: Record<string, string> = {
  NoSuchHostedZone: 'check the zone id (or name) in the runbook and that the credentials belong to the account that owns it',
  InvalidChangeBatch: 'Route 53 refused the change batch; check the record sets in the zone against the runbook',
  InvalidInput: 'check the zone id and record name in the runbook',
  ListenerNotFound: 'check the listener ARN (and the region: listeners are regional)',
  RuleNotFound: 'check the rule ARN (and the region: rules are regional)',
  TargetGroupNotFound: 'check the target group ARN or name (and the region: target groups are regional)',
  ValidationError: 'AWS rejected a parameter; check the ARNs and names in the runbook',
  AccessDenied: 'the credentials lack a permission cutover needs; see the IAM policy in the README',
  AccessDeniedException: 'the credentials lack a permission cutover needs; see the IAM policy in the README',
  UnrecognizedClientException: 'the credentials are not valid for this account/region; check --profile and AWS_PROFILE',
  InvalidClientTokenId: 'the access key is not valid; check --profile and the AWS_* environment variables',
  ExpiredToken: 'the session has expired; refresh the credentials (for SSO: aws sso login --profile <name>)',
  ExpiredTokenException: 'the session has expired; refresh the credentials (for SSO: aws sso login --profile <name>)',
  Throttling: 'AWS kept throttling after retries; wait a minute and resume',
  ThrottlingException: 'AWS kept throttling after retries; wait a minute and resume',
  PriorRequestNotComplete: 'Route 53 is still applying an earlier change to this zone; wait a minute and resume',
  NoSuchBucket: 'check the bucket of the journal URL (s3://bucket/key) and that the credentials belong to the account that owns it',
  InvalidAccessKeyId: 'the access key is not valid; check --profile and the AWS_* environment variables',
  SignatureDoesNotMatch: 'the secret key does not match the access key; check --profile and the AWS_* environment variables',
};

/** `doing` is what cutover was doing, e.g. "reading app.example.com. A in Z123". */
export function describeAwsError(error: unknown, doing: string): AwsError {
  if (error instanceof AwsError) return error;
  const e = (error ?? {}) as AwsErrorLike;
  const name = e.name ?? e.code ?? e.Code ?? 'Error';
  // Route 53's InvalidChangeBatch may carry its reasons in `messages` rather than `message`.
  const message = (e.message || e.messages?.join('; ') || String(error)).split('\n')[0]!.trim();
  // Before the generic credentials case: an expired SSO session also arrives as a
  // CredentialsProviderError ("The SSO session associated with this profile has expired...").
  if (name === 'TokenProviderError' || /sso.*(expired|refresh)|token.*expired/i.test(message)) {
    return new AwsError(`${doing}: the SSO token has expired (${message}); run "aws sso login" for the profile and resume`, name);
  }
  const profile = /using profile: \[([^\]]*)\]/.exec(message)?.[1];
  if (profile !== undefined) {
    return new AwsError(
      `${doing}: the AWS profile "${profile}" does not exist in ~/.aws/config or ~/.aws/credentials (or has no credentials); check --profile and AWS_PROFILE ("aws configure list-profiles" lists the profiles)`,
      name,
    );
  }
  if (name === 'CredentialsProviderError' || /could not load credentials/i.test(message)) {
    return new AwsError(`${doing}: no AWS credentials found (${message}); set --profile, AWS_PROFILE or the AWS_* variables, or log in (aws sso login)`, name);
  }
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|socket hang up/i.test(`${name} ${message}`)) {
    return new AwsError(`${doing}: cannot reach the AWS endpoint (${message}); check the network, --endpoint-url and --region`, name);
  }
  const hint = HINTS[name] ?? HINTS[name.replace(/Exception$/, '')]; // SDK v3 names ELBv2's ListenerNotFound error ListenerNotFoundException
  const status = e.$metadata?.httpStatusCode;
  const detail = `${name}${status ? ` (HTTP ${status})` : ''}: ${message}`;
  return new AwsError(`${doing}: ${detail}${hint ? `; ${hint}` : ''}`, name);
}
