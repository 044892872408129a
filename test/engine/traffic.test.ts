/**
 * The engine's traffic steps (src/engine/execute-traffic.ts and friends) with an in-memory
 * journal and a fake `Traffic` port that records every call: the order of capture and
 * change, what the journal says each step left, the drift guard in both directions (with
 * the operator, --force and the non-interactive path), and which capture a derived
 * rollback restores. The drivers themselves are tested in test/actions/.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TrafficError } from '../../src/actions/traffic/types.js';
import { runExitCode as exitCodeFor } from '../../src/cli/outcome-exit.js';
import type { EngineContext } from '../../src/engine/context.js';
import { replay, restoreCaptureOf } from '../../src/journal/replay.js';
import { nonInteractiveOperator } from '../../src/engine/operator.js';
import type { Operator } from '../../src/engine/operator.js';
import { planRollback, rollbackRunbook } from '../../src/engine/rollback.js';
import { runRunbook } from '../../src/engine/run.js';
import type { JournalEvent } from '../../src/journal/events.js';
import { loadRunbookText } from '../../src/runbook/load.js';
import type { Runbook } from '../../src/runbook/types.js';
import { fakeClock } from '../../src/support/clock.js';
import { createMasker } from '../../src/support/mask.js';
import { testEngineContext } from '../helpers/engine-context.js';
import { DNS, FakeTraffic, LISTENER, RecordingStore, TG } from '../helpers/fake-traffic.js';
import type { Call } from '../helpers/fake-traffic.js';

const logDir = mkdtempSync(path.join(tmpdir(), 'cutover-engine-traffic-'));
afterAll(() => rmSync(logDir, { recursive: true, force: true }));

// ---------------------------------------------------------------------------------------
// Runbooks and the engine context

function runbookOf(steps: string, extra = ''): Runbook {
  const text = `cutover: 1
name: traffic
${extra}defaults: { confirm: false, onFailure: stop }
steps:
${steps}`;
  const loaded = loadRunbookText('traffic.yaml', text, { env: {} });
  if (!loaded.ok) throw new Error(`test runbook invalid:\n${loaded.diagnostics.map((d) => d.message).join('\n')}`);
  return loaded.runbook;
}

const dnsStep = (id: string, onprem: number, aws: number, more = '') => `  - id: ${id}
    run:
      route53: { zone: ZAPP, name: app.example.com., type: A, weights: { onprem: ${onprem}, aws: ${aws} } }
${more}`;

interface Harness {
  ctx: EngineContext;
  store: RecordingStore;
  traffic: FakeTraffic;
  events(): readonly JournalEvent[];
  /** `type:step` of every event after journal.created, without run bookkeeping. */
  timeline(): string[];
}

async function harness(
  runbook: Runbook,
  options: { operator?: Operator; force?: boolean; journalMasker?: ReturnType<typeof createMasker> } = {},
): Promise<Harness> {
  const store = new RecordingStore();
  const clock = fakeClock();
  const traffic = new FakeTraffic();
  traffic.store = store;
  traffic.live.set(DNS, { aws: 0, onprem: 100 });
  traffic.live.set(`elbv2:listener:${LISTENER}`, { [TG('onprem')]: 100, [TG('aws')]: 0 });
  const actions = {
    runAction: async (): Promise<never> => {
      throw new Error('no shell actions in these tests');
    },
    runCheck: async () => ({ ok: true, summary: 'passed', details: [] }),
  };
  const { ctx, journal } = await testEngineContext({
    runbook,
    store,
    clock,
    actions,
    logDir,
    journalMasker: options.journalMasker,
    overrides: { traffic, force: options.force === true, ...(options.operator ? { operator: options.operator } : {}) },
  });
  return {
    ctx,
    store,
    traffic,
    events: () => journal.events,
    timeline: () => journal.events.filter((e) => e.step !== undefined).map((e) => `${e.type}:${e.step}`),
  };
}

const run = (h: Harness, maxSteps?: number) => runRunbook(h.ctx, { command: 'run', maxSteps });

async function rollbackAll(h: Harness) {
  const plan = planRollback(
    replay(h.ctx.journal.events),
    h.ctx.runbook.steps.map((s) => s.id),
    {},
  );
  if (!plan.ok) throw new Error(plan.reason);
  return rollbackRunbook(h.ctx, plan.steps);
}

function interactive(drift: 'proceed' | 'abort', asked: { description: string; doing: string }[] = []): Operator {
  return {
    ...nonInteractiveOperator(),
    interactive: true,
    name: 'alice@laptop',
    drift: async (_step, description, doing) => {
      asked.push({ description, doing });
      return drift;
    },
  };
}

function only<T extends JournalEvent['type']>(events: readonly JournalEvent[], type: T, step?: string): Extract<JournalEvent, { type: T }>[] {
  return events.filter((e): e is Extract<JournalEvent, { type: T }> => e.type === type && (step === undefined || e.step === step));
}

const driftDecisions = (events: readonly JournalEvent[]) => only(events, 'decision').filter((d) => d.data.prompt.startsWith('drift'));

// ---------------------------------------------------------------------------------------

describe('a traffic step', () => {
  it('journals the capture, durably, before the change is sent, and step.succeeded carries what it left', async () => {
    const h = await harness(runbookOf(dnsStep('dns-10', 90, 10)));
    const outcome = await run(h);
    expect(outcome).toEqual({ state: 'completed', stepsRun: ['dns-10'] });

    expect(h.traffic.calls.map((c) => c.op)).toEqual(['read', 'apply']);
    const apply = h.traffic.ops('apply')[0] as Extract<Call, { op: 'apply' }>;
    // When apply was called the store already held the capture, written with fsync.
    expect(apply.journalTypes).toEqual(['journal.created', 'run.started', 'step.started:dns-10', 'step.captured:dns-10']);
    expect(apply.durableCapture).toBe(true);
    expect(apply.weights).toEqual({ aws: 10, onprem: 90 });

    expect(h.timeline()).toEqual(['step.started:dns-10', 'step.captured:dns-10', 'step.succeeded:dns-10']);
    const [captured] = only(h.events(), 'step.captured');
    expect(captured!.data).toEqual({
      kind: 'route53',
      target: DNS,
      label: 'app.example.com. A in ZAPP',
      weights: { aws: 0, onprem: 100 },
      state: { full: { aws: 0, onprem: 100 }, untouched: 'alias target, TTL, health check' },
      intended: { aws: 10, onprem: 90 },
    });
    expect(captured!.attempt).toBe(1);
    const [succeeded] = only(h.events(), 'step.succeeded');
    expect(succeeded!.data.traffic).toEqual({ target: DNS, label: 'app.example.com. A in ZAPP', weights: { aws: 10, onprem: 90 } });
    expect(h.store.writes.every((w) => w.durable)).toBe(true);
  });

  it('surfaces a TrafficError as a one-line step failure, masked, and captures nothing when the read failed', async () => {
    const rb = runbookOf(dnsStep('dns-10', 90, 10), 'vars:\n  token: { default: hunter2-secret, secret: true }\n');
    // The journal gets no masker of its own here, so what is asserted is the engine's masking.
    const h = await harness(rb, { journalMasker: createMasker([]) });
    h.traffic.faults.push({
      op: 'read',
      error: new TrafficError(
        'reading app.example.com. A in ZAPP: AccessDenied (HTTP 403): token hunter2-secret is not allowed; see the IAM policy in the README',
        'AccessDenied',
      ),
    });
    const outcome = await run(h);
    expect(outcome.state).toBe('failed');
    const reason = (outcome as { reason: string }).reason;
    expect(reason).toBe('reading app.example.com. A in ZAPP: AccessDenied (HTTP 403): token *** is not allowed; see the IAM policy in the README');
    const [failed] = only(h.events(), 'step.failed');
    expect(failed!.data).toMatchObject({ phase: 'action', reason });
    expect(h.store.text).not.toContain('hunter2-secret');
    expect(only(h.events(), 'step.captured')).toEqual([]);
    expect(h.traffic.ops('apply')).toEqual([]);
  });

  it('masks a TrafficError thrown by apply too (after the capture)', async () => {
    const rb = runbookOf(dnsStep('dns-10', 90, 10), 'vars:\n  token: { default: hunter2-secret, secret: true }\n');
    const h = await harness(rb, { journalMasker: createMasker([]) });
    h.traffic.faults.push({
      op: 'apply',
      error: new TrafficError('changing app.example.com. A in ZAPP: InvalidChangeBatch (HTTP 400): hunter2-secret; Route 53 refused the change batch'),
    });
    const outcome = await run(h);
    expect(outcome).toMatchObject({
      state: 'failed',
      step: 'dns-10',
      reason: 'changing app.example.com. A in ZAPP: InvalidChangeBatch (HTTP 400): ***; Route 53 refused the change batch',
    });
    expect(h.timeline()).toEqual(['step.started:dns-10', 'step.captured:dns-10', 'step.failed:dns-10', 'decision:dns-10']);
    expect(h.store.text).not.toContain('hunter2-secret');
  });

  it('fails clearly when the command has no AWS access for traffic steps', async () => {
    const h = await harness(runbookOf(dnsStep('dns-10', 90, 10)));
    delete h.ctx.traffic;
    const outcome = await run(h);
    expect(outcome).toMatchObject({ state: 'failed', reason: expect.stringContaining('without AWS access') });
  });
});

describe('the drift guard before a change', () => {
  const twoSteps = runbookOf(`${dnsStep('dns-10', 90, 10)}${dnsStep('dns-25', 75, 25, '    onFailure: rollback-step\n')}`);

  it('stops a non-interactive run when live weights differ from what the previous step left; nothing is changed or rolled back', async () => {
    const h = await harness(twoSteps);
    expect(await run(h, 1)).toMatchObject({ state: 'advanced', next: 'dns-25' });
    h.traffic.live.set(DNS, { aws: 20, onprem: 80 }); // someone, by hand
    h.traffic.calls.length = 0;

    const outcome = await run(h);
    expect(outcome.state).toBe('failed');
    expect(exitCodeFor(outcome, false)).toBe(1);
    expect(h.traffic.calls.map((c) => c.op)).toEqual(['read']);
    const [failed] = only(h.events(), 'step.failed', 'dns-25');
    expect(failed!.data.phase).toBe('drift');
    expect(failed!.data.reason).toBe(
      'drift: app.example.com. A in ZAPP changed since step dns-10 (aws: journal says 10, live 20; onprem: journal says 90, live 80); find out who changed it, then run again (--force applies anyway)',
    );
    expect((outcome as { reason: string }).reason).toBe(failed!.data.reason);
    // onFailure: rollback-step is not followed: restoring would overwrite what someone just set.
    expect(only(h.events(), 'rollback.started')).toEqual([]);
    expect(only(h.events(), 'step.captured', 'dns-25')).toEqual([]);
    // Non-interactive: nobody decided anything, so no decision is journaled.
    expect(only(h.events(), 'decision')).toEqual([]);
    expect(h.traffic.live.get(DNS)).toEqual({ aws: 20, onprem: 80 });
  });

  it('compares with what a rollback left, once the previous step was rolled back', async () => {
    const h = await harness(twoSteps);
    await run(h, 1);
    expect((await rollbackAll(h)).state).toBe('rolled_back');
    h.traffic.live.set(DNS, { aws: 5, onprem: 95 });
    const outcome = await run(h, 1);
    expect(outcome).toMatchObject({
      state: 'failed',
      step: 'dns-10',
      reason: expect.stringContaining('changed since the rollback of step dns-10 (aws: journal says 0, live 5'),
    });
  });

  it('has nothing to compare with on the first change of a target', async () => {
    const h = await harness(twoSteps);
    h.traffic.live.set(DNS, { aws: 3, onprem: 97 }); // not what anyone in the journal left: there is nobody
    expect((await run(h, 1)).state).toBe('advanced');
    expect(h.traffic.ops('apply')).toHaveLength(1);
  });

  it('names ELBv2 target groups by name in the difference', async () => {
    const rb = runbookOf(`  - id: lb-10
    run: { elbv2: { listener: "${LISTENER}", weights: { onprem: 90, aws: 10 } } }
  - id: lb-25
    run: { elbv2: { listener: "${LISTENER}", weights: { onprem: 75, aws: 25 } } }
`);
    const h = await harness(rb);
    await run(h, 1);
    h.traffic.live.set(`elbv2:listener:${LISTENER}`, { [TG('onprem')]: 50, [TG('aws')]: 50 });
    const outcome = await run(h);
    expect(outcome).toMatchObject({
      state: 'failed',
      reason: expect.stringContaining('listener app/web changed since step lb-10 (aws: journal says 10, live 50; onprem: journal says 90, live 50)'),
    });
  });

  it('asks an interactive operator; "proceed" is journaled with who, and the change goes ahead', async () => {
    const asked: { description: string; doing: string }[] = [];
    const h = await harness(twoSteps, { operator: interactive('proceed', asked) });
    await run(h, 1);
    h.traffic.live.set(DNS, { aws: 20, onprem: 80 });

    expect(await run(h)).toEqual({ state: 'completed', stepsRun: ['dns-25'] });
    expect(asked).toEqual([
      { doing: 'apply', description: 'app.example.com. A in ZAPP changed since step dns-10 (aws: journal says 10, live 20; onprem: journal says 90, live 80)' },
    ]);
    const decisions = only(h.events(), 'decision', 'dns-25');
    expect(decisions.map((d) => d.data)).toEqual([{ prompt: `drift: ${asked[0]!.description}`, choice: 'proceed' }]);
    expect(decisions[0]!.by).toBe('alice@laptop');
    // Decision, then capture (of the drifted state), then the change.
    expect(h.timeline().slice(-4)).toEqual(['step.started:dns-25', 'decision:dns-25', 'step.captured:dns-25', 'step.succeeded:dns-25']);
    expect(only(h.events(), 'step.captured', 'dns-25')[0]!.data.weights).toEqual({ aws: 20, onprem: 80 });
    expect(h.traffic.live.get(DNS)).toEqual({ aws: 25, onprem: 75 });
  });

  it('an interactive "abort" is journaled and changes nothing', async () => {
    const h = await harness(twoSteps, { operator: interactive('abort') });
    await run(h, 1);
    h.traffic.live.set(DNS, { aws: 20, onprem: 80 });
    const outcome = await run(h);
    expect(outcome.state).toBe('failed');
    expect(only(h.events(), 'decision', 'dns-25').map((d) => d.data.choice)).toEqual(['abort']);
    expect(only(h.events(), 'step.failed', 'dns-25')[0]!.data.phase).toBe('drift');
    expect(h.traffic.ops('apply')).toHaveLength(1);
  });

  it('--force goes ahead without asking and journals a "force" decision', async () => {
    const h = await harness(twoSteps, { force: true });
    await run(h, 1);
    h.traffic.live.set(DNS, { aws: 20, onprem: 80 });
    expect(await run(h)).toEqual({ state: 'completed', stepsRun: ['dns-25'] });
    const decisions = only(h.events(), 'decision', 'dns-25');
    expect(decisions.map((d) => d.data)).toEqual([
      {
        prompt: 'drift: app.example.com. A in ZAPP changed since step dns-10 (aws: journal says 10, live 20; onprem: journal says 90, live 80)',
        choice: 'force',
        note: '--force',
      },
    ]);
    expect(h.traffic.live.get(DNS)).toEqual({ aws: 25, onprem: 75 });
  });

  it('--force journals nothing when there is no drift', async () => {
    const h = await harness(twoSteps, { force: true });
    expect((await run(h)).state).toBe('completed');
    expect(only(h.events(), 'decision')).toEqual([]);
  });

  it('a retry after a change whose wait timed out (live already at the target) is not drift', async () => {
    const h = await harness(runbookOf(`${dnsStep('dns-10', 90, 10)}${dnsStep('dns-25', 75, 25)}`));
    await run(h, 1);
    // dns-25's change reaches Route 53, but waiting for INSYNC times out: the step fails (onFailure: stop).
    h.traffic.faults.push({
      op: 'apply',
      afterChange: true,
      error: new TrafficError('waiting for INSYNC of change C1: not in sync after 10m; check the change in the console, then resume'),
    });
    expect(await run(h)).toMatchObject({ state: 'failed', step: 'dns-25', reason: expect.stringContaining('not in sync after 10m') });
    expect(h.traffic.live.get(DNS)).toEqual({ aws: 25, onprem: 75 });

    // Run again: live (75/25) differs from what dns-10 left (90/10), but it is what dns-25 sets.
    expect(await run(h)).toEqual({ state: 'completed', stepsRun: ['dns-25'] });
    expect(driftDecisions(h.events())).toEqual([]);
    expect(only(h.events(), 'step.failed', 'dns-25').map((e) => e.data.phase)).toEqual(['action']);
    expect(only(h.events(), 'step.succeeded', 'dns-25')[0]!.data.traffic?.weights).toEqual({ aws: 25, onprem: 75 });
  });
});

describe("the drift guard after a traffic step of cutover's own failed and was skipped", () => {
  const skipping = (asked: string[] = [], meanwhile = () => undefined as void): Operator => ({
    ...interactive('abort'),
    drift: async (_step, description) => {
      asked.push(description);
      return 'abort';
    },
    onFailure: async () => {
      meanwhile();
      return 'skip';
    },
  });
  const verified = '    verify: ./error-rate-ok\n';
  const threeSteps = runbookOf(`${dnsStep('dns-5', 95, 5, verified)}${dnsStep('dns-10', 90, 10, verified)}${dnsStep('dns-25', 75, 25, verified)}`);

  it('knows what a step whose verify failed left, so the next step sees no drift', async () => {
    const h = await harness(threeSteps, { operator: skipping() });
    h.ctx.actions.runCheck = async (_check, execution) =>
      execution.logFile?.includes('dns-10') ? { ok: false, summary: 'error rate 7%', details: [] } : { ok: true, summary: 'passed', details: [] };
    expect(await run(h)).toMatchObject({ state: 'completed', stepsRun: ['dns-5', 'dns-25'] });
    const [failed] = only(h.events(), 'step.failed', 'dns-10');
    expect(failed!.data).toMatchObject({ phase: 'verify', traffic: { target: DNS, weights: { aws: 10, onprem: 90 } } });
    expect(driftDecisions(h.events())).toEqual([]);
    expect(h.traffic.live.get(DNS)).toEqual({ aws: 25, onprem: 75 });
  });

  it('recognises the intended weights of a step that failed after sending its change', async () => {
    const h = await harness(threeSteps, { operator: skipping() });
    await run(h, 1);
    // dns-10's change goes through but the step fails and is skipped; dns-25 follows.
    h.traffic.faults.push({ op: 'apply', afterChange: true, error: new TrafficError('waiting for INSYNC of change C1: not in sync after 10m') });
    expect(await run(h)).toMatchObject({ state: 'completed', stepsRun: ['dns-25'] });
    expect(only(h.events(), 'step.skipped').map((e) => e.step)).toEqual(['dns-10']);
    expect(only(h.events(), 'step.captured', 'dns-10')[0]!.data.intended).toEqual({ aws: 10, onprem: 90 });
    expect(driftDecisions(h.events())).toEqual([]);
  });

  it('still stops for a hand-made change, and says the failed step may have changed it too', async () => {
    const asked: string[] = [];
    // dns-10 fails before its change; while the operator looks at that, someone moves traffic by hand.
    const h = await harness(threeSteps, { operator: skipping(asked, () => h.traffic.live.set(DNS, { aws: 40, onprem: 60 })) });
    await run(h, 1);
    h.traffic.faults.push({ op: 'apply', error: new TrafficError('changing app.example.com. A in ZAPP: Throttling') });
    expect((await run(h)).state).toBe('failed');
    expect(only(h.events(), 'step.failed', 'dns-25')[0]!.data.phase).toBe('drift');
    expect(asked).toEqual([
      'app.example.com. A in ZAPP changed since step dns-10 captured it (aws: journal says 5 (10 if its change went through), live 40; onprem: journal says 95 (90 if its change went through), live 60)',
    ]);
  });

  it('lets rollback restore an earlier step over the change of a failed, skipped one', async () => {
    const h = await harness(threeSteps, { operator: skipping() });
    h.ctx.actions.runCheck = async (_check, execution) =>
      execution.logFile?.includes('dns-25') ? { ok: false, summary: 'error rate 7%', details: [] } : { ok: true, summary: 'passed', details: [] };
    expect(await run(h)).toMatchObject({ state: 'completed', stepsRun: ['dns-5', 'dns-10'] });
    expect(h.traffic.live.get(DNS)).toEqual({ aws: 25, onprem: 75 });
    expect((await rollbackAll(h)).state).toBe('rolled_back');
    expect(driftDecisions(h.events())).toEqual([]);
    expect(h.traffic.live.get(DNS)).toEqual({ aws: 0, onprem: 100 });
  });
});

describe('retry: on a traffic step', () => {
  it('tries an AWS error again, re-reading live state each time; the rollback restores the first capture', async () => {
    const h = await harness(runbookOf(dnsStep('dns-10', 90, 10, '    retry: { attempts: 3, delay: 5s }\n')));
    h.traffic.faults.push({ op: 'apply', error: new TrafficError('changing app.example.com. A in ZAPP: ServiceUnavailable (HTTP 503)') });
    // The second try's change reaches Route 53 before its wait fails; the third finds it done.
    h.traffic.faults.push({ op: 'apply', afterChange: true, error: new TrafficError('waiting for INSYNC of change C2: not in sync after 10m') });
    expect(await run(h)).toEqual({ state: 'completed', stepsRun: ['dns-10'] });
    expect(h.traffic.calls.map((c) => c.op)).toEqual(['read', 'apply', 'read', 'apply', 'read', 'apply']);
    expect(only(h.events(), 'step.started', 'dns-10')).toHaveLength(1);
    expect(only(h.events(), 'step.captured', 'dns-10').map((e) => e.data.weights)).toEqual([
      { aws: 0, onprem: 100 },
      { aws: 0, onprem: 100 },
      { aws: 10, onprem: 90 },
    ]);
    expect(driftDecisions(h.events())).toEqual([]);
    expect((await rollbackAll(h)).state).toBe('rolled_back');
    expect(h.traffic.live.get(DNS)).toEqual({ aws: 0, onprem: 100 });
  });

  it('does not retry drift', async () => {
    const h = await harness(runbookOf(`${dnsStep('dns-10', 90, 10)}${dnsStep('dns-25', 75, 25, '    retry: { attempts: 3, delay: 5s }\n')}`));
    await run(h, 1);
    h.traffic.live.set(DNS, { aws: 20, onprem: 80 });
    h.traffic.calls.length = 0;
    expect((await run(h)).state).toBe('failed');
    expect(h.traffic.calls.map((c) => c.op)).toEqual(['read']);
  });
});

describe('derived rollback', () => {
  it('restores the capture, checking first that live is what the step left', async () => {
    const h = await harness(runbookOf(dnsStep('dns-10', 90, 10)));
    await run(h);
    h.traffic.calls.length = 0;
    expect(await rollbackAll(h)).toEqual({ state: 'rolled_back', steps: ['dns-10'] });
    expect(h.traffic.calls.map((c) => c.op)).toEqual(['reread', 'restore']);
    expect(h.traffic.live.get(DNS)).toEqual({ aws: 0, onprem: 100 });
    const [done] = only(h.events(), 'rollback.succeeded', 'dns-10');
    expect(done!.data.traffic).toEqual({ target: DNS, label: 'app.example.com. A in ZAPP', weights: { aws: 0, onprem: 100 } });
  });

  it('refuses when live differs from what the step set, leaving the step as it was (nothing journaled); --force restores anyway, journaled', async () => {
    const rb = runbookOf(dnsStep('dns-10', 90, 10));
    const h = await harness(rb);
    await run(h);
    h.traffic.live.set(DNS, { aws: 50, onprem: 50 });
    h.traffic.calls.length = 0;
    const eventsBefore = h.events().length;

    const refused = await rollbackAll(h);
    expect(refused).toMatchObject({
      state: 'stopped',
      step: 'dns-10',
      reason:
        'drift: app.example.com. A in ZAPP changed since step dns-10 (aws: journal says 10, live 50; onprem: journal says 90, live 50); find out who changed it, then run again (--force applies anyway)',
    });
    expect(h.traffic.ops('restore')).toEqual([]);
    // Only the command's own run.started / run.finished: no rollback.started, no rollback.failed.
    expect(
      h
        .events()
        .slice(eventsBefore)
        .map((e) => e.type),
    ).toEqual(['run.started', 'run.finished']);
    expect(replay(h.events()).steps.get('dns-10')?.state).toBe('succeeded');
    expect(h.traffic.live.get(DNS)).toEqual({ aws: 50, onprem: 50 });

    h.ctx.force = true;
    expect((await rollbackAll(h)).state).toBe('rolled_back');
    expect(h.traffic.live.get(DNS)).toEqual({ aws: 0, onprem: 100 });
    expect(only(h.events(), 'decision', 'dns-10').map((d) => d.data)).toEqual([
      {
        prompt: 'drift: app.example.com. A in ZAPP changed since step dns-10 (aws: journal says 10, live 50; onprem: journal says 90, live 50)',
        choice: 'force',
        note: '--force',
      },
    ]);
  });

  it('asks an interactive operator before a rollback over drift, saying it is a rollback', async () => {
    const asked: { description: string; doing: string }[] = [];
    const h = await harness(runbookOf(dnsStep('dns-10', 90, 10)), { operator: interactive('proceed', asked) });
    await run(h);
    h.traffic.live.set(DNS, { aws: 50, onprem: 50 });
    expect((await rollbackAll(h)).state).toBe('rolled_back');
    expect(asked.map((a) => a.doing)).toEqual(['rollback']);
    expect(only(h.events(), 'decision', 'dns-10').map((d) => d.data.choice)).toEqual(['proceed']);
  });

  it('a rollback retried after the weights were already restored is not drift', async () => {
    const h = await harness(runbookOf(dnsStep('dns-10', 90, 10)));
    await run(h);
    // The restore reached AWS but its read-back failed.
    h.traffic.faults.push({ op: 'restore', afterChange: true, error: new TrafficError('reading back app.example.com. A in ZAPP: throttled') });
    expect((await rollbackAll(h)).state).toBe('rollback_failed');
    expect(h.traffic.live.get(DNS)).toEqual({ aws: 0, onprem: 100 });
    expect((await rollbackAll(h)).state).toBe('rolled_back');
    expect(driftDecisions(h.events())).toEqual([]);
  });

  it('restores the FIRST capture since the last rollback, not an earlier run nor a retry', async () => {
    const h = await harness(runbookOf(dnsStep('dns-10', 90, 10)), { force: true });
    // Run 1: capture #1 = 100/0, then rolled back to it.
    await run(h);
    await rollbackAll(h);
    // Someone sets 95/5 by hand; the step runs again over that (forced): capture #2 = 95/5.
    h.traffic.live.set(DNS, { aws: 5, onprem: 95 });
    h.traffic.faults.push({ op: 'apply', afterChange: true, error: new TrafficError('waiting for INSYNC of change C2: not in sync after 10m') });
    expect((await run(h)).state).toBe('failed');
    // The retry captures again (#3 = 90/10, the half-done change) and succeeds.
    expect((await run(h)).state).toBe('completed');
    expect(only(h.events(), 'step.captured', 'dns-10').map((e) => e.data.weights)).toEqual([
      { aws: 0, onprem: 100 },
      { aws: 5, onprem: 95 },
      { aws: 10, onprem: 90 },
    ]);
    expect(restoreCaptureOf(h.events(), 'dns-10')?.weights).toEqual({ aws: 5, onprem: 95 });

    h.traffic.calls.length = 0;
    expect((await rollbackAll(h)).state).toBe('rolled_back');
    expect(h.traffic.ops('restore')).toEqual([{ op: 'restore', target: DNS, weights: { aws: 5, onprem: 95 } }]);
    expect(h.traffic.live.get(DNS)).toEqual({ aws: 5, onprem: 95 });
  });

  it('a step that failed before capturing rolls back as nothing to restore', async () => {
    const h = await harness(runbookOf(dnsStep('dns-10', 90, 10, '    onFailure: rollback-step\n')));
    h.traffic.faults.push({
      op: 'read',
      error: new TrafficError('reading app.example.com. A in ZAPP: NoSuchHostedZone (HTTP 404): No hosted zone found with ID: ZAPP'),
    });
    const outcome = await run(h);
    expect(outcome).toEqual({
      state: 'rolled_back',
      stepsRun: [],
      steps: ['dns-10'],
      step: 'dns-10',
      reason: 'reading app.example.com. A in ZAPP: NoSuchHostedZone (HTTP 404): No hosted zone found with ID: ZAPP',
    });
    expect(h.traffic.calls.map((c) => c.op)).toEqual(['read']);
    const [done] = only(h.events(), 'rollback.succeeded', 'dns-10');
    expect(done!.data.traffic).toBeUndefined();
    expect(exitCodeFor(outcome, false)).toBe(1);
  });

  it('a failed step that did capture is restored by onFailure: rollback-step', async () => {
    const h = await harness(runbookOf(dnsStep('dns-10', 90, 10, '    onFailure: rollback-step\n')));
    h.traffic.faults.push({ op: 'apply', afterChange: true, error: new TrafficError('reading back app.example.com. A in ZAPP: weights differ') });
    expect((await run(h)).state).toBe('rolled_back');
    expect(h.traffic.ops('restore')).toEqual([{ op: 'restore', target: DNS, weights: { aws: 0, onprem: 100 } }]);
    expect(h.traffic.live.get(DNS)).toEqual({ aws: 0, onprem: 100 });
  });
});
