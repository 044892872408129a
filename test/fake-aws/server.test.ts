/**
 * The fake AWS endpoint against the real SDK v3 clients: every request below goes through the
 * SDK's own serialisers, signing, HTTP handler, deserialisers and retry strategy.
 */
import {
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  ModifyRuleCommand,
  type Action as ElbAction,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  GetHostedZoneCommand,
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
  type ResourceRecordSet,
} from '@aws-sdk/client-route-53';
// @smithy/core comes with every SDK v3 client; its ConfiguredRetryStrategy is the standard
// strategy with a fixed backoff, so retries are real but take milliseconds.
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeAws, type FakeAws, type FakeAwsState } from './server.js';
import { parseXml } from './xml.js';

const ACCOUNT = '123456789012';
const LB = `arn:aws:elasticloadbalancing:us-east-1:${ACCOUNT}:loadbalancer/app/web/50dc6c495c0c9188`;
const LISTENER = `arn:aws:elasticloadbalancing:us-east-1:${ACCOUNT}:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2`;
const RULE = `arn:aws:elasticloadbalancing:us-east-1:${ACCOUNT}:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee`;
const BLUE = `arn:aws:elasticloadbalancing:us-east-1:${ACCOUNT}:targetgroup/blue/73e2d6bc24d8a067`;
const GREEN = `arn:aws:elasticloadbalancing:us-east-1:${ACCOUNT}:targetgroup/green/2453ed029918f21f`;
const ELB_ZONE = 'Z35SXDOTRQ7X7K';

const OIDC = {
  Issuer: 'https://idp.example.com',
  AuthorizationEndpoint: 'https://idp.example.com/authorize',
  TokenEndpoint: 'https://idp.example.com/token',
  UserInfoEndpoint: 'https://idp.example.com/userinfo',
  ClientId: 'cutover-client',
};

function alias(set: string, weight: number, dnsName: string): ResourceRecordSet {
  return {
    Name: 'www.example.com.',
    Type: 'A',
    SetIdentifier: set,
    Weight: weight,
    AliasTarget: { HostedZoneId: ELB_ZONE, DNSName: dnsName, EvaluateTargetHealth: true },
  };
}

function fixture(): FakeAwsState {
  return {
    zones: [
      {
        id: 'Z0PUBLIC',
        name: 'example.com',
        recordSets: [
          { Name: 'example.com.', Type: 'NS', TTL: 172800, ResourceRecords: [{ Value: 'ns-1.awsdns-01.org.' }, { Value: 'ns-2.awsdns-02.co.uk.' }] },
          {
            Name: 'example.com.',
            Type: 'SOA',
            TTL: 900,
            ResourceRecords: [{ Value: 'ns-1.awsdns-01.org. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400' }],
          },
          alias('blue', 90, 'blue-123.us-east-1.elb.amazonaws.com.'),
          alias('green', 10, 'green-456.us-east-1.elb.amazonaws.com.'),
          {
            Name: 'api.example.com.',
            Type: 'CNAME',
            SetIdentifier: 'blue',
            Weight: 100,
            TTL: 60,
            ResourceRecords: [{ Value: 'blue.api.internal.' }],
            HealthCheckId: 'b1e5c7a2-0000-4000-8000-000000000001',
          },
          { Name: 'api.example.com.', Type: 'CNAME', SetIdentifier: 'green', Weight: 0, TTL: 60, ResourceRecords: [{ Value: 'green.api.internal.' }] },
          { Name: '*.example.com', Type: 'TXT', TTL: 300, ResourceRecords: [{ Value: '"v=spf1 -all"' }] },
        ],
      },
      { id: 'Z0PRIVATE', name: 'example.com.', privateZone: true, recordSets: [] },
      { id: 'Z0ORG', name: 'example.org.', recordSets: [] },
    ],
    listeners: [
      {
        arn: LISTENER,
        loadBalancerArn: LB,
        port: 443,
        protocol: 'HTTPS',
        defaultActions: [
          { Type: 'authenticate-oidc', Order: 1, AuthenticateOidcConfig: { ...OIDC, ClientSecret: 's3cret' } },
          { Type: 'forward', Order: 2, TargetGroupArn: BLUE },
        ],
      },
    ],
    rules: [
      {
        arn: RULE,
        listenerArn: LISTENER,
        priority: '10',
        conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: ['app.example.com'] } }],
        actions: [{ Type: 'forward', TargetGroupArn: BLUE }],
      },
    ],
    targetGroups: [
      {
        arn: BLUE,
        name: 'blue',
        protocol: 'HTTP',
        port: 8080,
        vpcId: 'vpc-1',
        targetType: 'instance',
        loadBalancerArns: [LB],
        health: [
          { Target: { Id: 'i-0blue1', Port: 8080 }, HealthCheckPort: '8080', TargetHealth: { State: 'healthy' } },
          {
            Target: { Id: 'i-0blue2', Port: 8080 },
            HealthCheckPort: '8080',
            TargetHealth: { State: 'unhealthy', Reason: 'Target.ResponseCodeMismatch', Description: 'Health checks failed with these codes: [502]' },
          },
        ],
      },
      { arn: GREEN, name: 'green', protocol: 'HTTP', port: 8080, vpcId: 'vpc-1', targetType: 'instance', loadBalancerArns: [LB], health: [] },
    ],
  };
}

const open: FakeAws[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((aws) => aws.close()));
});

async function setup(change: (state: FakeAwsState) => void = () => {}) {
  const state = fixture();
  change(state);
  const aws = await startFakeAws(state);
  open.push(aws);
  const config = {
    endpoint: aws.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    retryStrategy: new ConfiguredRetryStrategy(3, 5),
  };
  return { aws, route53: new Route53Client(config), elbv2: new ElasticLoadBalancingV2Client(config) };
}

interface SdkError {
  name: string;
  /** The wire error code; ELBv2 names its exception classes `<Code>Exception`. */
  Code?: string;
  message: string;
  $metadata: { httpStatusCode?: number };
}

/** The error a promise rejects with (fails the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<SdkError> {
  try {
    await promise;
  } catch (error) {
    return error as SdkError;
  }
  throw new Error('expected the call to fail');
}

function without<T extends object>(value: T, drop: (key: string, v: unknown) => boolean): T {
  return JSON.parse(JSON.stringify(value, (key, v: unknown) => (drop(key, v) ? undefined : v))) as T;
}

describe('fake AWS: Route 53', () => {
  it('lists hosted zones by name, public and private zones of one name together, with paging', async () => {
    const { aws, route53 } = await setup();
    const first = await route53.send(new ListHostedZonesByNameCommand({ DNSName: 'example.com', MaxItems: 2 }));
    expect(first.HostedZones?.map((z) => [z.Id, z.Name, z.Config?.PrivateZone])).toEqual([
      ['/hostedzone/Z0PRIVATE', 'example.com.', true],
      ['/hostedzone/Z0PUBLIC', 'example.com.', false],
    ]);
    expect(first.HostedZones?.[1]?.ResourceRecordSetCount).toBe(7);
    expect(first).toMatchObject({ DNSName: 'example.com', IsTruncated: true, NextDNSName: 'example.org.', NextHostedZoneId: 'Z0ORG', MaxItems: 2 });
    const second = await route53.send(new ListHostedZonesByNameCommand({ DNSName: first.NextDNSName, HostedZoneId: first.NextHostedZoneId, MaxItems: 2 }));
    expect(second.HostedZones?.map((z) => z.Id)).toEqual(['/hostedzone/Z0ORG']);
    expect(second.IsTruncated).toBe(false);
    expect(aws.requests.map((r) => r.input)).toEqual([
      { DNSName: 'example.com', MaxItems: 2 },
      { DNSName: 'example.org.', HostedZoneId: 'Z0ORG', MaxItems: 2 },
    ]);
    const zone = await route53.send(new GetHostedZoneCommand({ Id: '/hostedzone/Z0PUBLIC' }));
    expect(zone.HostedZone?.Name).toBe('example.com.');
    expect(zone.DelegationSet?.NameServers).toHaveLength(4);
  });

  it('paginates record sets in Route 53 order with name, type and identifier tokens', async () => {
    const { aws, route53 } = await setup((s) => (s.pageSize = 2));
    const all: ResourceRecordSet[] = [];
    let start: { StartRecordName?: string; StartRecordType?: ResourceRecordSet['Type']; StartRecordIdentifier?: string } = {};
    for (let page = 0; page < 10; page++) {
      const out = await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: '/hostedzone/Z0PUBLIC', ...start }));
      expect(out.ResourceRecordSets!.length).toBeLessThanOrEqual(2);
      all.push(...out.ResourceRecordSets!);
      if (!out.IsTruncated) break;
      start = { StartRecordName: out.NextRecordName, StartRecordType: out.NextRecordType, StartRecordIdentifier: out.NextRecordIdentifier };
    }
    // com.example, com.example.*, com.example.api, com.example.www; then type; then set identifier.
    expect(all.map((s) => [s.Name, s.Type, s.SetIdentifier])).toEqual([
      ['example.com.', 'NS', undefined],
      ['example.com.', 'SOA', undefined],
      ['\\052.example.com.', 'TXT', undefined],
      ['api.example.com.', 'CNAME', 'blue'],
      ['api.example.com.', 'CNAME', 'green'],
      ['www.example.com.', 'A', 'blue'],
      ['www.example.com.', 'A', 'green'],
    ]);
    expect(aws.requests).toHaveLength(4);
    // The third page started mid-name: the identifier token was sent and used.
    expect(aws.requests[2]!.input).toEqual({
      HostedZoneId: 'Z0PUBLIC',
      StartRecordName: 'api.example.com.',
      StartRecordType: 'CNAME',
      StartRecordIdentifier: 'green',
    });
    expect(all[5]).toEqual(alias('blue', 90, 'blue-123.us-east-1.elb.amazonaws.com.'));
    expect(all[3]).toEqual(fixture().zones[0]!.recordSets[4]);

    // Starting at a name/type lists from there; a page size from the caller is honoured too.
    const www = await route53.send(
      new ListResourceRecordSetsCommand({ HostedZoneId: 'Z0PUBLIC', StartRecordName: 'WWW.example.com', StartRecordType: 'A', MaxItems: 1 }),
    );
    expect(www.ResourceRecordSets).toEqual([alias('blue', 90, 'blue-123.us-east-1.elb.amazonaws.com.')]);
    expect(www).toMatchObject({ IsTruncated: true, NextRecordName: 'www.example.com.', NextRecordType: 'A', NextRecordIdentifier: 'green', MaxItems: 1 });
  });

  it('UPSERTs weight changes (alias and TTL sets), reads them back identical but for the weight, and reports PENDING then INSYNC', async () => {
    const { aws, route53 } = await setup();
    const read = async () => {
      const out = await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: 'Z0PUBLIC' }));
      return out.ResourceRecordSets!.filter((s) => s.Weight !== undefined);
    };
    const before = await read();
    expect(before).toHaveLength(4);
    const changed = before.map((set) => ({ ...set, Weight: set.SetIdentifier === 'blue' ? 0 : 100 }));
    const ChangeBatch = { Comment: 'cutover: blue=0 green=100', Changes: changed.map((set) => ({ Action: 'UPSERT' as const, ResourceRecordSet: set })) };
    const out = await route53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: '/hostedzone/Z0PUBLIC', ChangeBatch }));
    expect(out.ChangeInfo).toMatchObject({ Id: '/change/C0000000000001', Status: 'PENDING', Comment: 'cutover: blue=0 green=100' });
    expect(out.ChangeInfo?.SubmittedAt).toBeInstanceOf(Date);
    // What the SDK put on the wire parses back to exactly the command input.
    expect(aws.requests[1]).toEqual({ service: 'route53', operation: 'ChangeResourceRecordSets', input: { HostedZoneId: 'Z0PUBLIC', ChangeBatch } });

    const after = await read();
    expect(after).toEqual(changed);
    expect(after.map((s) => s.Weight)).toEqual([0, 100, 0, 100]);
    expect(after.map((s) => ({ ...s, Weight: undefined }))).toEqual(before.map((s) => ({ ...s, Weight: undefined })));
    expect(aws.state.zones[0]!.recordSets).toHaveLength(7);

    const poll = () => route53.send(new GetChangeCommand({ Id: out.ChangeInfo!.Id }));
    expect((await poll()).ChangeInfo?.Status).toBe('PENDING');
    expect((await poll()).ChangeInfo?.Status).toBe('INSYNC');
    expect((await poll()).ChangeInfo?.Status).toBe('INSYNC');
    expect(aws.requests.at(-1)).toMatchObject({ operation: 'GetChange', input: { Id: 'C0000000000001' } });
    expect(aws.state.changes?.[0]).toMatchObject({ id: 'C0000000000001', zoneId: 'Z0PUBLIC', polls: 3, pendingPolls: 1 });
  });

  it('holds a change PENDING for the configured number of polls', async () => {
    const { route53 } = await setup((s) => (s.pendingPolls = 3));
    const out = await route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: 'Z0PUBLIC',
        ChangeBatch: {
          Changes: [{ Action: 'CREATE', ResourceRecordSet: { Name: 'new.example.com', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '192.0.2.10' }] } }],
        },
      }),
    );
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await route53.send(new GetChangeCommand({ Id: out.ChangeInfo!.Id }))).ChangeInfo?.Status);
    expect(statuses).toEqual(['PENDING', 'PENDING', 'PENDING', 'INSYNC']);
  });

  it('rejects a bad change batch as a whole with InvalidChangeBatch', async () => {
    const { aws, route53 } = await setup();
    const before = structuredClone(aws.state.zones[0]!.recordSets);
    const error = await rejection(
      route53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: 'Z0PUBLIC',
          ChangeBatch: {
            Changes: [
              { Action: 'UPSERT', ResourceRecordSet: alias('blue', 50, 'blue-123.us-east-1.elb.amazonaws.com.') },
              { Action: 'DELETE', ResourceRecordSet: { ...alias('green', 99, 'green-456.us-east-1.elb.amazonaws.com.') } },
              {
                Action: 'CREATE',
                ResourceRecordSet: { Name: 'api.example.com', Type: 'CNAME', SetIdentifier: 'blue', Weight: 1, TTL: 60, ResourceRecords: [{ Value: 'x.' }] },
              },
            ],
          },
        }),
      ),
    );
    expect(error.name).toBe('InvalidChangeBatch');
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(error.message).toContain(
      "Tried to delete resource record set [name='www.example.com.', type='A', set-identifier='green'] but the values provided do not match the current values",
    );
    expect(error.message).toContain('but it already exists');
    expect(aws.state.zones[0]!.recordSets).toEqual(before);
    expect(aws.state.changes).toEqual([]);
  });

  it('refuses a weighted set sent without its weight, and an alias target sent incomplete, as Route 53 does', async () => {
    const { aws, route53 } = await setup();
    const before = structuredClone(aws.state.zones[0]!.recordSets);
    const upsert = (set: ResourceRecordSet) =>
      rejection(
        route53.send(
          new ChangeResourceRecordSetsCommand({ HostedZoneId: 'Z0PUBLIC', ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: set }] } }),
        ),
      );
    const { Weight: _weight, ...unweighted } = alias('blue', 50, 'blue-123.us-east-1.elb.amazonaws.com.');
    const noWeight = await upsert(unweighted);
    expect(noWeight.name).toBe('InvalidInput');
    expect(noWeight.message).toContain(
      'Expected exactly one of [Weight, Region, Failover, GeoLocation, MultiValueAnswer, GeoProximityLocation, or CidrRoutingConfig], but found none',
    );
    const full = alias('blue', 50, 'blue-123.us-east-1.elb.amazonaws.com.');
    const partial = await upsert({
      ...full,
      AliasTarget: { HostedZoneId: ELB_ZONE, DNSName: 'blue-123.us-east-1.elb.amazonaws.com.' } as ResourceRecordSet['AliasTarget'],
    });
    expect(partial.name).toBe('InvalidInput');
    expect(partial.message).toContain("aliasTarget.evaluateTargetHealth' failed to satisfy constraint: Member must not be null");
    expect(aws.state.zones[0]!.recordSets).toEqual(before);
  });

  it('answers an unknown zone with NoSuchHostedZone', async () => {
    const { aws, route53 } = await setup();
    const error = await rejection(route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: 'ZNOPE' })));
    expect(error.name).toBe('NoSuchHostedZone');
    expect(error.message).toBe('No hosted zone found with ID: ZNOPE');
    expect(error.$metadata.httpStatusCode).toBe(404);
    expect(aws.requests).toEqual([{ service: 'route53', operation: 'ListResourceRecordSets', input: { HostedZoneId: 'ZNOPE' }, error: 'NoSuchHostedZone' }]);
  });

  it('injects PriorRequestNotComplete once; the SDK retries it', async () => {
    const { aws, route53 } = await setup((s) => (s.faults = [{ operation: 'ChangeResourceRecordSets', code: 'PriorRequestNotComplete' }]));
    const out = await route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: 'Z0PUBLIC',
        ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: alias('blue', 1, 'blue-123.us-east-1.elb.amazonaws.com.') }] },
      }),
    );
    expect(out.ChangeInfo?.Status).toBe('PENDING');
    expect(aws.requests.map((r) => [r.operation, r.error, r.fault])).toEqual([
      ['ChangeResourceRecordSets', 'PriorRequestNotComplete', true],
      ['ChangeResourceRecordSets', undefined, undefined],
    ]);
    expect(aws.state.faults).toEqual([]);
    expect(aws.state.changes).toHaveLength(1);
  });
});

describe('fake AWS: ELBv2', () => {
  it('describes a listener as AWS stores it: forward filled in, OIDC defaults, no client secret', async () => {
    const { elbv2 } = await setup();
    const out = await elbv2.send(new DescribeListenersCommand({ ListenerArns: [LISTENER] }));
    expect(out.Listeners).toEqual([
      {
        ListenerArn: LISTENER,
        LoadBalancerArn: LB,
        Port: 443,
        Protocol: 'HTTPS',
        DefaultActions: [
          {
            Type: 'authenticate-oidc',
            Order: 1,
            AuthenticateOidcConfig: {
              ...OIDC,
              Scope: 'openid',
              SessionCookieName: 'AWSELBAuthSessionCookie',
              SessionTimeout: 604800,
              OnUnauthenticatedRequest: 'authenticate',
            },
          },
          {
            Type: 'forward',
            Order: 2,
            TargetGroupArn: BLUE,
            ForwardConfig: { TargetGroups: [{ TargetGroupArn: BLUE, Weight: 1 }], TargetGroupStickinessConfig: { Enabled: false } },
          },
        ],
      },
    ]);
  });

  it('round-trips ModifyListener: weighted forward with stickiness after an authenticate-oidc action', async () => {
    const { aws, elbv2 } = await setup();
    const sent: ElbAction[] = [
      {
        Type: 'authenticate-oidc',
        Order: 1,
        AuthenticateOidcConfig: {
          ...OIDC,
          UseExistingClientSecret: true,
          Scope: 'openid email',
          SessionCookieName: 'AWSELBAuthSessionCookie',
          SessionTimeout: 3600,
          OnUnauthenticatedRequest: 'deny',
          AuthenticationRequestExtraParams: { prompt: 'login', display: 'page & popup' },
        },
      },
      {
        Type: 'forward',
        Order: 2,
        ForwardConfig: {
          TargetGroups: [
            { TargetGroupArn: BLUE, Weight: 80 },
            { TargetGroupArn: GREEN, Weight: 20 },
          ],
          TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 3600 },
        },
      },
    ];
    const modified = await elbv2.send(new ModifyListenerCommand({ ListenerArn: LISTENER, DefaultActions: sent }));
    const described = await elbv2.send(new DescribeListenersCommand({ ListenerArns: [LISTENER] }));
    // UseExistingClientSecret is an instruction, not state: everything else reads back as sent.
    const expected = without(sent, (key) => key === 'UseExistingClientSecret');
    expect(described.Listeners?.[0]?.DefaultActions).toEqual(expected);
    expect(modified.Listeners?.[0]?.DefaultActions).toEqual(expected);
    // The flattened query parameters parse back to the command input, types and all.
    expect(aws.requests[0]).toEqual({ service: 'elbv2', operation: 'ModifyListener', input: { ListenerArn: LISTENER, DefaultActions: sent } });
    // The stored secret was kept.
    expect(aws.state.listeners[0]!.defaultActions[0]!.AuthenticateOidcConfig?.ClientSecret).toBe('s3cret');
  });

  it('refuses what AWS refuses: no client secret, unknown target groups, a forward that is not last', async () => {
    const { aws, elbv2 } = await setup();
    const before = structuredClone(aws.state.listeners);
    const modify = (DefaultActions: ElbAction[]) => rejection(elbv2.send(new ModifyListenerCommand({ ListenerArn: LISTENER, DefaultActions })));
    const forward: ElbAction = { Type: 'forward', Order: 2, TargetGroupArn: BLUE };
    expect((await modify([{ Type: 'authenticate-oidc', Order: 1, AuthenticateOidcConfig: OIDC }, forward])).name).toBe('ValidationError');
    const unknownGroup = await modify([{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: `${BLUE}0`, Weight: 1 }] } }]);
    expect([unknownGroup.name, unknownGroup.Code]).toEqual(['TargetGroupNotFoundException', 'TargetGroupNotFound']);
    expect(
      (
        await modify([
          { ...forward, Order: 1 },
          { Type: 'authenticate-oidc', Order: 2, AuthenticateOidcConfig: { ...OIDC, ClientSecret: 'x' } },
        ])
      ).name,
    ).toBe('ValidationError');
    expect(aws.state.listeners).toEqual(before);
  });

  it('round-trips ModifyRule and keeps the conditions', async () => {
    const { aws, elbv2 } = await setup();
    const sent: ElbAction[] = [
      {
        Type: 'forward',
        ForwardConfig: {
          TargetGroups: [
            { TargetGroupArn: BLUE, Weight: 0 },
            { TargetGroupArn: GREEN, Weight: 100 },
          ],
          TargetGroupStickinessConfig: { Enabled: false },
        },
      },
    ];
    const modified = await elbv2.send(new ModifyRuleCommand({ RuleArn: RULE, Actions: sent }));
    const described = await elbv2.send(new DescribeRulesCommand({ RuleArns: [RULE] }));
    for (const rules of [modified.Rules, described.Rules]) {
      expect(rules).toEqual([
        {
          RuleArn: RULE,
          Priority: '10',
          IsDefault: false,
          Conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: ['app.example.com'] } }],
          Actions: sent,
        },
      ]);
    }
    expect(aws.requests[0]!.input).toEqual({ RuleArn: RULE, Actions: sent });
    const missing = await rejection(elbv2.send(new DescribeRulesCommand({ RuleArns: [`${RULE}0`] })));
    expect([missing.name, missing.Code]).toEqual(['RuleNotFoundException', 'RuleNotFound']);
  });

  it('describes target groups by name and by ARN, and target health', async () => {
    const { elbv2 } = await setup();
    const byName = await elbv2.send(new DescribeTargetGroupsCommand({ Names: ['green', 'blue'] }));
    expect(byName.TargetGroups?.map((g) => [g.TargetGroupName, g.TargetGroupArn])).toEqual([
      ['green', GREEN],
      ['blue', BLUE],
    ]);
    expect(byName.TargetGroups?.[1]).toMatchObject({ Protocol: 'HTTP', Port: 8080, VpcId: 'vpc-1', TargetType: 'instance', LoadBalancerArns: [LB] });
    const byArn = await elbv2.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [BLUE] }));
    expect(byArn.TargetGroups?.map((g) => g.TargetGroupName)).toEqual(['blue']);
    const purple = await rejection(elbv2.send(new DescribeTargetGroupsCommand({ Names: ['purple'] })));
    expect([purple.name, purple.Code]).toEqual(['TargetGroupNotFoundException', 'TargetGroupNotFound']);

    const health = await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: BLUE }));
    expect(health.TargetHealthDescriptions).toEqual(fixture().targetGroups[0]!.health);
    const one = await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: BLUE, Targets: [{ Id: 'i-0blue2' }, { Id: 'i-0gone', Port: 80 }] }));
    expect(one.TargetHealthDescriptions?.map((d) => [d.Target?.Id, d.TargetHealth?.State, d.TargetHealth?.Reason])).toEqual([
      ['i-0blue2', 'unhealthy', 'Target.ResponseCodeMismatch'],
      ['i-0gone', 'unused', 'Target.NotRegistered'],
    ]);
    expect((await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: GREEN }))).TargetHealthDescriptions).toEqual([]);
  });

  it('answers an unknown listener with ListenerNotFound (the SDK names it ListenerNotFoundException)', async () => {
    const { aws, elbv2 } = await setup();
    const error = await rejection(elbv2.send(new DescribeListenersCommand({ ListenerArns: [`${LISTENER}0`] })));
    // The wire code is ListenerNotFound; the SDK maps it (awsQueryError trait) to its modelled class.
    expect(error.name).toBe('ListenerNotFoundException');
    expect(error.Code).toBe('ListenerNotFound');
    expect(error.message).toBe('One or more listeners not found');
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(aws.requests).toHaveLength(1);
    expect(aws.requests[0]).toMatchObject({ service: 'elbv2', operation: 'DescribeListeners', error: 'ListenerNotFound' });
  });

  it('injects Throttling once; the SDK retries it and succeeds', async () => {
    const { aws, elbv2 } = await setup((s) => (s.faults = [{ operation: 'DescribeListeners', code: 'Throttling', message: 'Rate exceeded' }]));
    const out = await elbv2.send(new DescribeListenersCommand({ ListenerArns: [LISTENER] }));
    expect(out.Listeners?.[0]?.ListenerArn).toBe(LISTENER);
    expect(out.$metadata.attempts).toBe(2);
    expect(aws.requests.map((r) => [r.operation, r.error])).toEqual([
      ['DescribeListeners', 'Throttling'],
      ['DescribeListeners', undefined],
    ]);
  });
});

describe('fake AWS: XML parser', () => {
  it('reads entities, CDATA, comments, prefixes and self-closing tags', () => {
    const root = parseXml('<?xml version="1.0"?><!-- c --><a:Root xmlns:a="urn:x" k=\'v\'><B>1 &amp; &#60;2&#x3e;</B><C/><D><![CDATA[<raw>]]></D></a:Root>');
    expect(root.name).toBe('Root');
    expect(root.attributes).toEqual({ 'xmlns:a': 'urn:x', k: 'v' });
    expect(root.children.map((c) => [c.name, c.text])).toEqual([
      ['B', '1 & <2>'],
      ['C', ''],
      ['D', '<raw>'],
    ]);
    expect(() => parseXml('<A><B></A>')).toThrow(/does not match/);
    expect(() => parseXml('<A>')).toThrow(/unclosed/);
  });
});
