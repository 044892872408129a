import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  ModifyRuleCommand,
  TargetGroupNotFoundException,
  type Action as ElbAction,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AwsClients } from '../../src/aws/clients.js';
import { clientConfig } from '../../src/aws/clients.js';
import { elbv2Driver } from '../../src/actions/traffic/elbv2.js';
import { TrafficError, type TrafficContext, type TrafficSnapshot } from '../../src/actions/traffic/types.js';
import type { Elbv2Action } from '../../src/runbook/types.js';
import { fakeClock } from '../../src/support/clock.js';
import type { FakeAwsState, FakeRequest } from '../fake-aws/server.js';
import { rejectionOf } from '../helpers/rejection.js';
import { fakeAwsContext, type FakeAwsContext } from './fake-aws-context.js';

const PREFIX = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012';
const LISTENER = `${PREFIX}:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2`;
const RULE = `${PREFIX}:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee`;
const ONPREM = `${PREFIX}:targetgroup/web-onprem/73e2d6bc24d8a067`;
const AWS = `${PREFIX}:targetgroup/web-aws/2453ed029918f21f`;
const CANARY = `${PREFIX}:targetgroup/web-canary/1b2c3d4e5f607182`;

const credentials = { accessKeyId: 'x', secretAccessKey: 'y' };
const clients: AwsClients = {
  elbv2: async () => new ElasticLoadBalancingV2Client({ region: 'eu-west-1', credentials }),
  route53: async () => {
    throw new Error('unused');
  },
};

function context(overrides: Partial<TrafficContext> = {}): TrafficContext {
  return { clients, clock: fakeClock(), signal: new AbortController().signal, syncPollIntervalMs: 1, syncTimeoutMs: 10, ...overrides };
}

function listenerAction(weights: Record<string, number>): Elbv2Action {
  return { kind: 'elbv2', target: { kind: 'listener', arn: LISTENER }, weights };
}

const oidc: ElbAction = {
  Type: 'authenticate-oidc',
  Order: 1,
  AuthenticateOidcConfig: {
    Issuer: 'https://idp.example.com',
    AuthorizationEndpoint: 'https://idp.example.com/authorize',
    TokenEndpoint: 'https://idp.example.com/token',
    UserInfoEndpoint: 'https://idp.example.com/userinfo',
    ClientId: 'web',
    SessionCookieName: 'AWSELBAuthSessionCookie',
    Scope: 'openid',
    SessionTimeout: 604800,
    OnUnauthenticatedRequest: 'authenticate',
  },
};

/** A weighted forward as DescribeListeners returns it: no TargetGroupArn, stickiness on. */
function forward(onprem: number, aws: number, order = 2): ElbAction {
  return {
    Type: 'forward',
    Order: order,
    ForwardConfig: {
      TargetGroups: [
        { TargetGroupArn: ONPREM, Weight: onprem },
        { TargetGroupArn: AWS, Weight: aws },
      ],
      TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 3600 },
    },
  };
}

function listener(actions: ElbAction[]) {
  return { Listeners: [{ ListenerArn: LISTENER, Port: 443, Protocol: 'HTTPS' as const, DefaultActions: actions }] };
}

const groups = {
  TargetGroups: [
    { TargetGroupArn: ONPREM, TargetGroupName: 'web-onprem' },
    { TargetGroupArn: AWS, TargetGroupName: 'web-aws' },
  ],
};

/** [command name, input] for every call, in order: the tests assert the exact conversation. */
function conversation(stub: AwsClientStub<ElasticLoadBalancingV2Client>): [string, unknown][] {
  return stub.calls().map((call) => [call.args[0].constructor.name, call.args[0].input]);
}

const rejection = (promise: Promise<unknown>) => rejectionOf(promise, TrafficError);

describe('elbv2 driver (mocked client)', () => {
  let elb: AwsClientStub<ElasticLoadBalancingV2Client>;
  beforeEach(() => {
    elb = mockClient(ElasticLoadBalancingV2Client);
  });
  afterEach(() => elb.restore());

  it('reads the listener into a snapshot keyed by target group ARN, with names and the full action list', async () => {
    elb.on(DescribeListenersCommand).resolves(listener([oidc, forward(100, 0)]));
    elb.on(DescribeTargetGroupsCommand).resolves(groups);

    const snapshot = await elbv2Driver.read(listenerAction({ 'web-aws': 10 }), context());

    expect(snapshot).toEqual({
      kind: 'elbv2',
      target: `elbv2:listener:${LISTENER}`,
      label: 'listener app/web/50dc6c495c0c9188/f2f7dc8efc522ab2',
      weights: { [ONPREM]: 100, [AWS]: 0 },
      names: { [ONPREM]: 'web-onprem', [AWS]: 'web-aws' },
      state: { kind: 'listener', arn: LISTENER, actions: [oidc, forward(100, 0)] },
    });
    // The names in the runbook were all among the forwarded groups: no second lookup.
    expect(conversation(elb)).toEqual([
      ['DescribeListenersCommand', { ListenerArns: [LISTENER] }],
      ['DescribeTargetGroupsCommand', { TargetGroupArns: [ONPREM, AWS] }],
    ]);
    // The journal stores it: plain JSON.
    expect(JSON.parse(JSON.stringify(snapshot))).toEqual(snapshot);
  });

  it('resends the whole action list with only the weights changed: authenticate action, Order and stickiness kept', async () => {
    elb
      .on(DescribeListenersCommand)
      .resolvesOnce(listener([oidc, forward(100, 0)]))
      .resolves(listener([oidc, forward(90, 10)]));
    elb.on(DescribeTargetGroupsCommand).resolves(groups);
    elb.on(ModifyListenerCommand).resolves({});
    const action = listenerAction({ 'web-onprem': 90, [AWS]: 10 });

    const before = await elbv2Driver.read(action, context());
    expect(elbv2Driver.desired(action, before)).toEqual({ [ONPREM]: 90, [AWS]: 10 });
    const after = await elbv2Driver.apply(action, before, context());

    expect(after.weights).toEqual({ [ONPREM]: 90, [AWS]: 10 });
    expect(conversation(elb).slice(2)).toEqual([
      [
        'ModifyListenerCommand',
        {
          ListenerArn: LISTENER,
          DefaultActions: [
            // Describe never returns the OIDC secret; Modify needs it or this flag.
            { ...oidc, AuthenticateOidcConfig: { ...oidc.AuthenticateOidcConfig, UseExistingClientSecret: true } },
            forward(90, 10),
          ],
        },
      ],
      // Read back; the names are already known, so no target group lookup.
      ['DescribeListenersCommand', { ListenerArns: [LISTENER] }],
    ]);
  });

  it('drops the top-level TargetGroupArn when the forward action has several groups', async () => {
    const both: ElbAction = { ...forward(100, 0, 1), TargetGroupArn: ONPREM };
    elb
      .on(DescribeListenersCommand)
      .resolvesOnce(listener([both]))
      .resolves(listener([forward(50, 50, 1)]));
    elb.on(DescribeTargetGroupsCommand).resolves(groups);
    elb.on(ModifyListenerCommand).resolves({});
    const action = listenerAction({ 'web-onprem': 50, 'web-aws': 50 });

    await elbv2Driver.apply(action, await elbv2Driver.read(action, context()), context());

    const [modify] = elb.commandCalls(ModifyListenerCommand);
    expect(modify!.args[0].input.DefaultActions).toEqual([forward(50, 50, 1)]);
    expect(modify!.args[0].input.DefaultActions![0]).not.toHaveProperty('TargetGroupArn');
  });

  it('counts a plain single-group forward as weight 1 and keeps TargetGroupArn consistent when rewriting it', async () => {
    const plain: ElbAction = { Type: 'forward', TargetGroupArn: ONPREM };
    const rewritten: ElbAction = { Type: 'forward', TargetGroupArn: ONPREM, ForwardConfig: { TargetGroups: [{ TargetGroupArn: ONPREM, Weight: 5 }] } };
    elb
      .on(DescribeListenersCommand)
      .resolvesOnce(listener([plain]))
      .resolves(listener([rewritten]));
    elb.on(DescribeTargetGroupsCommand).resolves({ TargetGroups: [groups.TargetGroups[0]!] });
    elb.on(ModifyListenerCommand).resolves({});
    const action = listenerAction({ 'web-onprem': 5 });

    const before = await elbv2Driver.read(action, context());
    expect(before.weights).toEqual({ [ONPREM]: 1 });
    await elbv2Driver.apply(action, before, context());

    expect(elb.commandCalls(ModifyListenerCommand)[0]!.args[0].input.DefaultActions).toEqual([rewritten]);
  });

  it('sends nothing when the weights are already what the step sets', async () => {
    elb.on(DescribeListenersCommand).resolves(listener([oidc, forward(90, 10)]));
    elb.on(DescribeTargetGroupsCommand).resolves(groups);
    const action = listenerAction({ 'web-onprem': 90, 'web-aws': 10 });

    const after = await elbv2Driver.apply(action, await elbv2Driver.read(action, context()), context());

    expect(after.weights).toEqual({ [ONPREM]: 90, [AWS]: 10 });
    expect(elb.commandCalls(ModifyListenerCommand)).toHaveLength(0);
  });

  it('fails when the weights read back are not the ones set, showing expected and live', async () => {
    elb
      .on(DescribeListenersCommand)
      .resolvesOnce(listener([forward(100, 0)]))
      .resolves(listener([forward(100, 0)]));
    elb.on(DescribeTargetGroupsCommand).resolves(groups);
    elb.on(ModifyListenerCommand).resolves({});
    const action = listenerAction({ 'web-onprem': 90, 'web-aws': 10 });

    const error = await rejection(elbv2Driver.apply(action, await elbv2Driver.read(action, context()), context()));
    expect(error.message).toBe(
      'listener app/web/50dc6c495c0c9188/f2f7dc8efc522ab2: the weights read back are web-onprem 100, web-aws 0, expected web-onprem 90, web-aws 10; check whether something else changed the listener at the same time',
    );
  });

  it('changes a rule through DescribeRules and ModifyRule', async () => {
    const cognito: ElbAction = {
      Type: 'authenticate-cognito',
      Order: 1,
      AuthenticateCognitoConfig: {
        UserPoolArn: 'arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_abc',
        UserPoolClientId: 'c1',
        UserPoolDomain: 'auth',
      },
    };
    const rule = (onprem: number, aws: number) => ({ Rules: [{ RuleArn: RULE, Priority: '10', Conditions: [], Actions: [cognito, forward(onprem, aws)] }] });
    elb.on(DescribeRulesCommand).resolvesOnce(rule(100, 0)).resolves(rule(0, 100));
    elb.on(DescribeTargetGroupsCommand).resolves(groups);
    elb.on(ModifyRuleCommand).resolves({});
    const action: Elbv2Action = { kind: 'elbv2', target: { kind: 'rule', arn: RULE }, weights: { 'web-onprem': 0, 'web-aws': 100 } };

    const before = await elbv2Driver.read(action, context());
    expect(before.target).toBe(`elbv2:rule:${RULE}`);
    expect(before.label).toBe('rule app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee');
    await elbv2Driver.apply(action, before, context());

    expect(conversation(elb)).toEqual([
      ['DescribeRulesCommand', { RuleArns: [RULE] }],
      ['DescribeTargetGroupsCommand', { TargetGroupArns: [ONPREM, AWS] }],
      ['ModifyRuleCommand', { RuleArn: RULE, Actions: [cognito, forward(0, 100)] }],
      ['DescribeRulesCommand', { RuleArns: [RULE] }],
    ]);
  });

  it('reports the weights read back when a restore does not stick', async () => {
    elb
      .on(DescribeListenersCommand)
      .resolvesOnce(listener([forward(100, 0)]))
      .resolves(listener([forward(60, 40)]));
    elb.on(DescribeTargetGroupsCommand).resolves(groups);
    elb.on(ModifyListenerCommand).resolves({});

    const snapshot = await elbv2Driver.read(listenerAction({}), context());
    const error = await rejection(elbv2Driver.restore(snapshot, context()));
    expect(error.message).toBe(
      'listener app/web/50dc6c495c0c9188/f2f7dc8efc522ab2: the weights read back after the restore are web-onprem 60, web-aws 40, expected the captured web-onprem 100, web-aws 0; check whether something else changed the listener at the same time',
    );
    expect(elb.commandCalls(ModifyListenerCommand)).toHaveLength(1);
  });

  it('rejects a target group that the forward action does not use, listing the ones it does', async () => {
    elb.on(DescribeListenersCommand).resolves(listener([forward(100, 0)]));
    elb.on(DescribeTargetGroupsCommand, { TargetGroupArns: [ONPREM, AWS] }).resolves(groups);
    elb.on(DescribeTargetGroupsCommand, { Names: ['web-canary'] }).resolves({ TargetGroups: [{ TargetGroupArn: CANARY, TargetGroupName: 'web-canary' }] });
    const action = listenerAction({ 'web-canary': 10 });

    const before = await elbv2Driver.read(action, context());
    expect(conversation(elb)[2]).toEqual(['DescribeTargetGroupsCommand', { Names: ['web-canary'] }]);
    expect(() => elbv2Driver.desired(action, before)).toThrow(
      `target group web-canary is not in the forward action of listener app/web/50dc6c495c0c9188/f2f7dc8efc522ab2; it forwards to web-onprem (${ONPREM}), web-aws (${AWS})`,
    );
    expect(() => elbv2Driver.desired(listenerAction({ [CANARY]: 10 }), before)).toThrow(`target group ${CANARY} is not in the forward action`);
    const error = await rejection(elbv2Driver.apply(action, before, context()));
    expect(error.message).toContain('is not in the forward action');
    expect(elb.commandCalls(ModifyListenerCommand)).toHaveLength(0);
  });

  it('turns an unknown target group name into TargetGroupNotFound with what to check', async () => {
    elb.on(DescribeListenersCommand).resolves(listener([forward(100, 0)]));
    elb.on(DescribeTargetGroupsCommand, { TargetGroupArns: [ONPREM, AWS] }).resolves(groups);
    elb
      .on(DescribeTargetGroupsCommand, { Names: ['web-awz'] })
      .rejects(new TargetGroupNotFoundException({ message: 'One or more target groups not found', $metadata: { httpStatusCode: 400 } }));

    const error = await rejection(elbv2Driver.read(listenerAction({ 'web-awz': 10 }), context()));
    expect(error.message).toBe(
      'looking up target group web-awz: TargetGroupNotFoundException (HTTP 400): One or more target groups not found; check the target group ARN or name (and the region: target groups are regional)',
    );
  });

  it('falls back to the ARN name segment when DescribeTargetGroups is not allowed', async () => {
    elb.on(DescribeListenersCommand).resolves(listener([forward(100, 0)]));
    elb
      .on(DescribeTargetGroupsCommand)
      .rejects(Object.assign(new Error('not authorized to perform: elasticloadbalancing:DescribeTargetGroups'), { name: 'AccessDenied' }));

    const snapshot = await elbv2Driver.read(listenerAction({ 'web-aws': 10 }), context());
    expect(snapshot.names).toEqual({ [ONPREM]: 'web-onprem', [AWS]: 'web-aws' });
    expect(elbv2Driver.desired(listenerAction({ 'web-aws': 10 }), snapshot)).toEqual({ [ONPREM]: 100, [AWS]: 10 });
  });

  it('refuses a listener without a forward action, but rereads one (drift is a state too)', async () => {
    const fixed: ElbAction = { Type: 'fixed-response', FixedResponseConfig: { StatusCode: '503' } };
    elb
      .on(DescribeListenersCommand)
      .resolvesOnce(listener([fixed]))
      .resolvesOnce(listener([forward(100, 0)]))
      .resolves(listener([fixed]));
    elb.on(DescribeTargetGroupsCommand).resolves(groups);

    const error = await rejection(elbv2Driver.read(listenerAction({ 'web-aws': 10 }), context()));
    expect(error.message).toBe(
      'listener app/web/50dc6c495c0c9188/f2f7dc8efc522ab2 has no forward action; cutover can only change the weights of a forward action (its actions: fixed-response)',
    );
    const snapshot = await elbv2Driver.read(listenerAction({}), context());
    const live = await elbv2Driver.reread(snapshot, context());
    expect(live.weights).toEqual({});
    expect(live.state).toEqual({ kind: 'listener', arn: LISTENER, actions: [fixed] });
  });

  it('turns a ValidationError from Modify into a one-line message with what to check', async () => {
    elb.on(DescribeListenersCommand).resolves(listener([forward(100, 0)]));
    elb.on(DescribeTargetGroupsCommand).resolves(groups);
    elb.on(ModifyListenerCommand).rejects(
      Object.assign(new Error('The weight for each target group must be between 0 and 999, inclusive'), {
        name: 'ValidationError',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const action = listenerAction({ 'web-onprem': 50 });

    const error = await rejection(elbv2Driver.apply(action, await elbv2Driver.read(action, context()), context()));
    expect(error.message).toBe(
      'changing the weights of listener app/web/50dc6c495c0c9188/f2f7dc8efc522ab2: ValidationError (HTTP 400): The weight for each target group must be between 0 and 999, inclusive; AWS rejected a parameter; check the ARNs and names in the runbook',
    );
    expect(error.code).toBe('ValidationError');
  });

  it('rejects a snapshot without an ELBv2 action list', async () => {
    const bogus: TrafficSnapshot = { kind: 'elbv2', target: `elbv2:listener:${LISTENER}`, label: 'listener x', weights: {}, state: null };
    const error = await rejection(elbv2Driver.restore(bogus, context()));
    expect(error.message).toBe('listener x: the snapshot has no ELBv2 action list to work from');
  });
});

/**
 * A local endpoint speaking the ELBv2 query protocol, so the real serialisation, error
 * parsing and the SDK's standard retry run (aws-sdk-client-mock stubs `send`, which skips
 * all of that).
 */
describe('elbv2 driver (real client against a local endpoint)', () => {
  let server: Server | undefined;
  afterEach(() => {
    server?.close();
    vi.restoreAllMocks();
  });

  async function endpoint(responses: { status: number; body: string }[]): Promise<{ clients: AwsClients; requests: string[] }> {
    const requests: string[] = [];
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        requests.push(body);
        const answer = responses[Math.min(requests.length, responses.length) - 1]!;
        res.writeHead(answer.status, { 'content-type': 'text/xml' });
        res.end(answer.body);
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // The project's own client settings (standard retry mode), pointed at the local endpoint.
    const config = { ...clientConfig({ region: 'eu-west-1', endpointUrl: url, maxAttempts: 3 }), credentials };
    return {
      requests,
      clients: { elbv2: async () => new ElasticLoadBalancingV2Client(config), route53: clients.route53 },
    };
  }

  const xmlns = 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/';
  const awsError = (code: string, message: string) => ({
    status: 400,
    body: `<ErrorResponse xmlns="${xmlns}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>r1</RequestId></ErrorResponse>`,
  });
  const describeListeners = {
    status: 200,
    body:
      `<DescribeListenersResponse xmlns="${xmlns}"><DescribeListenersResult><Listeners><member><ListenerArn>${LISTENER}</ListenerArn><DefaultActions><member>` +
      `<Type>forward</Type><Order>1</Order><ForwardConfig><TargetGroups><member><TargetGroupArn>${ONPREM}</TargetGroupArn><Weight>100</Weight></member>` +
      `<member><TargetGroupArn>${AWS}</TargetGroupArn><Weight>0</Weight></member></TargetGroups>` +
      `<TargetGroupStickinessConfig><Enabled>false</Enabled></TargetGroupStickinessConfig></ForwardConfig>` +
      `</member></DefaultActions></member></Listeners></DescribeListenersResult><ResponseMetadata><RequestId>r2</RequestId></ResponseMetadata></DescribeListenersResponse>`,
  };
  const describeTargetGroups = {
    status: 200,
    body:
      `<DescribeTargetGroupsResponse xmlns="${xmlns}"><DescribeTargetGroupsResult><TargetGroups>` +
      `<member><TargetGroupArn>${ONPREM}</TargetGroupArn><TargetGroupName>web-onprem</TargetGroupName></member>` +
      `<member><TargetGroupArn>${AWS}</TargetGroupArn><TargetGroupName>web-aws</TargetGroupName></member>` +
      `</TargetGroups></DescribeTargetGroupsResult><ResponseMetadata><RequestId>r3</RequestId></ResponseMetadata></DescribeTargetGroupsResponse>`,
  };

  it('retries Throttling through the SDK standard retry strategy, then succeeds', async () => {
    // Pin the retry jitter to 0 so the backoff (up to 1 s for throttling) does not slow the test.
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const { clients: local, requests } = await endpoint([awsError('Throttling', 'Rate exceeded'), describeListeners, describeTargetGroups]);

    const snapshot = await elbv2Driver.read(listenerAction({ 'web-aws': 10 }), context({ clients: local }));

    expect(snapshot.weights).toEqual({ [ONPREM]: 100, [AWS]: 0 });
    expect(snapshot.names).toEqual({ [ONPREM]: 'web-onprem', [AWS]: 'web-aws' });
    expect(requests).toHaveLength(3);
    expect(requests[0]).toBe(requests[1]);
    expect(requests[0]).toBe(`Action=DescribeListeners&Version=2015-12-01&ListenerArns.member.1=${encodeURIComponent(LISTENER)}`);
  });

  it('turns ListenerNotFound (as the SDK parses it) into a message that says what to check', async () => {
    const { clients: local, requests } = await endpoint([awsError('ListenerNotFound', 'One or more listeners not found')]);

    const error = await rejection(elbv2Driver.read(listenerAction({ 'web-aws': 10 }), context({ clients: local })));

    expect(error.message).toBe(
      'reading listener app/web/50dc6c495c0c9188/f2f7dc8efc522ab2: ListenerNotFoundException (HTTP 400): One or more listeners not found; check the listener ARN (and the region: listeners are regional)',
    );
    // A permanent error is not retried.
    expect(requests).toHaveLength(1);
  });
});

/**
 * The fake AWS endpoint (test/fake-aws): real SDK clients, the fake's ELBv2 rules (Modify
 * replaces the whole action list, an OIDC action keeps its secret only with
 * UseExistingClientSecret), and the requests that reached it.
 */
describe('elbv2 driver (real client against the fake AWS)', () => {
  let fake: FakeAwsContext | undefined;
  afterEach(async () => {
    await fake?.aws.close();
    fake = undefined;
  });

  const SECRET = 'oidc-client-secret-4f9a1c';
  const withSecret: ElbAction = { ...oidc, AuthenticateOidcConfig: { ...oidc.AuthenticateOidcConfig!, ClientSecret: SECRET } };

  function fixture(actions: ElbAction[], extra: Partial<FakeAwsState> = {}): FakeAwsState {
    return {
      zones: [],
      listeners: [{ arn: LISTENER, port: 443, protocol: 'HTTPS', defaultActions: actions }],
      rules: [],
      targetGroups: [
        { arn: ONPREM, name: 'web-onprem' },
        { arn: AWS, name: 'web-aws' },
        { arn: CANARY, name: 'web-canary' },
      ],
      ...extra,
    };
  }

  const sentActions = (request: FakeRequest | undefined) => request?.input.DefaultActions as ElbAction[];

  it('keeps an OIDC client secret that an endpoint returns out of the snapshot, and keeps it in AWS with UseExistingClientSecret', async () => {
    fake = await fakeAwsContext(fixture([withSecret, forward(100, 0)], { leakClientSecret: true }));
    const action = listenerAction({ 'web-onprem': 90, 'web-aws': 10 });

    // The endpoint does return it (so this test can fail) ...
    const described = await (await fake.ctx.clients.elbv2()).send(new DescribeListenersCommand({ ListenerArns: [LISTENER] }));
    expect(described.Listeners![0]!.DefaultActions![0]!.AuthenticateOidcConfig!.ClientSecret).toBe(SECRET);
    const before = await elbv2Driver.read(action, fake.ctx);
    // ... and what would be journaled in step.captured has no trace of it.
    expect(JSON.stringify(before)).not.toContain(SECRET);
    expect((before.state as { actions: ElbAction[] }).actions[0]!.AuthenticateOidcConfig).toEqual(oidc.AuthenticateOidcConfig);

    const after = await elbv2Driver.apply(action, before, fake.ctx);
    expect(JSON.stringify(after)).not.toContain(SECRET);
    const [modify, ...more] = fake.writes();
    expect(more).toEqual([]);
    expect(sentActions(modify)[0]!.AuthenticateOidcConfig).toEqual({ ...oidc.AuthenticateOidcConfig, UseExistingClientSecret: true });
    expect(JSON.stringify(modify!.input)).not.toContain(SECRET);
    // AWS kept the secret it had.
    expect(fake.aws.state.listeners[0]!.defaultActions[0]!.AuthenticateOidcConfig!.ClientSecret).toBe(SECRET);
    expect(after.weights).toEqual({ [ONPREM]: 90, [AWS]: 10 });
  });

  it('refuses to leave every target group of the forward action at weight 0, sending nothing', async () => {
    fake = await fakeAwsContext(fixture([forward(100, 0, 1)]));
    const action = listenerAction({ 'web-onprem': 0 });
    const error = await rejection(elbv2Driver.apply(action, await elbv2Driver.read(action, fake.ctx), fake.ctx));
    expect(error.message).toBe(
      'listener app/web/50dc6c495c0c9188/f2f7dc8efc522ab2: after this change every target group of the forward action would be at weight 0 (web-onprem 0, web-aws 0), leaving no target group to send requests to; keep at least one weight above 0 (to stop all traffic, put a fixed-response action in place by hand)',
    );
    expect(fake.writes()).toEqual([]);
    // One group at 0 while another keeps traffic is an ordinary shift.
    await elbv2Driver.apply(listenerAction({ 'web-onprem': 0, 'web-aws': 100 }), await elbv2Driver.read(action, fake.ctx), fake.ctx);
    expect(fake.writes()).toHaveLength(1);
  });

  it('a Network Load Balancer listener: says it forwards to a single target group (use Route 53 weights), sending nothing; the fake refuses as AWS does', async () => {
    const nlb = `${PREFIX}:listener/net/tcp/50dc6c495c0c9188/f2f7dc8efc522ab2`;
    const single: ElbAction = { Type: 'forward', TargetGroupArn: ONPREM, ForwardConfig: { TargetGroups: [{ TargetGroupArn: ONPREM, Weight: 1 }] } };
    fake = await fakeAwsContext({ ...fixture([]), listeners: [{ arn: nlb, port: 443, protocol: 'TCP', defaultActions: [single] }] });
    const action: Elbv2Action = { kind: 'elbv2', target: { kind: 'listener', arn: nlb }, weights: { 'web-onprem': 90, 'web-aws': 10 } };
    const error = await rejection(elbv2Driver.apply(action, await elbv2Driver.read(action, fake.ctx), fake.ctx));
    expect(error.message).toBe(
      `listener ${nlb} belongs to a Network Load Balancer, which forwards to a single target group and takes no weights (this step weights web-onprem, web-aws); shift traffic between two load balancers with a route53 step (weighted records), or use an Application Load Balancer`,
    );
    expect(fake.writes()).toEqual([]);
    // What AWS answers when asked anyway.
    const client = await fake.ctx.clients.elbv2();
    const refused = await client
      .send(
        new ModifyListenerCommand({
          ListenerArn: nlb,
          DefaultActions: [
            {
              Type: 'forward',
              ForwardConfig: {
                TargetGroups: [
                  { TargetGroupArn: ONPREM, Weight: 90 },
                  { TargetGroupArn: AWS, Weight: 10 },
                ],
              },
            },
          ],
        }),
      )
      .then(
        () => new Error('accepted'),
        (e: unknown) => e as Error,
      );
    expect(refused.name).toBe('ValidationError');
    expect(refused.message).toBe("You cannot specify multiple target groups in a single action with a load balancer of type 'network'");
  });

  /** The capture (as the journal returns it) after the step moved the weights to 90/10. */
  async function afterStep(state: FakeAwsState, target: Elbv2Action['target'] = { kind: 'listener', arn: LISTENER }) {
    fake = await fakeAwsContext(state);
    const action: Elbv2Action = { kind: 'elbv2', target, weights: { 'web-onprem': 90, 'web-aws': 10 } };
    const captured = await elbv2Driver.read(action, fake.ctx);
    await elbv2Driver.apply(action, captured, fake.ctx);
    return { captured: JSON.parse(JSON.stringify(captured)) as TrafficSnapshot, fake };
  }
  const liveForward = (f: FakeAwsContext) => f.aws.state.listeners[0]!.defaultActions.find((a) => a.Type === 'forward')!;

  it('puts back the captured weights with one ModifyListener of the live action list', async () => {
    const { captured, fake } = await afterStep(fixture([oidc, forward(100, 0)]));
    const original = structuredClone(fake.aws.state.listeners[0]!.defaultActions);
    original.find((a) => a.Type === 'forward')!.ForwardConfig!.TargetGroups = forward(100, 0).ForwardConfig!.TargetGroups;

    const after = await elbv2Driver.restore(captured, fake.ctx);

    const [, restoreModify, ...more] = fake.writes();
    expect(more).toEqual([]);
    expect(sentActions(restoreModify)).toEqual([
      { ...oidc, AuthenticateOidcConfig: { ...oidc.AuthenticateOidcConfig, UseExistingClientSecret: true } },
      forward(100, 0),
    ]);
    expect(after.weights).toEqual({ [ONPREM]: 100, [AWS]: 0 });
    expect(after.state).toEqual(captured.state);
    expect(fake.aws.state.listeners[0]!.defaultActions).toEqual(original);
  });

  it('keeps target group stickiness turned on by hand after the step, and puts back only the weights', async () => {
    const unsticky: ElbAction = {
      ...forward(100, 0, 1),
      ForwardConfig: { ...forward(100, 0, 1).ForwardConfig, TargetGroupStickinessConfig: { Enabled: false } },
    };
    const { captured, fake } = await afterStep(fixture([unsticky]));
    liveForward(fake).ForwardConfig!.TargetGroupStickinessConfig = { Enabled: true, DurationSeconds: 600 };
    const live = await elbv2Driver.reread(captured, fake.ctx);
    expect(elbv2Driver.structuralChanges(captured, live)).toEqual([]);

    const after = await elbv2Driver.restore(captured, fake.ctx);

    expect(after.weights).toEqual({ [ONPREM]: 100, [AWS]: 0 });
    expect(liveForward(fake).ForwardConfig!.TargetGroupStickinessConfig).toEqual({ Enabled: true, DurationSeconds: 600 });
    expect(sentActions(fake.writes()[1])[0]!.ForwardConfig!.TargetGroupStickinessConfig).toEqual({ Enabled: true, DurationSeconds: 600 });
  });

  it("puts back a rule's weights with ModifyRule, keeping its conditions and other actions as they are live", async () => {
    const state = fixture([forward(100, 0, 1)]);
    state.rules = [
      {
        arn: RULE,
        listenerArn: LISTENER,
        priority: '10',
        conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/app/*'] } }],
        actions: [forward(100, 0, 2)],
      },
    ];
    const { captured, fake } = await afterStep(state, { kind: 'rule', arn: RULE });
    const rule = fake.aws.state.rules[0]!;
    const handConditions = [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/app/*', '/api/*'] } }];
    rule.conditions = handConditions;
    const cognito: ElbAction = {
      Type: 'authenticate-cognito',
      Order: 1,
      AuthenticateCognitoConfig: {
        UserPoolArn: 'arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_abc',
        UserPoolClientId: 'c1',
        UserPoolDomain: 'auth',
      },
    };
    rule.actions = [cognito, ...rule.actions];

    const after = await elbv2Driver.restore(captured, fake.ctx);

    const modify = fake.writes()[1]!;
    expect(modify.operation).toBe('ModifyRule');
    expect(modify.input).not.toHaveProperty('Conditions');
    expect(rule.conditions).toEqual(handConditions);
    expect(rule.actions.map((a) => a.Type)).toEqual(['authenticate-cognito', 'forward']);
    expect(after.weights).toEqual({ [ONPREM]: 100, [AWS]: 0 });
  });

  it('sends nothing when the weights are already the captured ones', async () => {
    const { captured, fake } = await afterStep(fixture([forward(100, 0, 1)]));
    liveForward(fake).ForwardConfig!.TargetGroups = forward(100, 0).ForwardConfig!.TargetGroups;
    const after = await elbv2Driver.restore(captured, fake.ctx);
    expect(fake.writes()).toHaveLength(1);
    expect(after.weights).toEqual({ [ONPREM]: 100, [AWS]: 0 });
  });

  describe('refuses, sending nothing, over a structural change', () => {
    const refusal = (changes: string) =>
      `listener app/web/50dc6c495c0c9188/f2f7dc8efc522ab2 changed since the step captured it in a way a rollback cannot undo (${changes}); ` +
      'find out who changed it; a rollback only puts weights back, so undo that change by hand and roll back again, or set the weights by hand';
    const cases: [string, (f: FakeAwsContext) => void, string[]][] = [
      [
        'a target group added',
        (f) => void liveForward(f).ForwardConfig!.TargetGroups!.push({ TargetGroupArn: CANARY, Weight: 0 }),
        ['target group web-canary added to the forward action'],
      ],
      [
        'a target group removed',
        (f) => void (liveForward(f).ForwardConfig!.TargetGroups = [{ TargetGroupArn: ONPREM, Weight: 100 }]),
        ['target group web-aws removed from the forward action'],
      ],
      [
        'the forward action replaced by a fixed response',
        (f) => void (f.aws.state.listeners[0]!.defaultActions = [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '503' } }]),
        ['the forward action is gone (the listener now has: fixed-response)'],
      ],
      ['the listener deleted', (f) => void (f.aws.state.listeners = []), ['the listener is gone']],
    ];

    it.each(cases)('%s', async (_what, change, expected) => {
      const { captured, fake } = await afterStep(fixture([forward(100, 0, 1)]));
      change(fake);
      const live = await elbv2Driver.reread(captured, fake.ctx);
      expect(elbv2Driver.structuralChanges(captured, live)).toEqual(expected);

      const error = await rejection(elbv2Driver.restore(captured, fake.ctx));
      expect(error.message).toBe(refusal(expected.join('; ')));
      expect(fake.writes()).toHaveLength(1);
    });
  });
});
