/**
 * A TrafficContext whose real SDK clients talk to the fake AWS endpoint (test/fake-aws), so a
 * driver test runs the real serialisation and the fake's AWS rules, and asserts on the
 * requests that reached "AWS" and on the state they left.
 */
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { Route53Client } from '@aws-sdk/client-route-53';
import type { TrafficContext } from '../../src/actions/traffic/types.js';
import { clientConfig } from '../../src/aws/clients.js';
import { fakeClock } from '../../src/support/clock.js';
import { startFakeAws, type FakeAws, type FakeAwsState, type FakeRequest } from '../fake-aws/server.js';

export interface FakeAwsContext {
  aws: FakeAws;
  ctx: TrafficContext;
  /** The change requests sent so far (ChangeResourceRecordSets, ModifyListener, ModifyRule). */
  writes(): FakeRequest[];
}

export async function fakeAwsContext(initial: FakeAwsState): Promise<FakeAwsContext> {
  // As lazyAwsClients does: the SDK's Node 22 notice is not what these tests are about.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const aws = await startFakeAws(initial);
  // One attempt: a fake that answers an error answers it again, and the tests want it at once.
  const config = { ...clientConfig({ region: 'eu-west-1', endpointUrl: aws.url, maxAttempts: 1 }), credentials: { accessKeyId: 'x', secretAccessKey: 'y' } };
  const route53 = new Route53Client({ ...config, region: 'us-east-1' });
  const elbv2 = new ElasticLoadBalancingV2Client(config);
  const ctx: TrafficContext = {
    clients: { route53: async () => route53, elbv2: async () => elbv2 },
    clock: fakeClock(),
    signal: new AbortController().signal,
    syncPollIntervalMs: 1_000,
    syncTimeoutMs: 60_000,
  };
  return { aws, ctx, writes: () => aws.requests.filter((r) => /^(Change|Modify)/.test(r.operation)) };
}
