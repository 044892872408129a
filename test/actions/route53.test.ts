import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  InvalidChangeBatch,
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
  NoSuchHostedZone,
  Route53Client,
  type ChangeResourceRecordSetsCommandInput,
  type ResourceRecordSet,
} from '@aws-sdk/client-route-53';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { route53Driver, type Route53State } from '../../src/actions/traffic/route53.js';
import { TrafficError, type TrafficContext, type TrafficSnapshot } from '../../src/actions/traffic/types.js';
import { clientConfig, type AwsClients } from '../../src/aws/clients.js';
import type { Route53Action } from '../../src/runbook/types.js';
import { fakeClock } from '../../src/support/clock.js';
import type { FakeAwsState } from '../fake-aws/server.js';
import { rejectionOf } from '../helpers/rejection.js';
import { fakeAwsContext, type FakeAwsContext } from './fake-aws-context.js';

const ZONE = 'Z0123456789ABC';
const NAME = 'app.example.com.';
const LABEL = `${NAME} A in ${ZONE}`;
const SUBMITTED = new Date('2026-01-01T00:00:00Z');

/** The on-prem gateway: plain A record with a TTL and a health check. */
const onprem: ResourceRecordSet = {
  Name: NAME,
  Type: 'A',
  SetIdentifier: 'onprem',
  Weight: 100,
  TTL: 60,
  ResourceRecords: [{ Value: '192.0.2.10' }, { Value: '192.0.2.11' }],
  HealthCheckId: 'hc-onprem',
};
/** The AWS NLB: an alias record. */
const aws: ResourceRecordSet = {
  Name: NAME,
  Type: 'A',
  SetIdentifier: 'aws',
  Weight: 0,
  AliasTarget: { HostedZoneId: 'Z31USIVHYNEOWT', DNSName: 'web-nlb-0123.elb.ap-northeast-1.amazonaws.com.', EvaluateTargetHealth: true },
};
const legacy: ResourceRecordSet = { Name: NAME, Type: 'A', SetIdentifier: 'legacy', Weight: 0, TTL: 300, ResourceRecords: [{ Value: '198.51.100.7' }] };
/** Listed after ours (same name, later type): must be ignored and end the listing. */
const aaaa: ResourceRecordSet = { Name: NAME, Type: 'AAAA', SetIdentifier: 'aws', Weight: 10, TTL: 60, ResourceRecords: [{ Value: '2001:db8::1' }] };

const credentials = { accessKeyId: 'x', secretAccessKey: 'y' };

function action(weights: Record<string, number>, extra: Partial<Route53Action> = {}): Route53Action {
  return { kind: 'route53', zone: ZONE, name: NAME, type: 'A', weights, wait: true, allowAllZero: false, ...extra };
}

function context(client: Route53Client, overrides: Partial<TrafficContext> = {}) {
  const clock = fakeClock();
  const progress: string[] = [];
  const clients: AwsClients = {
    route53: async () => client,
    elbv2: async () => {
      throw new Error('unused');
    },
  };
  const ctx: TrafficContext = {
    clients,
    clock,
    signal: new AbortController().signal,
    syncPollIntervalMs: 10_000,
    syncTimeoutMs: 120_000,
    onProgress: (line) => progress.push(line),
    ...overrides,
  };
  return { ctx, clock, progress };
}

function setup(overrides: Partial<TrafficContext> = {}) {
  const client = new Route53Client({ region: 'us-east-1', credentials });
  const mock = mockClient(client);
  return { mock, ...context(client, overrides) };
}

type Route53Mock = AwsClientStub<Route53Client>;

/**
 * A zone that behaves like Route 53 for one name: UPSERTs change the listed sets, GetChange
 * answers the given statuses in turn (the last one repeats).
 */
function fakeZone(mock: Route53Mock, initial: ResourceRecordSet[], statuses: string[] = ['INSYNC'], options: { ignoreChanges?: boolean } = {}) {
  const store = new Map(initial.map((set) => [set.SetIdentifier!, structuredClone(set)]));
  mock.on(ListResourceRecordSetsCommand).callsFake(() => ({
    ResourceRecordSets: [...[...store.values()].sort((a, b) => (a.SetIdentifier! < b.SetIdentifier! ? -1 : 1)).map((set) => structuredClone(set)), aaaa],
    IsTruncated: true,
    NextRecordName: NAME,
    NextRecordType: 'AAAA',
    NextRecordIdentifier: 'zz',
    MaxItems: 300,
  }));
  mock.on(ChangeResourceRecordSetsCommand).callsFake((input: ChangeResourceRecordSetsCommandInput) => {
    if (!options.ignoreChanges)
      for (const change of input.ChangeBatch!.Changes!) store.set(change.ResourceRecordSet!.SetIdentifier!, structuredClone(change.ResourceRecordSet!));
    return { ChangeInfo: { Id: '/change/C1', Status: 'PENDING', SubmittedAt: SUBMITTED } };
  });
  const queue = [...statuses];
  mock
    .on(GetChangeCommand)
    .callsFake(() => ({ ChangeInfo: { Id: '/change/C1', Status: queue.length > 1 ? queue.shift() : queue[0], SubmittedAt: SUBMITTED } }));
  return store;
}

/** The inputs sent with one command class, in order. */
function inputs<C extends new (...args: never[]) => { input: unknown }>(mock: Route53Mock, command: C): InstanceType<C>['input'][] {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return mock.commandCalls(command as any).map((call) => call.args[0].input as InstanceType<C>['input']);
}

const failure = (promise: Promise<unknown>) => rejectionOf(promise, TrafficError);

function stateOf(snapshot: TrafficSnapshot): Route53State {
  return snapshot.state as Route53State;
}

/** The fake AWS with one zone holding `sets`. */
function zoneWith(sets: ResourceRecordSet[]): FakeAwsState {
  return { zones: [{ id: ZONE, name: 'example.com.', recordSets: sets }], listeners: [], rules: [], targetGroups: [] };
}

describe('route53 read', () => {
  it('reads the weighted sets of exactly name/type into a JSON-clean snapshot', async () => {
    const { mock, ctx } = setup();
    fakeZone(mock, [onprem, aws, legacy]);
    const snapshot = await route53Driver.read(action({ aws: 10 }, { zone: `/hostedzone/${ZONE}`, name: 'App.Example.COM' }), ctx);
    expect(inputs(mock, ListResourceRecordSetsCommand)).toEqual([{ HostedZoneId: ZONE, StartRecordName: NAME, StartRecordType: 'A' }]);
    expect(mock.commandCalls(ListHostedZonesByNameCommand)).toHaveLength(0);
    expect(snapshot).toEqual({
      kind: 'route53',
      target: `route53:${ZONE}:${NAME}:A`,
      label: LABEL,
      weights: { aws: 0, legacy: 0, onprem: 100 },
      state: { zoneId: ZONE, name: NAME, type: 'A', recordSets: [aws, legacy, onprem] },
    });
    // What the journal stores survives a JSON round trip unchanged.
    expect(JSON.parse(JSON.stringify(snapshot))).toEqual(snapshot);
  });

  it('resolves a zone name with ListHostedZonesByName, exact name only', async () => {
    const { mock, ctx } = setup();
    mock.on(ListHostedZonesByNameCommand).resolves({
      HostedZones: [
        { Id: `/hostedzone/${ZONE}`, Name: 'example.com.', CallerReference: 'a', Config: { PrivateZone: false } },
        { Id: '/hostedzone/ZSUB', Name: 'dev.example.com.', CallerReference: 'b' },
      ],
      IsTruncated: false,
      DNSName: 'example.com.',
      MaxItems: 100,
    });
    fakeZone(mock, [onprem, aws]);
    const snapshot = await route53Driver.read(action({ aws: 10 }, { zone: 'Example.com' }), ctx);
    expect(inputs(mock, ListHostedZonesByNameCommand)).toEqual([{ DNSName: 'example.com.' }]);
    expect(inputs(mock, ListResourceRecordSetsCommand)).toEqual([{ HostedZoneId: ZONE, StartRecordName: NAME, StartRecordType: 'A' }]);
    expect(snapshot.target).toBe(`route53:${ZONE}:${NAME}:A`);
  });

  it('asks for the zone id when a public and a private zone share the name', async () => {
    const { mock, ctx } = setup();
    mock.on(ListHostedZonesByNameCommand).resolves({
      HostedZones: [
        { Id: '/hostedzone/ZPUBLIC', Name: 'example.com.', CallerReference: 'a', Config: { PrivateZone: false } },
        { Id: '/hostedzone/ZPRIVATE', Name: 'example.com.', CallerReference: 'b', Config: { PrivateZone: true } },
      ],
      IsTruncated: false,
    });
    const error = await failure(route53Driver.read(action({ aws: 10 }, { zone: 'example.com.' }), ctx));
    expect(error.message).toBe(
      'several hosted zones are named "example.com.": ZPUBLIC (public), ZPRIVATE (private); set the route53 zone to the id of the one to change',
    );
    expect(mock.commandCalls(ListResourceRecordSetsCommand)).toHaveLength(0);
  });

  it('says which zone name is unknown and what to check', async () => {
    const { mock, ctx } = setup();
    mock
      .on(ListHostedZonesByNameCommand)
      .resolves({ HostedZones: [{ Id: '/hostedzone/ZOTHER', Name: 'example.org.', CallerReference: 'a' }], IsTruncated: false });
    const error = await failure(route53Driver.read(action({ aws: 10 }, { zone: 'example.com' }), ctx));
    expect(error.message).toBe(
      'no hosted zone named "example.com." is visible to these credentials; check the zone in the runbook (or give its id) and that --profile / AWS_PROFILE point at the account that owns it',
    );
  });

  it('pages through ListResourceRecordSets and stops once past name/type', async () => {
    const { mock, ctx } = setup();
    mock
      .on(ListResourceRecordSetsCommand)
      .resolvesOnce({ ResourceRecordSets: [aws], IsTruncated: true, NextRecordName: NAME, NextRecordType: 'A', NextRecordIdentifier: 'legacy', MaxItems: 1 })
      .resolvesOnce({ ResourceRecordSets: [legacy], IsTruncated: true, NextRecordName: NAME, NextRecordType: 'A', NextRecordIdentifier: 'onprem', MaxItems: 1 })
      .resolvesOnce({ ResourceRecordSets: [onprem, aaaa], IsTruncated: true, NextRecordName: 'www.example.com.', NextRecordType: 'A', MaxItems: 2 })
      .rejects(new Error('read past the record'));
    const snapshot = await route53Driver.read(action({ aws: 10 }), ctx);
    expect(inputs(mock, ListResourceRecordSetsCommand)).toEqual([
      { HostedZoneId: ZONE, StartRecordName: NAME, StartRecordType: 'A' },
      { HostedZoneId: ZONE, StartRecordName: NAME, StartRecordType: 'A', StartRecordIdentifier: 'legacy' },
      { HostedZoneId: ZONE, StartRecordName: NAME, StartRecordType: 'A', StartRecordIdentifier: 'onprem' },
    ]);
    expect(snapshot.weights).toEqual({ aws: 0, legacy: 0, onprem: 100 });
  });

  it('stops when Route 53 returns the same page token twice', async () => {
    const { mock, ctx } = setup();
    mock
      .on(ListResourceRecordSetsCommand)
      .resolves({ ResourceRecordSets: [aws], IsTruncated: true, NextRecordName: NAME, NextRecordType: 'A', NextRecordIdentifier: 'onprem' });
    const error = await failure(route53Driver.read(action({ aws: 10 }), ctx));
    expect(error.message).toBe(`reading ${LABEL}: Route 53 returned the same page token twice (${NAME}|A|onprem); stopped to avoid a loop, try again later`);
    expect(mock.commandCalls(ListResourceRecordSetsCommand)).toHaveLength(2);
  });

  it('stops after 1000 pages', async () => {
    const { mock, ctx } = setup();
    let page = 0;
    mock
      .on(ListResourceRecordSetsCommand)
      .callsFake(() => ({ ResourceRecordSets: [aws], IsTruncated: true, NextRecordName: NAME, NextRecordType: 'A', NextRecordIdentifier: `id-${++page}` }));
    const error = await failure(route53Driver.read(action({ aws: 10 }), ctx));
    expect(error.message).toBe(`reading ${LABEL}: more than 1000 pages; stopped to avoid a loop`);
    expect(mock.commandCalls(ListResourceRecordSetsCommand)).toHaveLength(1001);
  });

  it('fails when the name has no weighted sets', async () => {
    const { mock, ctx } = setup();
    const simple: ResourceRecordSet = { Name: NAME, Type: 'A', TTL: 60, ResourceRecords: [{ Value: '192.0.2.10' }] };
    mock.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [simple, aaaa], IsTruncated: false });
    const error = await failure(route53Driver.read(action({ aws: 10 }), ctx));
    expect(error.message).toBe(
      `no weighted record sets for ${LABEL}; create them first (each with a SetIdentifier and a Weight), or check the zone, name and type in the runbook`,
    );
  });
});

describe('route53 desired', () => {
  const before: TrafficSnapshot = {
    kind: 'route53',
    target: `route53:${ZONE}:${NAME}:A`,
    label: LABEL,
    weights: { onprem: 100, aws: 0, legacy: 0 },
    state: {},
  };

  it('overlays the action weights on the current ones', () => {
    expect(route53Driver.desired(action({ onprem: 90, aws: 10 }), before)).toEqual({ onprem: 90, aws: 10, legacy: 0 });
  });

  it('names a missing set identifier and lists the existing ones', () => {
    expect(() => route53Driver.desired(action({ onprem: 90, AWS: 10 }), before)).toThrow(
      new TrafficError(`${LABEL}: no weighted record set with set identifier "AWS"; the ones that exist are "aws", "legacy", "onprem"`),
    );
  });
});

describe('route53 apply', () => {
  it('sends one batch that changes only the weights, polls PENDING until INSYNC, reads back', async () => {
    const { mock, ctx, clock, progress } = setup();
    fakeZone(mock, [onprem, aws, legacy], ['PENDING', 'PENDING', 'INSYNC']);
    const start = clock.now().getTime();
    const before = await route53Driver.read(action({}), ctx);
    // legacy is named but unchanged: not in the batch.
    const after = await route53Driver.apply(action({ onprem: 90, aws: 10, legacy: 0 }), before, ctx);

    expect(inputs(mock, ChangeResourceRecordSetsCommand)).toEqual([
      {
        HostedZoneId: ZONE,
        ChangeBatch: {
          Comment: 'cutover: set weights aws=10, legacy=0, onprem=90',
          Changes: [
            { Action: 'UPSERT', ResourceRecordSet: { ...aws, Weight: 10 } },
            { Action: 'UPSERT', ResourceRecordSet: { ...onprem, Weight: 90 } },
          ],
        },
      },
    ]);
    // Alias target, TTL, records and health check went out untouched.
    const [toAws, toOnprem] = inputs(mock, ChangeResourceRecordSetsCommand)[0]!.ChangeBatch!.Changes!.map((c) => c.ResourceRecordSet!);
    expect(toAws!.AliasTarget).toEqual(aws.AliasTarget);
    expect(toOnprem).toMatchObject({ TTL: 60, HealthCheckId: 'hc-onprem', ResourceRecords: onprem.ResourceRecords });

    expect(inputs(mock, GetChangeCommand)).toEqual([{ Id: 'C1' }, { Id: 'C1' }, { Id: 'C1' }]);
    expect(clock.now().getTime() - start).toBe(30_000);
    expect(progress).toEqual(['waiting for Route 53 change C1 to be INSYNC']);
    expect(mock.commandCalls(ListResourceRecordSetsCommand)).toHaveLength(2);
    expect(after.weights).toEqual({ onprem: 90, aws: 10, legacy: 0 });
    expect(stateOf(after).recordSets).toEqual([{ ...aws, Weight: 10 }, legacy, { ...onprem, Weight: 90 }]);
  });

  it('does not poll when wait is false', async () => {
    const { mock, ctx } = setup();
    fakeZone(mock, [onprem, aws], ['PENDING']);
    const before = await route53Driver.read(action({}), ctx);
    const after = await route53Driver.apply(action({ onprem: 90, aws: 10 }, { wait: false }), before, ctx);
    expect(mock.commandCalls(ChangeResourceRecordSetsCommand)).toHaveLength(1);
    expect(mock.commandCalls(GetChangeCommand)).toHaveLength(0);
    expect(after.weights).toEqual({ onprem: 90, aws: 10 });
  });

  it('sends nothing when no weight changes, and returns a re-read', async () => {
    const { mock, ctx } = setup();
    fakeZone(mock, [onprem, aws]);
    const before = await route53Driver.read(action({}), ctx);
    const after = await route53Driver.apply(action({ onprem: 100, aws: 0 }), before, ctx);
    expect(mock.commandCalls(ChangeResourceRecordSetsCommand)).toHaveLength(0);
    expect(mock.commandCalls(GetChangeCommand)).toHaveLength(0);
    expect(mock.commandCalls(ListResourceRecordSetsCommand)).toHaveLength(2);
    expect(after).toEqual(before);
  });

  it('times out waiting for INSYNC, naming the change', async () => {
    const { mock, ctx, clock } = setup({ syncTimeoutMs: 60_000 });
    fakeZone(mock, [onprem, aws], ['PENDING']);
    const before = await route53Driver.read(action({}), ctx);
    const start = clock.now().getTime();
    const error = await failure(route53Driver.apply(action({ onprem: 90, aws: 10 }), before, ctx));
    expect(error.message).toBe('Route 53 change C1 was still PENDING after 1m; the change may still be applied; check with: aws route53 get-change --id C1');
    expect(clock.now().getTime() - start).toBe(60_000);
    expect(mock.commandCalls(GetChangeCommand)).toHaveLength(6);
  });

  it('stops waiting when interrupted', async () => {
    const controller = new AbortController();
    const { mock, ctx } = setup({ signal: controller.signal });
    fakeZone(mock, [onprem, aws], ['PENDING']);
    const before = await route53Driver.read(action({}), ctx);
    mock.on(GetChangeCommand).callsFake(() => {
      controller.abort();
      return { ChangeInfo: { Id: '/change/C1', Status: 'PENDING', SubmittedAt: SUBMITTED } };
    });
    const error = await failure(route53Driver.apply(action({ onprem: 90, aws: 10 }), before, ctx));
    expect(error.message).toBe(
      'interrupted while waiting for Route 53 change C1 to be INSYNC; the change may still be applied; check with: aws route53 get-change --id C1',
    );
    expect(mock.commandCalls(GetChangeCommand)).toHaveLength(1);
  });

  it('fails when the weights read back are not the ones set', async () => {
    const { mock, ctx } = setup();
    fakeZone(mock, [onprem, aws], ['INSYNC'], { ignoreChanges: true });
    const before = await route53Driver.read(action({}), ctx);
    const error = await failure(route53Driver.apply(action({ onprem: 90, aws: 10 }), before, ctx));
    expect(error.message).toBe(`${LABEL}: after the change the weights are not what was set: expected aws=10, onprem=90; live aws=0, onprem=100`);
  });
});

/** The fake AWS endpoint (test/fake-aws): real SDK client, Route 53's rules, the requests that reached it. */
describe('route53 weights of 0 (real client against the fake AWS)', () => {
  let fake: FakeAwsContext | undefined;
  afterEach(async () => {
    await fake?.aws.close();
    fake = undefined;
  });

  const weightsLive = () => Object.fromEntries(fake!.aws.state.zones[0]!.recordSets.map((set) => [set.SetIdentifier, set.Weight]));

  it('sets a named weight to 0 while a set the step does not name keeps traffic, without allowAllZero', async () => {
    fake = await fakeAwsContext(zoneWith([onprem, { ...aws, Weight: 100 }]));
    const before = await route53Driver.read(action({ onprem: 0 }), fake.ctx);
    const after = await route53Driver.apply(action({ onprem: 0 }), before, fake.ctx);
    expect(after.weights).toEqual({ aws: 100, onprem: 0 });
    expect(weightsLive()).toEqual({ aws: 100, onprem: 0 });
  });

  it('refuses weights that are all 0 once merged with the live ones, sending nothing, unless allowAllZero', async () => {
    fake = await fakeAwsContext(zoneWith([onprem, aws]));
    const before = await route53Driver.read(action({ onprem: 0 }), fake.ctx);
    const error = await failure(route53Driver.apply(action({ onprem: 0 }), before, fake.ctx));
    expect(error.message).toBe(
      `${LABEL}: after this change every weighted set would be at weight 0 (aws=0, onprem=0), and Route 53 answers a group of all-zero weights with every record equally; give one set a weight above 0, or set "allowAllZero: true" on the step if that is what you want`,
    );
    expect(fake.writes()).toEqual([]);

    await route53Driver.apply(action({ onprem: 0 }, { allowAllZero: true }), before, fake.ctx);
    expect(fake.writes()).toHaveLength(1);
    expect(weightsLive()).toEqual({ aws: 0, onprem: 0 });
  });
});

describe('route53 reread and restore', () => {
  it('rereads by the zone id in the state, without a name lookup', async () => {
    const { mock, ctx } = setup();
    mock
      .on(ListHostedZonesByNameCommand)
      .resolves({ HostedZones: [{ Id: `/hostedzone/${ZONE}`, Name: 'example.com.', CallerReference: 'a' }], IsTruncated: false });
    const store = fakeZone(mock, [onprem, aws]);
    const before = await route53Driver.read(action({}, { zone: 'example.com' }), ctx);
    store.set('aws', { ...aws, Weight: 50 });
    const live = await route53Driver.reread(before, ctx);
    expect(mock.commandCalls(ListHostedZonesByNameCommand)).toHaveLength(1);
    expect(inputs(mock, ListResourceRecordSetsCommand)[1]).toEqual({ HostedZoneId: ZONE, StartRecordName: NAME, StartRecordType: 'A' });
    expect(live.weights).toEqual({ onprem: 100, aws: 50 });
  });

  it('reports deleted sets as empty weights rather than failing (drift, and a structural change)', async () => {
    const { mock, ctx } = setup();
    const store = fakeZone(mock, [onprem, aws]);
    const before = await route53Driver.read(action({}), ctx);
    store.clear();
    const live = await route53Driver.reread(before, ctx);
    expect(live.weights).toEqual({});
    expect(route53Driver.structuralChanges(before, live)).toEqual(['weighted set "aws" removed', 'weighted set "onprem" removed']);
  });

  it('fails when the weights read back after a restore are not the captured ones', async () => {
    const { mock, ctx } = setup();
    const store = fakeZone(mock, [onprem, aws], ['INSYNC'], { ignoreChanges: true });
    const captured = await route53Driver.read(action({}), ctx);
    store.set('aws', { ...aws, Weight: 10 });
    const error = await failure(route53Driver.restore(captured, ctx));
    expect(error.message).toBe(
      `${LABEL}: after the restore the weights are not the captured ones: expected aws=0, onprem=100; live aws=10, onprem=100; check whether something else changed the record at the same time`,
    );
    expect(inputs(mock, ChangeResourceRecordSetsCommand)).toHaveLength(1);
  });

  it('refuses a snapshot without its Route 53 state', async () => {
    const { ctx } = setup();
    const broken: TrafficSnapshot = { kind: 'route53', target: `route53:${ZONE}:${NAME}:A`, label: LABEL, weights: {}, state: { zoneId: ZONE } };
    const error = await failure(route53Driver.restore(broken, ctx));
    expect(error.message).toBe(`${LABEL}: the captured Route 53 state is incomplete (no zone id, name, type or record sets); cannot re-read or restore it`);
  });
});

/**
 * A derived rollback puts back the captured weights and keeps every other field as it is live
 * (the fake AWS applies the UPSERTs like Route 53: the whole set is replaced by what is sent).
 */
describe('route53 restore puts back weights only (real client against the fake AWS)', () => {
  let fake: FakeAwsContext | undefined;
  afterEach(async () => {
    await fake?.aws.close();
    fake = undefined;
  });

  /** The capture (as the journal returns it) and the fake after the step moved the weights. */
  async function afterStep(sets: ResourceRecordSet[], weights: Record<string, number>) {
    fake = await fakeAwsContext(zoneWith(sets));
    const captured = await route53Driver.read(action(weights), fake.ctx);
    await route53Driver.apply(action(weights), captured, fake.ctx);
    return { captured: JSON.parse(JSON.stringify(captured)) as TrafficSnapshot, fake };
  }
  const liveSet = (f: FakeAwsContext, id: string) => f.aws.state.zones[0]!.recordSets.find((set) => set.SetIdentifier === id)!;
  const batches = (f: FakeAwsContext) =>
    f.writes().map((r) => (r.input.ChangeBatch as { Changes: { Action: string; ResourceRecordSet: ResourceRecordSet }[] }).Changes);

  it('sends one batch of UPSERTs for the sets whose weight differs, waits for INSYNC, and leaves the record as captured', async () => {
    const { captured, fake } = await afterStep([onprem, aws, legacy], { onprem: 90, aws: 10 });
    const original = structuredClone(stateOf(captured).recordSets);
    const polls = () => fake.aws.requests.filter((r) => r.operation === 'GetChange').length;
    const pollsBefore = polls();

    const after = await route53Driver.restore(captured, fake.ctx);

    const [, restoreBatch, ...more] = batches(fake);
    expect(more).toEqual([]);
    // legacy's weight did not move: not sent.
    expect(restoreBatch).toEqual([
      { Action: 'UPSERT', ResourceRecordSet: aws },
      { Action: 'UPSERT', ResourceRecordSet: onprem },
    ]);
    expect(polls()).toBeGreaterThan(pollsBefore);
    expect(after.weights).toEqual({ aws: 0, legacy: 0, onprem: 100 });
    expect(stateOf(after).recordSets).toEqual(original);
  });

  it('keeps an alias target and a TTL changed by hand after the step, and puts back only the weights', async () => {
    const { captured, fake } = await afterStep([onprem, aws], { onprem: 90, aws: 10 });
    const movedAlias = { ...aws.AliasTarget!, DNSName: 'web-nlb-4567.elb.ap-northeast-1.amazonaws.com.' };
    liveSet(fake, 'aws').AliasTarget = movedAlias;
    liveSet(fake, 'onprem').TTL = 300;
    const live = await route53Driver.reread(captured, fake.ctx);
    expect(route53Driver.structuralChanges(captured, live)).toEqual([]);

    const after = await route53Driver.restore(captured, fake.ctx);

    expect(after.weights).toEqual({ aws: 0, onprem: 100 });
    expect(liveSet(fake, 'aws')).toEqual({ ...aws, AliasTarget: movedAlias });
    expect(liveSet(fake, 'onprem')).toEqual({ ...onprem, TTL: 300 });
    // What was sent: the live sets, with the captured weights.
    expect(batches(fake)[1]).toEqual([
      { Action: 'UPSERT', ResourceRecordSet: { ...aws, AliasTarget: movedAlias } },
      { Action: 'UPSERT', ResourceRecordSet: { ...onprem, TTL: 300 } },
    ]);
  });

  it('sends nothing when the weights are already the captured ones', async () => {
    const { captured, fake } = await afterStep([onprem, aws], { onprem: 90, aws: 10 });
    liveSet(fake, 'aws').Weight = 0;
    liveSet(fake, 'onprem').Weight = 100;
    const after = await route53Driver.restore(captured, fake.ctx);
    expect(fake.writes()).toHaveLength(1);
    expect(after.weights).toEqual({ aws: 0, onprem: 100 });
  });

  it('refuses, sending nothing, when a weighted set was added or removed since the capture', async () => {
    const { captured, fake } = await afterStep([onprem, aws, legacy], { onprem: 90, aws: 10 });
    const zone = fake.aws.state.zones[0]!;
    zone.recordSets = zone.recordSets.filter((set) => set.SetIdentifier !== 'legacy');
    zone.recordSets.push({ Name: NAME, Type: 'A', SetIdentifier: 'canary', Weight: 5, TTL: 60, ResourceRecords: [{ Value: '203.0.113.5' }] });
    const live = await route53Driver.reread(captured, fake.ctx);
    expect(route53Driver.structuralChanges(captured, live)).toEqual(['weighted set "legacy" removed', 'weighted set "canary" added']);

    const error = await failure(route53Driver.restore(captured, fake.ctx));
    expect(error.message).toBe(
      `${LABEL} changed since the step captured it in a way a rollback cannot undo (weighted set "legacy" removed; weighted set "canary" added); ` +
        'find out who changed it; a rollback only puts weights back, so undo that change by hand and roll back again, or set the weights by hand',
    );
    expect(fake.writes()).toHaveLength(1);
    expect(liveSet(fake, 'aws').Weight).toBe(10);
  });
});

describe('route53 errors', () => {
  it('NoSuchHostedZone', async () => {
    const { mock, ctx } = setup();
    mock
      .on(ListResourceRecordSetsCommand)
      .rejects(new NoSuchHostedZone({ message: `No hosted zone found with ID: ${ZONE}`, $metadata: { httpStatusCode: 404 } }));
    const error = await failure(route53Driver.read(action({ aws: 10 }), ctx));
    expect(error.message).toBe(
      `reading ${LABEL}: NoSuchHostedZone (HTTP 404): No hosted zone found with ID: ${ZONE}; check the zone id (or name) in the runbook and that the credentials belong to the account that owns it`,
    );
    expect(error.code).toBe('NoSuchHostedZone');
  });

  it('InvalidChangeBatch', async () => {
    const { mock, ctx } = setup();
    fakeZone(mock, [onprem, aws]);
    const before = await route53Driver.read(action({}), ctx);
    const reason =
      '[RRSet with DNS name app.example.com., type A, SetIdentifier aws cannot be created because a non-weighted set exists with the same name and type.]';
    mock.on(ChangeResourceRecordSetsCommand).rejects(new InvalidChangeBatch({ message: reason, $metadata: { httpStatusCode: 400 } }));
    const error = await failure(route53Driver.apply(action({ aws: 10 }), before, ctx));
    expect(error.message).toBe(
      `changing the weights of ${LABEL}: InvalidChangeBatch (HTTP 400): ${reason}; Route 53 refused the change batch; check the record sets in the zone against the runbook`,
    );
    expect(mock.commandCalls(GetChangeCommand)).toHaveLength(0);
  });

  it('InvalidChangeBatch with its reasons in messages', async () => {
    const { mock, ctx } = setup();
    fakeZone(mock, [onprem, aws]);
    const before = await route53Driver.read(action({}), ctx);
    mock
      .on(ChangeResourceRecordSetsCommand)
      .rejects(new InvalidChangeBatch({ message: '', messages: ['first reason', 'second reason'], $metadata: { httpStatusCode: 400 } }));
    const error = await failure(route53Driver.apply(action({ aws: 10 }), before, ctx));
    expect(error.message).toContain('InvalidChangeBatch (HTTP 400): first reason; second reason; Route 53 refused');
  });

  it('missing credentials', async () => {
    const { mock, ctx } = setup();
    mock
      .on(ListResourceRecordSetsCommand)
      .rejects(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }));
    const error = await failure(route53Driver.read(action({ aws: 10 }), ctx));
    expect(error.message).toBe(
      `reading ${LABEL}: no AWS credentials found (Could not load credentials from any providers); set --profile, AWS_PROFILE or the AWS_* variables, or log in (aws sso login)`,
    );
  });

  it('expired SSO session (as the SSO credential provider reports it)', async () => {
    const { mock, ctx } = setup();
    const message = "The SSO session associated with this profile has expired. To refresh this SSO session run 'aws sso login' with the corresponding profile.";
    mock.on(ListHostedZonesByNameCommand).rejects(Object.assign(new Error(message), { name: 'CredentialsProviderError' }));
    const error = await failure(route53Driver.read(action({ aws: 10 }, { zone: 'example.com' }), ctx));
    expect(error.message).toBe(`looking up hosted zone example.com.: the SSO token has expired (${message}); run "aws sso login" for the profile and resume`);
  });

  it('expired SSO token (token provider)', async () => {
    const { mock, ctx } = setup();
    const message = "Token is expired. To refresh this SSO session run 'aws sso login' with the corresponding profile.";
    mock.on(ListResourceRecordSetsCommand).rejects(Object.assign(new Error(message), { name: 'TokenProviderError' }));
    const error = await failure(route53Driver.read(action({ aws: 10 }), ctx));
    expect(error.message).toBe(`reading ${LABEL}: the SSO token has expired (${message}); run "aws sso login" for the profile and resume`);
  });
});

/**
 * aws-sdk-client-mock replaces `send`, so the SDK's retry middleware never runs behind it. These
 * tests use a real client with the configuration clients.ts builds and answer at the HTTP layer
 * with Route 53 XML, so errors go through deserialisation and the standard retry strategy.
 */
describe('route53 retries (real client, HTTP layer stubbed)', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  const xml = (body: string) => `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
  const ns = 'https://route53.amazonaws.com/doc/2013-04-01/';
  const errorBody = (code: string, message: string) =>
    xml(
      `<ErrorResponse xmlns="${ns}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>req-1</RequestId></ErrorResponse>`,
    );
  const listBody = xml(
    `<ListResourceRecordSetsResponse xmlns="${ns}"><ResourceRecordSets>` +
      `<ResourceRecordSet><Name>${NAME}</Name><Type>A</Type><SetIdentifier>onprem</SetIdentifier><Weight>100</Weight><TTL>60</TTL><ResourceRecords><ResourceRecord><Value>192.0.2.10</Value></ResourceRecord></ResourceRecords></ResourceRecordSet>` +
      `</ResourceRecordSets><IsTruncated>false</IsTruncated><MaxItems>300</MaxItems></ListResourceRecordSetsResponse>`,
  );

  function httpClient(responses: [number, string][], maxAttempts?: number) {
    const requests: string[] = [];
    const requestHandler = {
      handle: async (request: { method: string; path: string; query?: Record<string, unknown> }) => {
        requests.push(`${request.method} ${request.path}?${new URLSearchParams(request.query as Record<string, string>).toString()}`);
        const [statusCode, body] = responses.shift() ?? [500, errorBody('InternalError', 'no more responses')];
        return { response: { statusCode, headers: { 'content-type': 'text/xml' }, body: new TextEncoder().encode(body) } };
      },
    };
    const client = new Route53Client({ ...clientConfig({ maxAttempts }), region: 'us-east-1', credentials, requestHandler });
    return { client, requests };
  }

  it('retries Throttling and PriorRequestNotComplete through the SDK, then succeeds', async () => {
    // Backoff delay is random * base: with random 0 the retries do not wait, the strategy is unchanged.
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const { client, requests } = httpClient([
      [400, errorBody('Throttling', 'Rate exceeded')],
      [400, errorBody('PriorRequestNotComplete', 'The request was rejected because Route 53 was still processing a prior request.')],
      [200, listBody],
    ]);
    const started = Date.now();
    const snapshot = await route53Driver.read(action({ onprem: 90 }), context(client).ctx);
    expect(snapshot.weights).toEqual({ onprem: 100 });
    expect(requests).toEqual(Array(3).fill(`GET /2013-04-01/hostedzone/${ZONE}/rrset?name=app.example.com.&type=A`));
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('reports throttling that outlasts the retries in one line', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const { client, requests } = httpClient(
      [
        [400, errorBody('Throttling', 'Rate exceeded')],
        [400, errorBody('Throttling', 'Rate exceeded')],
      ],
      2,
    );
    const error = await failure(route53Driver.read(action({ onprem: 90 }), context(client).ctx));
    expect(requests).toHaveLength(2);
    expect(error.message).toBe(`reading ${LABEL}: Throttling (HTTP 400): Rate exceeded; AWS kept throttling after retries; wait a minute and resume`);
  });
});
