/**
 * plan's live diff of traffic steps (previewForward): each target read once, reads in
 * parallel with a bounded concurrency, previews in runbook order and chained per target.
 * Against the fake AWS endpoint with the real Route 53 client, counting the calls it got.
 */
import type { ResourceRecordSet } from '@aws-sdk/client-route-53';
import { afterEach, describe, expect, it } from 'vitest';
import { createTraffic } from '../../src/actions/traffic/index.js';
import type { Traffic } from '../../src/actions/traffic/index.js';
import { previewForward, trafficTargetKey } from '../../src/engine/traffic-preview.js';
import type { Route53Action, Step } from '../../src/runbook/types.js';
import { fakeClock } from '../../src/support/clock.js';
import { step } from '../helpers/journal-fixtures.js';
import type { FakeAwsContext } from '../actions/fake-aws-context.js';
import { fakeAwsContext } from '../actions/fake-aws-context.js';

const ZONE = 'Z0PLAN';
const name = (t: number) => `app${t}.example.com.`;
const sets = (t: number): ResourceRecordSet[] => [
  { Name: name(t), Type: 'A', SetIdentifier: 'blue', Weight: 100, TTL: 60, ResourceRecords: [{ Value: '192.0.2.1' }] },
  { Name: name(t), Type: 'A', SetIdentifier: 'green', Weight: 0, TTL: 60, ResourceRecords: [{ Value: '192.0.2.2' }] },
];

/** `count` traffic steps over `targets` record sets, round robin; step i moves green to i's share. */
function trafficSteps(count: number, targets: number): Step[] {
  return Array.from({ length: count }, (_, i) => {
    const action: Route53Action = {
      kind: 'route53',
      zone: ZONE,
      name: name(i % targets),
      type: 'A',
      weights: { green: (i + 1) % 101, blue: 100 - ((i + 1) % 101) },
      wait: true,
      allowAllZero: false,
    };
    return { ...step(`shift-${i}`), action };
  });
}

let world: FakeAwsContext | undefined;
afterEach(async () => {
  await world?.aws.close();
  world = undefined;
});

async function setup(targets: number): Promise<{ traffic: Traffic; reads: () => number }> {
  world = await fakeAwsContext({
    zones: [{ id: ZONE, name: 'example.com.', recordSets: Array.from({ length: targets }, (_, t) => sets(t)).flat() }],
    listeners: [],
    rules: [],
    targetGroups: [],
  });
  const aws = world.aws;
  return { traffic: createTraffic({ clients: world.ctx.clients, clock: fakeClock() }), reads: () => aws.requests.length };
}

describe('plan live reads', () => {
  it('200 traffic steps over 20 targets read each target once, and preview every step in runbook order', async () => {
    const { traffic, reads } = await setup(20);
    const steps = trafficSteps(200, 20);
    const previews = await previewForward(steps, traffic, new AbortController().signal);
    expect(reads()).toBe(20);
    expect(world?.aws.requests.every((r) => r.operation === 'ListResourceRecordSets')).toBe(true);
    expect(new Set(world?.aws.requests.map((r) => JSON.stringify(r.input))).size).toBe(20);
    expect([...previews.keys()]).toEqual(steps.map((s) => s.id));
    // Chained per target: step 20 is the second on target 0 and starts from what step 0 leaves.
    expect(previews.get('shift-0')).toEqual({
      label: expect.stringContaining('app0.example.com.'),
      change: expect.stringMatching(/blue 100 -> 99.*green 0 -> 1|green 0 -> 1.*blue 100 -> 99/s),
    });
    expect(previews.get('shift-20')).toMatchObject({ change: expect.stringMatching(/green 1 -> 21/) });
  });

  it('runs at most 8 reads at once, and a failed read shows on every step of its target only', async () => {
    const { traffic: real } = await setup(20);
    let inFlight = 0;
    let most = 0;
    const traffic: Traffic = {
      ...real,
      read: async (action, signal) => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        try {
          return await real.read(action, signal);
        } finally {
          inFlight -= 1;
        }
      },
    };
    const steps = trafficSteps(40, 20);
    // Target 3 names a record set that does not exist.
    const broken = { ...(steps[3]?.action as Route53Action), name: 'gone.example.com.' };
    const withBroken = steps.map((s, i) => (i % 20 === 3 ? { ...s, action: broken } : s));
    const previews = await previewForward(withBroken, traffic, new AbortController().signal);
    expect(most).toBe(8);
    expect(previews.get('shift-3')).toEqual({ error: expect.stringContaining('no weighted record sets for gone.example.com.') });
    expect(previews.get('shift-23')).toEqual(previews.get('shift-3'));
    expect(previews.get('shift-4')).toHaveProperty('change');
  });

  it('tells targets apart by what they read: zone, record name (any case, with or without the dot) and type; listener or rule ARN', () => {
    const base: Route53Action = { kind: 'route53', zone: ZONE, name: 'App.Example.com', type: 'A', weights: {}, wait: true, allowAllZero: false };
    expect(trafficTargetKey(base)).toBe(trafficTargetKey({ ...base, name: 'app.example.com.' }));
    expect(trafficTargetKey(base)).not.toBe(trafficTargetKey({ ...base, type: 'AAAA' }));
    expect(trafficTargetKey({ kind: 'elbv2', target: { kind: 'listener', arn: 'arn:l' }, weights: {} })).not.toBe(
      trafficTargetKey({ kind: 'elbv2', target: { kind: 'rule', arn: 'arn:l' }, weights: {} }),
    );
  });
});
