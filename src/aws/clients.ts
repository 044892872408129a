/**
 * AWS client setup. The SDK is imported lazily (only when a traffic step or check needs it),
 * so `--help`, `status` and shell-only runbooks never load it.
 *
 * Precedence: CLI flags (--region, --profile, --endpoint-url, AWS_ENDPOINT_URL), then the
 * runbook's `aws:` block, then the SDK's own chain. Options that are unset are left out of
 * the client config entirely, so the SDK's standard lookup applies to them.
 */
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Route53Client } from '@aws-sdk/client-route-53';
import type { S3Client } from '@aws-sdk/client-s3';

export interface AwsSettings {
  region?: string;
  profile?: string;
  endpointUrl?: string;
  /** SDK retry attempts for throttling / PriorRequestNotComplete (standard retry strategy). */
  maxAttempts?: number;
}

/** What actions and checks get: clients created on first use, so tests inject mocks here. */
export interface AwsClients {
  route53(): Promise<Route53Client>;
  elbv2(): Promise<ElasticLoadBalancingV2Client>;
  /** S3, for journals at s3:// URLs (optional so that test doubles of the traffic clients need not provide it). */
  s3?(): Promise<S3Client>;
  /** CloudWatch, for the cloudwatchAlarm and cloudwatchMetric checks (optional for the same reason). */
  cloudwatch?(): Promise<CloudWatchClient>;
}

/** Later sources fill only what earlier ones left unset. */
export function mergeAwsSettings(...sources: (AwsSettings | undefined)[]): AwsSettings {
  const merged: AwsSettings = {};
  for (const source of sources) {
    if (!source) continue;
    for (const key of ['region', 'profile', 'endpointUrl', 'maxAttempts'] as const) {
      const value = source[key];
      if (value !== undefined && value !== '' && merged[key] === undefined) (merged as Record<string, unknown>)[key] = value;
    }
  }
  return merged;
}

export const DEFAULT_MAX_ATTEMPTS = 8;

/**
 * The SDK's logger. Without one, the credential chain writes an 11-line "Multiple
 * credential sources detected" warning on the terminal (a --profile next to AWS_ACCESS_KEY_ID)
 * in the middle of a migration; cutover says what matters in its own errors (errors.ts).
 */
export const QUIET_LOGGER = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** The client config for any AWS SDK v3 client: only the settings that were given. */
export function clientConfig(settings: AwsSettings): Record<string, unknown> {
  const config: Record<string, unknown> = { maxAttempts: settings.maxAttempts ?? DEFAULT_MAX_ATTEMPTS, retryMode: 'standard', logger: QUIET_LOGGER };
  if (settings.region) config.region = settings.region;
  if (settings.profile) config.profile = settings.profile;
  if (settings.endpointUrl) {
    config.endpoint = settings.endpointUrl;
    // Local endpoints (tests, LocalStack) serve every service on one host.
    config.forcePathStyle = true;
  }
  return config;
}

/** Real clients, created once each on first use. */
export function lazyAwsClients(settings: AwsSettings): Required<AwsClients> {
  // The SDK warns on every Node below 22 that future SDK versions will need 22. cutover
  // pins its SDK versions in the lockfile and supports Node 20, so the warning would only
  // alarm operators mid-migration. The README says when to move to Node 22.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let route53: Promise<Route53Client> | undefined;
  let elbv2: Promise<ElasticLoadBalancingV2Client> | undefined;
  let s3: Promise<S3Client> | undefined;
  let cloudwatch: Promise<CloudWatchClient> | undefined;
  return {
    route53() {
      // Route 53 is a global service whose API lives in us-east-1; a region is still required by the SDK.
      route53 ??= import('@aws-sdk/client-route-53').then((m) => new m.Route53Client({ region: 'us-east-1', ...clientConfig(settings) }));
      return route53;
    },
    elbv2() {
      elbv2 ??= import('@aws-sdk/client-elastic-load-balancing-v2').then((m) => new m.ElasticLoadBalancingV2Client(clientConfig(settings)));
      return elbv2;
    },
    s3() {
      s3 ??= import('@aws-sdk/client-s3').then((m) => s3Client(m.S3Client, settings));
      return s3;
    },
    cloudwatch() {
      cloudwatch ??= import('@aws-sdk/client-cloudwatch').then((m) => new m.CloudWatchClient(clientConfig(settings)));
      return cloudwatch;
    },
  };
}

/**
 * A journal bucket may live in any region: the client follows S3's region redirects. Without
 * a region from the flags, the runbook or the SDK's chain (AWS_REGION, the profile), it
 * starts from us-east-1, from where every commercial-partition bucket can be reached.
 */
async function s3Client(S3: typeof S3Client, settings: AwsSettings): Promise<S3Client> {
  const config = { ...clientConfig(settings), followRegionRedirects: true };
  const client = new S3(config);
  try {
    await client.config.region();
    return client;
  } catch {
    client.destroy();
    return new S3({ ...config, region: 'us-east-1' });
  }
}
