import {
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  TargetGroupNotFoundException,
  type TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runElbv2TargetHealth } from '../../src/actions/elbv2-target-health.js';
import type { AwsClients } from '../../src/aws/clients.js';

const ARN = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-aws/2453ed029918f21f';

const clients: AwsClients = {
  elbv2: async () => new ElasticLoadBalancingV2Client({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }),
  route53: async () => {
    throw new Error('unused');
  },
};
const ctx = () => ({ clients, signal: new AbortController().signal });

function target(id: string, state: string, reason?: string): TargetHealthDescription {
  return { Target: { Id: id, Port: 8080 }, TargetHealth: { State: state as 'healthy', Reason: reason as undefined } };
}

const three = {
  TargetHealthDescriptions: [target('i-0aaa', 'healthy'), target('i-0bbb', 'healthy'), target('i-0ccc', 'unhealthy', 'Target.FailedHealthChecks')],
};

describe('elbv2TargetHealth check', () => {
  let elb: AwsClientStub<ElasticLoadBalancingV2Client>;
  beforeEach(() => {
    elb = mockClient(ElasticLoadBalancingV2Client);
  });
  afterEach(() => elb.restore());

  it('resolves a name and passes when enough targets are healthy', async () => {
    elb.on(DescribeTargetGroupsCommand).resolves({ TargetGroups: [{ TargetGroupArn: ARN, TargetGroupName: 'web-aws' }] });
    elb.on(DescribeTargetHealthCommand).resolves(three);

    const result = await runElbv2TargetHealth({ targetGroup: 'web-aws', minHealthy: 2 }, ctx());

    expect(result).toEqual({
      ok: true,
      summary: '2/3 targets healthy in web-aws (need 2)',
      details: ['i-0aaa:8080 healthy', 'i-0bbb:8080 healthy', 'i-0ccc:8080 unhealthy Target.FailedHealthChecks'],
    });
    expect(elb.calls().map((call) => [call.args[0].constructor.name, call.args[0].input])).toEqual([
      ['DescribeTargetGroupsCommand', { Names: ['web-aws'] }],
      ['DescribeTargetHealthCommand', { TargetGroupArn: ARN }],
    ]);
  });

  it('uses an ARN as is and fails when too few targets are healthy', async () => {
    elb.on(DescribeTargetHealthCommand).resolves(three);

    const result = await runElbv2TargetHealth({ targetGroup: ARN, minHealthy: 3 }, ctx());

    expect(result.ok).toBe(false);
    expect(result.summary).toBe('2/3 targets healthy in web-aws (need 3)');
    expect(elb.commandCalls(DescribeTargetGroupsCommand)).toHaveLength(0);
  });

  it('counts only "healthy": initial, draining and unused targets do not count', async () => {
    elb.on(DescribeTargetHealthCommand).resolves({
      TargetHealthDescriptions: [
        target('i-0aaa', 'initial', 'Elb.InitialHealthChecking'),
        target('i-0bbb', 'draining', 'Target.DeregistrationInProgress'),
        // Lambda targets have no port.
        { Target: { Id: 'arn:aws:lambda:eu-west-1:123456789012:function:web' }, TargetHealth: { State: 'unused', Reason: 'Target.NotInUse' } },
      ],
    });

    const result = await runElbv2TargetHealth({ targetGroup: ARN, minHealthy: 1 }, ctx());

    expect(result).toEqual({
      ok: false,
      summary: '0/3 targets healthy in web-aws (need 1)',
      details: [
        'i-0aaa:8080 initial Elb.InitialHealthChecking',
        'i-0bbb:8080 draining Target.DeregistrationInProgress',
        'arn:aws:lambda:eu-west-1:123456789012:function:web unused Target.NotInUse',
      ],
    });
  });

  it('reports an unknown target group as a failed check, not a throw', async () => {
    elb
      .on(DescribeTargetGroupsCommand)
      .rejects(new TargetGroupNotFoundException({ message: 'One or more target groups not found', $metadata: { httpStatusCode: 400 } }));

    const result = await runElbv2TargetHealth({ targetGroup: 'web-awz', minHealthy: 1 }, ctx());

    expect(result).toEqual({
      ok: false,
      summary:
        'reading the target health of web-awz: TargetGroupNotFoundException (HTTP 400): One or more target groups not found; check the target group ARN or name (and the region: target groups are regional)',
      details: [],
    });
  });

  it('reports missing permissions as a failed check', async () => {
    elb
      .on(DescribeTargetHealthCommand)
      .rejects(Object.assign(new Error('User is not authorized to perform: elasticloadbalancing:DescribeTargetHealth'), { name: 'AccessDenied' }));

    const result = await runElbv2TargetHealth({ targetGroup: ARN, minHealthy: 1 }, ctx());

    expect(result.ok).toBe(false);
    expect(result.summary).toBe(
      `reading the target health of ${ARN}: AccessDenied: User is not authorized to perform: elasticloadbalancing:DescribeTargetHealth; the credentials lack a permission cutover needs; see the IAM policy in the README`,
    );
  });

  it('marks an interrupted check as aborted', async () => {
    const controller = new AbortController();
    elb.on(DescribeTargetHealthCommand).callsFake(async () => {
      controller.abort();
      throw Object.assign(new Error('Request aborted'), { name: 'AbortError' });
    });

    const result = await runElbv2TargetHealth({ targetGroup: ARN, minHealthy: 1 }, { clients, signal: controller.signal });

    expect(result).toEqual({ ok: false, summary: `target health of ${ARN}: interrupted`, details: [], aborted: true });
  });
});
