/**
 * Which notifications a migration sends, in-process: a fake webhook port on the engine
 * context, the fake shell world, a fake clock. Each case is a sequence of commands and the
 * events each webhook must have been told, with what the journal says about each delivery.
 */
import { describe, expect, it } from 'vitest';
import { notify, settleNotifications } from '../../src/engine/notify.js';
import { replay } from '../../src/journal/replay.js';
import { loadRunbookText } from '../../src/runbook/load.js';
import type { Runbook } from '../../src/runbook/types.js';
import { FakeWebhooks } from '../helpers/fake-webhooks.js';
import { MigrationWorld, shell } from '../helpers/migration-world.js';

const ALL = 'https://hooks.example.com/all';
const DEFAULTS = 'https://hooks.example.com/defaults';

function runbook(
  steps: string,
  notify = `  - { name: all, url: "${ALL}", events: [run-started, waiting-approval, step-failed, watch-failed, rolled-back, rollback-failed, completed] }
  - { url: "${DEFAULTS}", format: slack }
`,
): Runbook {
  const text = `cutover: 1
name: migration
defaults: { confirm: false, onFailure: stop }
notify:
${notify}steps:
${steps}`;
  const loaded = loadRunbookText('migration.yaml', text, { env: {} });
  if (!loaded.ok) throw new Error(loaded.diagnostics.map((d) => d.message).join('\n'));
  return loaded.runbook;
}

function world(steps: string, notifyBlock?: string): { world: MigrationWorld; hooks: FakeWebhooks } {
  const w = new MigrationWorld(runbook(steps, notifyBlock));
  const hooks = new FakeWebhooks();
  w.webhooks = hooks;
  return { world: w, hooks };
}

const manual = `  - id: go
    run: { manual: "Check the dashboard" }
    rollback: none
    irreversible: an approval
`;

const failing = `  - id: b
    run: fail
    rollback: { run: undo b, verify: lacks b }
    onFailure: rollback-step
`;

describe('notifications from the engine', () => {
  const cases: { name: string; steps: string; play: (w: MigrationWorld) => Promise<unknown>; all: string[]; defaults: string[]; outcome: string }[] = [
    {
      name: 'completion: every step done',
      steps: shell('a') + shell('b'),
      play: (w) => w.run(),
      all: ['run-started', 'completed'],
      defaults: ['completed'],
      outcome: 'completed',
    },
    {
      name: 'waiting for approval at a manual step (CI)',
      steps: shell('a') + manual,
      play: (w) => w.run(),
      all: ['run-started', 'waiting-approval'],
      defaults: ['waiting-approval'],
      outcome: 'waiting_approval',
    },
    {
      name: 'a failed step rolled back by onFailure',
      steps: shell('a') + failing,
      play: (w) => w.run(),
      all: ['run-started', 'step-failed', 'rolled-back'],
      defaults: ['step-failed', 'rolled-back'],
      outcome: 'rolled_back',
    },
    {
      name: 'a failed step whose rollback fails',
      steps:
        shell('a') +
        `  - id: b
    run: apply b
    verify: has b
    rollback: { run: fail, verify: lacks b }
    onFailure: rollback-step
`,
      play: async (w) => {
        await w.run({ maxSteps: 1 });
        w.failNextVerify = true;
        return w.run();
      },
      all: ['run-started', 'run-started', 'step-failed', 'rollback-failed'],
      defaults: ['step-failed', 'rollback-failed'],
      outcome: 'rollback_failed',
    },
    {
      name: 'a watch failing during the bake, in a later CI run',
      steps: shell('a', '    bake: 10m\n    watch: verify\n    onFailure: rollback-step\n') + shell('b'),
      play: async (w) => {
        await w.run();
        w.clock.advance(60_000);
        w.failNextVerify = true;
        return w.run();
      },
      all: ['run-started', 'run-started', 'watch-failed', 'rolled-back'],
      defaults: ['watch-failed', 'rolled-back'],
      outcome: 'rolled_back',
    },
    {
      name: 'cutover rollback after completion',
      steps: shell('a') + shell('b'),
      play: async (w) => {
        await w.run();
        return w.rollback();
      },
      all: ['run-started', 'completed', 'run-started', 'rolled-back'],
      defaults: ['completed', 'rolled-back'],
      outcome: 'rolled_back',
    },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const { world: w, hooks } = world(c.steps);
      const outcome = (await c.play(w)) as { state: string };
      expect(outcome.state).toBe(c.outcome);
      expect(hooks.events(ALL)).toEqual(c.all);
      // The Slack webhook gets no `event` field: its payload is text and blocks.
      expect(hooks.posted.filter((p) => p.url === DEFAULTS)).toHaveLength(c.defaults.length);
      const state = w.state();
      expect(state.notifications.map((n) => [n.webhook, n.event, n.ok])).toEqual(
        expect.arrayContaining([...c.all.map((e) => [1, e, true]), ...c.defaults.map((e) => [2, e, true])]),
      );
      expect(state.notifications).toHaveLength(c.all.length + c.defaults.length);
      // A notification changes no step: the same journal without them replays to the same steps.
      expect(replay(w.events().filter((e) => !e.type.startsWith('notify.'))).steps).toEqual(state.steps);
      // The URL is never journaled.
      expect(w.store.text).not.toContain('hooks.example.com');
    });
  }

  it('says what happened: the step, why, the steps rolled back, how to approve', async () => {
    const { world: w, hooks } = world(shell('a') + failing + manual);
    await w.run();
    const [failed, rolled] = hooks.posted
      .filter((p) => p.url === ALL)
      .slice(1)
      .map((p) => p.body);
    expect(failed).toMatchObject({
      version: 1,
      source: 'cutover',
      event: 'step-failed',
      runbook: 'migration',
      step: 'b',
      reason: 'exit code 1',
      host: 'laptop',
      at: '2026-01-01T00:00:00.000Z',
    });
    expect(rolled).toMatchObject({
      event: 'rolled-back',
      step: 'b',
      steps: ['b'],
      reason: 'exit code 1',
      message: 'migration: rolled back b after b: exit code 1',
    });

    const { world: w2, hooks: hooks2 } = world(manual);
    await w2.run();
    expect(hooks2.posted[1]?.body).toMatchObject({
      event: 'waiting-approval',
      step: 'go',
      instructions: 'Check the dashboard',
      approve: 'cutover approve migration.yaml go',
      message: 'migration: step go waits for approval; when done: cutover approve migration.yaml go',
    });
  });

  it('retries a 500 after a backoff on the injected clock, then journals it sent', async () => {
    const { world: w, hooks } = world(shell('a'), `  - { url: "${ALL}", events: [completed] }\n`);
    hooks.script.push({ kind: 'answered', status: 500 }, { kind: 'answered', status: 503 });
    const before = w.clock.now().getTime();
    expect(await w.run()).toMatchObject({ state: 'completed' });
    expect(hooks.events()).toEqual(['completed', 'completed', 'completed']);
    expect(w.clock.now().getTime() - before).toBe(1_000 + 2_000);
    expect(w.state().notifications).toEqual([expect.objectContaining({ ok: true, webhook: 1, event: 'completed', attempts: 3, status: 200 })]);
  });

  it('a dead webhook fails its delivery, never the run: retries spent, notify.failed journaled', async () => {
    const { world: w, hooks } = world(
      shell('a') + shell('b'),
      `  - { name: dead, url: "${ALL}", events: [completed], retries: 1 }\n  - { url: "${DEFAULTS}", events: [completed] }\n`,
    );
    hooks.otherwise = { kind: 'network', message: 'connect ECONNREFUSED 127.0.0.1:9' };
    expect(await w.run()).toMatchObject({ state: 'completed' });
    expect(hooks.posted).toHaveLength(2 + 3);
    expect(w.state().notifications).toEqual([
      expect.objectContaining({ ok: false, webhook: 1, name: 'dead', event: 'completed', attempts: 2, reason: 'connect ECONNREFUSED 127.0.0.1:9' }),
      expect.objectContaining({ ok: false, webhook: 2, attempts: 3 }),
    ]);
  });

  it('a 4xx is not retried; a timeout is not retried (the message may have arrived)', async () => {
    const { world: w, hooks } = world(shell('a'), `  - { url: "${ALL}", events: [completed] }\n  - { url: "${DEFAULTS}", events: [completed], timeout: 2s }\n`);
    hooks.script.push({ kind: 'answered', status: 404 }, { kind: 'timeout' });
    expect(await w.run()).toMatchObject({ state: 'completed' });
    expect(hooks.posted.map((p) => p.timeoutMs)).toEqual([5000, 2000]);
    const reasons = w.state().notifications.map((n) => [n.webhook, n.attempts, n.reason, n.status]);
    expect(reasons).toEqual(
      expect.arrayContaining([
        [1, 1, 'HTTP 404', 404],
        [2, 1, 'no answer within 2s', undefined],
      ]),
    );
  });

  it('a URL that is not http(s) after interpolation is a failed delivery, journaled without the URL', async () => {
    const { world: w, hooks } = world(shell('a'), `  - { url: "https://x", events: [completed] }\n`);
    w.runbook = { ...w.runbook, notify: [{ url: 'not a url', format: 'json', events: ['completed'], timeoutMs: 5000, retries: 2 }] };
    expect(await w.run()).toMatchObject({ state: 'completed' });
    expect(hooks.posted).toHaveLength(0);
    expect(w.state().notifications).toEqual([
      expect.objectContaining({ ok: false, attempts: 0, reason: expect.stringContaining('not an http:// or https:// URL') }),
    ]);
    expect(w.store.text).not.toContain('not a url');
  });

  it('Ctrl-C aborts a delivery that hangs: settling is bounded by the signal', async () => {
    const { world: w, hooks } = world(shell('a'), `  - { url: "${ALL}", events: [step-failed] }\n`);
    hooks.script.push('hang');
    const controller = new AbortController();
    const ctx = { ...(await w.context()), signal: controller.signal };
    notify(ctx, { event: 'step-failed', step: 'a', reason: 'boom' });
    const settled = settleNotifications(ctx);
    controller.abort('SIGINT');
    await settled;
    expect(replay(ctx.journal.events).notifications).toEqual([expect.objectContaining({ ok: false, attempts: 1, reason: 'stopped by SIGINT' })]);
  });

  it('a URL that resolves to empty text turns its webhook off, silently', async () => {
    const { world: w, hooks } = world(shell('a'), `  - { url: "https://x", events: [completed] }\n  - { url: "${ALL}", events: [completed] }\n`);
    const [first, second] = w.runbook.notify ?? [];
    if (!first || !second) throw new Error('two webhooks expected');
    w.runbook = { ...w.runbook, notify: [{ ...first, url: '' }, second] };
    expect(await w.run()).toMatchObject({ state: 'completed' });
    expect(hooks.posted.map((p) => p.url)).toEqual([ALL]);
    expect(w.state().notifications).toEqual([expect.objectContaining({ ok: true, webhook: 2 })]);
  });

  it('without a webhook port (rehearse) or without notify:, nothing is sent', async () => {
    const { world: w, hooks } = world(shell('a'));
    w.webhooks = undefined;
    expect(await w.run()).toMatchObject({ state: 'completed' });
    expect(hooks.posted).toHaveLength(0);
    expect(w.state().notifications).toEqual([]);
  });
});
