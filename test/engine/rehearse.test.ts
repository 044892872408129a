/**
 * `rehearse` in the engine (src/engine/rehearse.ts) with an in-memory journal, a fake clock
 * and fake actions that play on a set of "things" (no processes): `add x` / `del x` change
 * the world, `has x` / `lacks x` check it. Traffic steps use a fake Traffic port whose
 * restore can be told to put back the wrong weights (or the wrong full state).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ActionResult, CheckResult } from '../../src/actions/types.js';
import type { Traffic } from '../../src/actions/traffic/index.js';
import { TrafficError } from '../../src/actions/traffic/types.js';
import type { TrafficSnapshot } from '../../src/actions/traffic/types.js';
import { renderReport } from '../../src/cli/handlers/rehearse.js';
import { rehearsalExitCode as exitCodeFor } from '../../src/cli/outcome-exit.js';
import type { EngineContext, ProcessTable } from '../../src/engine/context.js';
import { nonInteractiveOperator } from '../../src/engine/operator.js';
import type { Operator } from '../../src/engine/operator.js';
import { rehearseRunbook } from '../../src/engine/rehearse.js';
import type { RehearsalOutcome } from '../../src/engine/rehearse.js';
import { checkRehearsalGate } from '../../src/engine/rehearsal-gate.js';
import type { JournalEvent } from '../../src/journal/events.js';
import { openJournal } from '../../src/journal/journal.js';
import { MemoryJournalStore } from '../../src/journal/memory-store.js';
import { loadRunbookText } from '../../src/runbook/load.js';
import type { Action, Check, Runbook, TrafficAction } from '../../src/runbook/types.js';
import { fakeClock } from '../../src/support/clock.js';
import { createMasker } from '../../src/support/mask.js';
import { testEngineContext } from '../helpers/engine-context.js';
import { alice } from '../helpers/journal-fixtures.js';

const logDir = mkdtempSync(path.join(tmpdir(), 'cutover-rehearse-'));
afterAll(() => rmSync(logDir, { recursive: true, force: true }));

// ---------------------------------------------------------------------------------------
// A world of named things, changed by actions and observed by checks.

const ACTION_MS = 5_000;
const CHECK_MS = 1_000;

class World {
  readonly things = new Set<string>();
  readonly log: string[] = [];
  /** Checks as the engine passed them (to see retry stripped). */
  readonly checksSeen: Check[] = [];
  readonly clock = fakeClock();

  async runAction(script: string): Promise<ActionResult> {
    this.clock.advance(ACTION_MS);
    this.log.push(script);
    if (script === 'fail') return { ok: false, reason: `\`${script}\` exited with code 1`, exitCode: 1, tail: ['boom'], durationMs: ACTION_MS };
    for (const command of script.split(';').map((c) => c.trim())) {
      const [verb, name = ''] = command.split(' ');
      if (verb === 'add') this.things.add(name);
      if (verb === 'del') this.things.delete(name);
    }
    return { ok: true, tail: [], durationMs: ACTION_MS };
  }

  async runCheck(check: Check): Promise<CheckResult> {
    this.clock.advance(CHECK_MS);
    this.checksSeen.push(check);
    for (const single of check) {
      const script = single.kind === 'shell' ? single.script : '';
      const [verb, name = ''] = script.split(' ');
      const ok = verb === 'has' ? this.things.has(name) : verb === 'lacks' ? !this.things.has(name) : verb === 'true';
      if (!ok) return { ok: false, summary: `\`${script}\` failed: exit code 1`, details: [] };
    }
    return { ok: true, summary: 'passed', details: [] };
  }
}

// ---------------------------------------------------------------------------------------
// A fake Traffic port: live weights (and a TTL standing for the rest of the AWS state) per target.

interface Live {
  weights: Record<string, number>;
  ttl: number;
}

class FakeTraffic implements Traffic {
  readonly live = new Map<string, Live>();
  /** What restore puts back instead of the capture (a broken driver or a broken explicit rollback). */
  restoreWrong?: Partial<Live>;

  static targetOf(action: TrafficAction): string {
    return action.kind === 'route53' ? `route53:${action.zone}:${action.name}:${action.type}` : `elbv2:${action.target.kind}:${action.target.arn}`;
  }

  private snapshot(target: string): TrafficSnapshot {
    const live = this.live.get(target);
    if (!live) throw new TrafficError(`no such target ${target}`);
    return {
      kind: 'route53',
      target,
      label: 'app.example.com. A in ZAPP',
      weights: { ...live.weights },
      state: { recordSets: Object.entries(live.weights).map(([id, weight]) => ({ SetIdentifier: id, Weight: weight, TTL: live.ttl })) },
    };
  }

  async read(action: TrafficAction): Promise<TrafficSnapshot> {
    return this.snapshot(FakeTraffic.targetOf(action));
  }

  async desired(action: TrafficAction, before: TrafficSnapshot): Promise<Record<string, number>> {
    return { ...before.weights, ...action.weights };
  }

  async apply(action: TrafficAction, before: TrafficSnapshot): Promise<TrafficSnapshot> {
    const live = this.live.get(before.target) as Live;
    live.weights = await this.desired(action, before);
    return this.snapshot(before.target);
  }

  async reread(snapshot: TrafficSnapshot): Promise<TrafficSnapshot> {
    return this.snapshot(snapshot.target);
  }

  async restore(captured: TrafficSnapshot): Promise<TrafficSnapshot> {
    const sets = (captured.state as { recordSets: { SetIdentifier: string; Weight: number; TTL: number }[] }).recordSets;
    const live = this.live.get(captured.target) as Live;
    live.weights = Object.fromEntries(sets.map((s) => [s.SetIdentifier, s.Weight]));
    live.ttl = sets[0]?.TTL ?? live.ttl;
    if (this.restoreWrong?.weights) live.weights = { ...this.restoreWrong.weights };
    if (this.restoreWrong?.ttl !== undefined) live.ttl = this.restoreWrong.ttl;
    return this.snapshot(captured.target);
  }

  /** Nothing but weights ever changes in these fakes (the drivers' comparison is tested in test/actions). */
  structuralChanges(): string[] {
    return [];
  }
}

const DNS = 'route53:ZAPP:app.example.com.:A';

// ---------------------------------------------------------------------------------------
// Harness

function runbookOf(steps: string, options: { vars?: string; overrides?: string[] } = {}): Runbook {
  const text = `cutover: 1
name: rehearsal
${options.vars ?? ''}defaults: { confirm: false, onFailure: stop }
steps:
${steps}`;
  const loaded = loadRunbookText('rehearsal.yaml', text, { env: {}, overrides: { flags: options.overrides ?? [] } });
  if (!loaded.ok) throw new Error(`test runbook invalid:\n${loaded.diagnostics.map((d) => d.message).join('\n')}`);
  return loaded.runbook;
}

/** A step that adds `name`; its rollback deletes it and checks it is gone. */
const goodStep = (id: string, name = id) => `  - id: ${id}
    run: add ${name}
    verify: has ${name}
    rollback: { run: del ${name}, verify: lacks ${name} }
`;

interface Harness {
  ctx: EngineContext;
  store: MemoryJournalStore;
  world: World;
  traffic: FakeTraffic;
  clock: ReturnType<typeof fakeClock>;
  rehearse(options?: { return?: boolean }): Promise<RehearsalOutcome>;
  /** `type:step` of step events after journal.created, without run bookkeeping. */
  timeline(): string[];
  events(): readonly JournalEvent[];
}

async function harness(
  runbook: Runbook,
  options: { operator?: Operator; store?: MemoryJournalStore; world?: World; traffic?: FakeTraffic; processes?: ProcessTable } = {},
): Promise<Harness> {
  const store = options.store ?? new MemoryJournalStore();
  const world = options.world ?? new World();
  const clock = world.clock;
  const traffic = options.traffic ?? new FakeTraffic();
  if (!options.traffic) traffic.live.set(DNS, { weights: { aws: 0, onprem: 100 }, ttl: 60 });
  const actions = {
    runAction: async (action: Action) => {
      if (action.kind !== 'shell') throw new Error(`unexpected ${action.kind} action`);
      return world.runAction(action.script);
    },
    runCheck: async (check: Check) => world.runCheck(check),
  };
  const { ctx, journal } = await testEngineContext({
    runbook,
    store,
    clock,
    actions,
    logDir,
    overrides: { traffic, ...(options.operator ? { operator: options.operator } : {}), ...(options.processes ? { processes: options.processes } : {}) },
  });
  return {
    ctx,
    store,
    world,
    traffic,
    clock,
    rehearse: (o = {}) => rehearseRunbook(ctx, o),
    timeline: () => journal.events.filter((e) => e.step !== undefined && e.type !== 'step.spawned').map((e) => `${e.type}:${e.step}`),
    events: () => journal.events,
  };
}

/** The next rehearsal on the same journal and world (a second `cutover rehearse`). */
const again = (h: Harness, runbook: Runbook = h.ctx.runbook, operator?: Operator) =>
  harness(runbook, { store: h.store, world: h.world, traffic: h.traffic, operator });

const rehearsalEvents = (events: readonly JournalEvent[]) =>
  events.filter((e): e is Extract<JournalEvent, { type: 'rehearsal.step' }> => e.type === 'rehearsal.step');

const verdicts = (outcome: RehearsalOutcome) => Object.fromEntries(outcome.steps.map((s) => [s.id, s.verdict]));

// ---------------------------------------------------------------------------------------

describe('rehearse: steps whose rollbacks work', () => {
  it('runs, verifies, rolls back, verifies the rollback, runs again and verifies again, step by step, and journals each verdict', async () => {
    const h = await harness(runbookOf(goodStep('a') + goodStep('b')));
    const outcome = await h.rehearse();
    expect(outcome.state).toBe('completed');
    expect(exitCodeFor(outcome)).toBe(0);
    expect(verdicts(outcome)).toEqual({ a: 'passed', b: 'passed' });
    expect(h.world.log).toEqual(['add a', 'del a', 'add a', 'add b', 'del b', 'add b']);
    expect(h.timeline()).toEqual([
      'step.started:a',
      'step.succeeded:a',
      'rollback.started:a',
      'rollback.succeeded:a',
      'step.started:a',
      'step.succeeded:a',
      'rehearsal.step:a',
      'step.started:b',
      'step.succeeded:b',
      'rollback.started:b',
      'rollback.succeeded:b',
      'step.started:b',
      'step.succeeded:b',
      'rehearsal.step:b',
    ]);
    // Staging is left migrated, as a run would leave it.
    expect([...h.world.things]).toEqual(['a', 'b']);

    const [first] = rehearsalEvents(h.events());
    expect(first!.data).toEqual({
      digest: h.ctx.runbook.steps[0]!.digest,
      verdict: 'passed',
      phases: {
        forward: { status: 'passed', durationMs: ACTION_MS },
        verify: { status: 'passed', durationMs: CHECK_MS },
        rollback: { status: 'passed', durationMs: ACTION_MS },
        rollbackVerify: { status: 'passed', durationMs: CHECK_MS },
        reapply: { status: 'passed', durationMs: ACTION_MS },
        reverify: { status: 'passed', durationMs: CHECK_MS },
      },
    });
    expect(outcome.steps[0]!.durationMs).toBe(3 * ACTION_MS + 3 * CHECK_MS);
    const events = h.events();
    expect(events.filter((e) => e.type === 'run.started').map((e) => e.data)).toEqual([
      { command: 'rehearse', runbook: 'rehearsal', file: 'rehearsal.yaml', options: { return: false } },
    ]);
    expect(events.at(-1)).toMatchObject({ type: 'run.finished', data: { command: 'rehearse', outcome: 'completed' } });
  });

  it('times the precheck apart from the action, and runs it again before re-applying', async () => {
    const h = await harness(
      runbookOf(`  - id: a
    precheck: lacks a
    run: add a
    verify: has a
    rollback: { run: del a, verify: lacks a }
`),
    );
    const outcome = await h.rehearse();
    expect(outcome.steps[0]!.phases).toMatchObject({
      precheck: { status: 'passed', durationMs: CHECK_MS },
      forward: { status: 'passed', durationMs: ACTION_MS },
      reapply: { status: 'passed', durationMs: ACTION_MS + CHECK_MS },
    });
  });

  it('writes a journal that reopens as a valid chain (rehearsal.step has the shape replay expects)', async () => {
    const h = await harness(runbookOf(goodStep('a')));
    await h.rehearse();
    const reopened = await openJournal(new MemoryJournalStore(h.store.text), {
      runbook: { name: 'rehearsal', file: 'rehearsal.yaml' },
      identity: alice,
      masker: createMasker([]),
      clock: fakeClock(),
    });
    expect(reopened.events.map((e) => e.type)).toContain('rehearsal.step');
  });

  it('--return rolls every step back at the end, newest first, verifying each: staging as it was', async () => {
    const h = await harness(runbookOf(goodStep('a') + goodStep('b')));
    const outcome = await h.rehearse({ return: true });
    expect(outcome).toMatchObject({ state: 'completed', returned: { state: 'rolled_back', steps: ['b', 'a'] } });
    expect(exitCodeFor(outcome)).toBe(0);
    expect(h.world.things.size).toBe(0);
    expect(h.timeline().slice(-4)).toEqual(['rollback.started:b', 'rollback.succeeded:b', 'rollback.started:a', 'rollback.succeeded:a']);
    expect(h.events().at(-1)).toMatchObject({ type: 'run.finished', data: { outcome: 'completed; returned: rolled_back' } });
  });

  it("proves a rollback without rollback.verify by the step's verify failing after it (run once: retryFor is not waited out)", async () => {
    const h = await harness(
      runbookOf(`  - id: a
    run: add a
    verify: { sh: has a, retryFor: 5m, interval: 10s }
    rollback: del a
`),
    );
    const outcome = await h.rehearse();
    expect(outcome.steps[0]).toMatchObject({
      verdict: 'passed',
      phases: { verifyAfterRollback: { status: 'passed', reason: expect.stringContaining('verify fails after the rollback') } },
    });
    // forward verify, verify after the rollback, verify after re-applying
    expect(h.world.checksSeen.map((c) => c[0]!.retry !== undefined)).toEqual([true, false, true]);
  });
});

describe('rehearse: rollbacks that cannot be verified', () => {
  it('reports "rollback unverified" when the step\'s verify still passes after the rollback; the rehearsal goes on (exit 0)', async () => {
    const h = await harness(
      runbookOf(`  - id: a
    run: add a
    verify: has a
    rollback: echo forgot to undo
${goodStep('b')}`),
    );
    const outcome = await h.rehearse();
    expect(outcome.state).toBe('completed');
    expect(exitCodeFor(outcome)).toBe(0);
    expect(verdicts(outcome)).toEqual({ a: 'rollback-unverified', b: 'passed' });
    expect(outcome.steps[0]).toMatchObject({
      phases: { verifyAfterRollback: { status: 'inconclusive' } },
      reason: expect.stringContaining('still passes after the rollback'),
    });
    expect(rehearsalEvents(h.events()).map((e) => e.data.verdict)).toEqual(['rollback-unverified', 'passed']);
  });

  it('reports "rollback unverified" for a step with neither verify nor rollback.verify', async () => {
    const h = await harness(
      runbookOf(`  - id: a
    run: add a
    rollback: del a
`),
    );
    const outcome = await h.rehearse();
    expect(outcome.steps[0]).toMatchObject({ verdict: 'rollback-unverified', reason: expect.stringContaining('neither a rollback.verify nor a verify') });
    expect(outcome.steps[0]!.phases.verifyAfterRollback).toBeUndefined();
  });

  it('records an irreversible step as such (no rollback is attempted) and a manual "rollback: none" step as passed', async () => {
    const rb = runbookOf(`${goodStep('a')}  - id: approve
    run: { manual: look at it }
    rollback: none
    irreversible: a look has nothing to undo
  - id: drop
    run: add dropped
    verify: has dropped
    rollback: none
    irreversible: the old table is gone
`);
    const approved = nonInteractiveOperator({ approved: (step) => step.id === 'approve' });
    const h = await harness(rb, { operator: approved });
    const outcome = await h.rehearse({ return: true });
    expect(verdicts(outcome)).toEqual({ a: 'passed', approve: 'passed', drop: 'irreversible' });
    expect(h.world.log).toEqual(['add a', 'del a', 'add a', 'add dropped']);
    expect(outcome.steps[2]!.reason).toBe('irreversible: the old table is gone');
    // --return stops at the irreversible step: exit 3, as for cutover rollback.
    expect(outcome.returned).toMatchObject({ state: 'stopped_at_irreversible', step: 'drop' });
    expect(exitCodeFor(outcome)).toBe(3);
  });

  it('stops at a manual step nobody approved (waiting, exit 0) and continues there once approved', async () => {
    const rb = runbookOf(`${goodStep('a')}  - id: approve
    run: { manual: look at it }
    rollback: none
    irreversible: nothing to undo
${goodStep('b')}`);
    const h = await harness(rb);
    const first = await h.rehearse();
    expect(first).toMatchObject({ state: 'waiting_approval', step: 'approve' });
    expect(exitCodeFor(first)).toBe(0);
    expect(verdicts(first)).toEqual({ a: 'passed', approve: 'not-reached', b: 'not-reached' });

    const h2 = await again(h, rb, nonInteractiveOperator({ approved: () => true }));
    const second = await h2.rehearse();
    expect(second.state).toBe('completed');
    expect(second.steps.map((s) => [s.id, s.verdict, s.earlier === true])).toEqual([
      ['a', 'passed', true],
      ['approve', 'passed', false],
      ['b', 'passed', false],
    ]);
    expect(h.world.log).toEqual(['add a', 'del a', 'add a', 'add b', 'del b', 'add b']);
  });
});

describe('rehearse: failures', () => {
  it('reports a rollback that does not undo the step (its rollback.verify fails), stops there and exits 1', async () => {
    const h = await harness(
      runbookOf(`  - id: a
    run: add a
    verify: has a
    rollback: { run: echo not really, verify: lacks a }
${goodStep('b')}`),
    );
    const outcome = await h.rehearse({ return: true });
    expect(outcome).toMatchObject({ state: 'failed', step: 'a' });
    expect(exitCodeFor(outcome)).toBe(1);
    expect(verdicts(outcome)).toEqual({ a: 'failed', b: 'not-reached' });
    expect(outcome.steps[0]!.phases).toMatchObject({
      rollback: { status: 'passed' },
      rollbackVerify: { status: 'failed', reason: expect.stringContaining('lacks a') },
    });
    expect(outcome.steps[0]!.phases.reapply).toBeUndefined();
    expect((outcome as { reason: string }).reason).toMatch(/^the rollback did not undo the step: rollback verify failed/);
    // No --return after a failure: staging stays as the failure left it, for a human to look at.
    expect(outcome.returned).toBeUndefined();
    expect(h.world.log).toEqual(['add a', 'echo not really']);
    expect(rehearsalEvents(h.events()).map((e) => [e.step, e.data.verdict])).toEqual([['a', 'failed']]);
  });

  it('reports a rollback that fails outright', async () => {
    const h = await harness(
      runbookOf(`  - id: a
    run: add a
    verify: has a
    rollback: { run: fail, verify: lacks a }
`),
    );
    const outcome = await h.rehearse();
    expect(outcome).toMatchObject({ state: 'failed', step: 'a', reason: expect.stringMatching(/^the rollback failed: `fail` exited with code 1/) });
    expect(outcome.steps[0]!.phases).toMatchObject({ rollback: { status: 'failed' } });
    expect(outcome.steps[0]!.phases.rollbackVerify).toBeUndefined();
    expect(exitCodeFor(outcome)).toBe(1);
  });

  it('reports a failing action or verify, and a failing re-apply', async () => {
    const h = await harness(
      runbookOf(`  - id: a
    run: add a
    verify: has nothing
    rollback: { run: del a, verify: lacks a }
`),
    );
    const outcome = await h.rehearse();
    expect(outcome).toMatchObject({ state: 'failed', step: 'a' });
    expect(outcome.steps[0]!.phases).toMatchObject({ forward: { status: 'passed' }, verify: { status: 'failed' } });

    const h2 = await harness(runbookOf(goodStep('a')));
    // The second `add a` (the re-apply) fails.
    const original = h2.world.runAction.bind(h2.world);
    let adds = 0;
    h2.world.runAction = async (script) => (script === 'add a' && ++adds === 2 ? { ok: false, reason: 'exit 1', tail: [], durationMs: 0 } : original(script));
    const second = await h2.rehearse();
    expect(second).toMatchObject({ state: 'failed', step: 'a', reason: 're-applying the step after its rollback: exit 1' });
    expect(second.steps[0]!.phases).toMatchObject({ rollback: { status: 'passed' }, reapply: { status: 'failed' } });
  });

  it('continues after a fix: steps still applied whose definition passed are not rehearsed again', async () => {
    const broken = runbookOf(
      goodStep('a') +
        `  - id: b
    run: add b
    verify: has b
    rollback: { run: echo oops, verify: lacks b }
`,
    );
    const h = await harness(broken);
    expect(await h.rehearse()).toMatchObject({ state: 'failed', step: 'b' });
    h.world.things.delete('b'); // the operator repairs staging by hand

    const fixed = runbookOf(goodStep('a') + goodStep('b'));
    const h2 = await again(h, fixed);
    const outcome = await h2.rehearse();
    expect(outcome.state).toBe('completed');
    expect(outcome.steps.map((s) => [s.id, s.verdict, s.earlier === true])).toEqual([
      ['a', 'passed', true],
      ['b', 'passed', false],
    ]);
    expect(h.world.log.slice(3)).toEqual(['add b', 'echo oops', 'add b', 'del b', 'add b']);
    expect(checkRehearsalGate(fixed, h2.events())).toEqual({ ok: true });
  });

  it('refuses to rehearse a changed step under steps still applied, and says what to roll back to', async () => {
    const h = await harness(runbookOf(goodStep('a') + goodStep('b') + goodStep('c')));
    await h.rehearse();
    const edited = runbookOf(goodStep('a') + goodStep('b', 'b2') + goodStep('c'));
    const h2 = await again(h, edited);
    const before = h2.events().length;
    const outcome = await h2.rehearse();
    expect(outcome).toMatchObject({
      state: 'refused',
      undo: { to: 'a' },
      reason: expect.stringContaining('step "b" changed since its rehearsal, but b, c are still applied'),
    });
    expect(exitCodeFor(outcome)).toBe(2);
    expect(h2.events().length).toBe(before); // nothing journaled
  });

  it('rehearses from scratch once everything was returned', async () => {
    const h = await harness(runbookOf(goodStep('a')));
    await h.rehearse({ return: true });
    const h2 = await again(h);
    const outcome = await h2.rehearse();
    expect(outcome.steps[0]).toMatchObject({ verdict: 'passed' });
    expect(outcome.steps[0]!.earlier).toBeUndefined();
  });

  it('stops as interrupted when the signal aborts during the rollback (no verdict is journaled)', async () => {
    const controller = new AbortController();
    const h = await harness(runbookOf(goodStep('a')));
    h.ctx.signal = controller.signal;
    const original = h.world.runAction.bind(h.world);
    h.world.runAction = async (script) => {
      if (script === 'del a') {
        controller.abort('SIGTERM');
        return { ok: false, reason: 'interrupted', aborted: true, tail: [], durationMs: 0 };
      }
      return original(script);
    };
    const outcome = await h.rehearse();
    expect(outcome).toMatchObject({ state: 'interrupted', step: 'a', signal: 'SIGTERM' });
    expect(exitCodeFor(outcome)).toBe(143);
    expect(rehearsalEvents(h.events())).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------
// A rehearse killed outright (SIGKILL, a crash): the action throws and nothing more is journaled.

class Killed extends Error {}

/**
 * Makes the `nth` run of `script` kill cutover: with `effect`, after the script changed the
 * world (killed while it finished), else before. The rehearse promise rejects with Killed.
 */
function killOn(h: Harness, script: string, options: { effect: boolean; nth?: number; spawned?: { pid: number; phase: 'action' | 'rollback' } }): void {
  const original = h.world.runAction.bind(h.world);
  let seen = 0;
  h.world.runAction = async (run) => {
    if (run === script && ++seen === (options.nth ?? 1)) {
      if (options.spawned) {
        const attempt = h
          .events()
          .filter((e) => e.step === 'a' && e.type === (options.spawned?.phase === 'rollback' ? 'rollback.started' : 'step.started')).length;
        await h.ctx.journal.append({
          type: 'step.spawned',
          step: 'a',
          attempt,
          data: { pid: options.spawned.pid, pgid: options.spawned.pid, host: alice.host, phase: options.spawned.phase },
        });
      }
      if (options.effect) await original(run);
      throw new Killed(`killed during ${run}`);
    }
    return original(run);
  };
}

/** The effects on the world, in order: `add a` / `del a` that changed something. */
const effects = (h: Harness) => h.world.log.filter((line) => /^(add|del) /.test(line));

describe('rehearse: recovery after it was killed in the middle of a step', () => {
  it('killed during the rollback before the undo took effect: the next rehearse finishes the undo first (rollback.verify says not done), never re-runs the action on top, then rehearses the step', async () => {
    const h = await harness(runbookOf(goodStep('a')));
    killOn(h, 'del a', { effect: false });
    await expect(h.rehearse()).rejects.toThrow(Killed);
    expect([...h.world.things]).toEqual(['a']); // still applied

    const h2 = await again(h);
    const outcome = await h2.rehearse();
    expect(outcome.state).toBe('completed');
    expect(verdicts(outcome)).toEqual({ a: 'passed' });
    // Before: the next rehearse ran `add a` while a was applied, then reported "passed".
    expect(effects(h)).toEqual(['add a', 'del a', 'add a', 'del a', 'add a']);
    expect(h2.timeline().slice(2)).toEqual([
      'rollback.started:a', // the killed rollback
      'rollback.started:a',
      'rollback.succeeded:a', // finished first
      'step.started:a',
      'step.succeeded:a',
      'rollback.started:a',
      'rollback.succeeded:a',
      'step.started:a',
      'step.succeeded:a',
      'rehearsal.step:a',
    ]);
  });

  it('killed during the rollback after the undo took effect: rollback.verify says done, the undo is not run again', async () => {
    const h = await harness(runbookOf(goodStep('a')));
    killOn(h, 'del a', { effect: true });
    await expect(h.rehearse()).rejects.toThrow(Killed);

    const h2 = await again(h);
    expect(verdicts(await h2.rehearse())).toEqual({ a: 'passed' });
    expect(effects(h)).toEqual(['add a', 'del a', 'add a', 'del a', 'add a']);
    expect(h2.events().find((e) => e.type === 'rollback.succeeded')).toMatchObject({ step: 'a', data: { recovered: true } });
  });

  it('killed during the rollback of a step edited since: nothing is run unasked; the rehearsal refuses and says to finish that rollback with cutover rollback', async () => {
    const h = await harness(runbookOf(goodStep('a')));
    killOn(h, 'del a', { effect: false });
    await expect(h.rehearse()).rejects.toThrow(Killed);
    const edited = runbookOf(`  - id: a
    run: add a
    verify: has a
    rollback: { run: del a; del other, verify: lacks a }
`);
    const h2 = await again(h, edited);
    const outcome = await h2.rehearse();
    expect(outcome).toMatchObject({
      state: 'refused',
      undo: {},
      reason: expect.stringContaining('finish that rollback with "cutover rollback" on the rehearsal journal'),
    });
    expect(exitCodeFor(outcome)).toBe(2);
    expect(effects(h)).toEqual(['add a']);
  });

  it('an orphaned undo still running is waited for (journaled decision), then judged by rollback.verify, not run again', async () => {
    const h = await harness(runbookOf(goodStep('a')));
    killOn(h, 'del a', { effect: false, spawned: { pid: 4711, phase: 'rollback' } });
    await expect(h.rehearse()).rejects.toThrow(Killed);

    // The orphan runs for three more polls, then finishes its undo and exits.
    let polls = 3;
    const processes: ProcessTable = {
      groupAlive: (pgid) => {
        if (pgid !== 4711 || polls === 0) return false;
        polls -= 1;
        if (polls === 0) h.world.things.delete('a');
        return true;
      },
      killGroup: () => {
        throw new Error('nobody chose to kill it');
      },
    };
    const h2 = await harness(h.ctx.runbook, { store: h.store, world: h.world, traffic: h.traffic, processes });
    expect(verdicts(await h2.rehearse())).toEqual({ a: 'passed' });
    expect(
      h2
        .events()
        .filter((e) => e.type === 'decision')
        .map((e) => e.data),
    ).toEqual([{ prompt: 'rollback process group 4711 still running', choice: 'wait' }]);
    // The orphan did the undo (it is not in the log: it ran outside cutover); cutover's only
    // `del a` is the rehearsal's own rollback, after the step was applied again.
    expect(effects(h)).toEqual(['add a', 'add a', 'del a', 'add a']);
    expect(h2.events().find((e) => e.type === 'rollback.succeeded')).toMatchObject({ data: { recovered: true } });
  });

  it('killed during the re-apply after it took effect: verify says applied, so the rehearsal continues at the rollback (the action never runs twice in a row)', async () => {
    const h = await harness(runbookOf(goodStep('a') + goodStep('b')));
    killOn(h, 'add a', { effect: true, nth: 2 });
    await expect(h.rehearse()).rejects.toThrow(Killed);

    const h2 = await again(h);
    const outcome = await h2.rehearse();
    expect(verdicts(outcome)).toEqual({ a: 'passed', b: 'passed' });
    expect(outcome.steps[0]).toMatchObject({ continued: true });
    expect(outcome.steps[0]!.phases.forward).toBeUndefined();
    expect(effects(h)).toEqual(['add a', 'del a', 'add a', 'del a', 'add a', 'add b', 'del b', 'add b']);
    expect(rehearsalEvents(h2.events())[0]!.data.reason).toContain('continued at its rollback');
    expect(renderReport(outcome.steps, { color: false })).toContain('a: an earlier rehearsal was cut short after this step was applied');
  });

  it('killed after the re-apply succeeded but before its verdict: continues at the rollback instead of refusing', async () => {
    const h = await harness(runbookOf(goodStep('a')));
    const append = h.ctx.journal.append.bind(h.ctx.journal);
    h.ctx.journal.append = async (event, options) => {
      if (event.type === 'rehearsal.step') throw new Killed('killed before the verdict');
      return append(event, options);
    };
    await expect(h.rehearse()).rejects.toThrow(Killed);

    const h2 = await again(h);
    const outcome = await h2.rehearse();
    expect(outcome).toMatchObject({ state: 'completed', steps: [{ id: 'a', verdict: 'passed', continued: true }] });
    expect(effects(h)).toEqual(['add a', 'del a', 'add a', 'del a', 'add a']);
  });

  it('killed during the first action before it took effect: verify says not done, the step is rehearsed from its action', async () => {
    const h = await harness(runbookOf(goodStep('a')));
    killOn(h, 'add a', { effect: false });
    await expect(h.rehearse()).rejects.toThrow(Killed);
    const h2 = await again(h);
    expect(verdicts(await h2.rehearse())).toEqual({ a: 'passed' });
    expect(effects(h)).toEqual(['add a', 'del a', 'add a']);
  });

  it('a step without verify left interrupted stops the rehearsal (exit 1) and names --on-interrupted, instead of guessing', async () => {
    const h = await harness(
      runbookOf(`  - id: a
    run: add a
    rollback: { run: del a, verify: lacks a }
`),
    );
    killOn(h, 'add a', { effect: true });
    await expect(h.rehearse()).rejects.toThrow(Killed);
    const h2 = await again(h);
    const outcome = await h2.rehearse();
    expect(outcome).toMatchObject({ state: 'failed', step: 'a', reason: expect.stringContaining('--on-interrupted') });
    expect(exitCodeFor(outcome)).toBe(1);
    expect(rehearsalEvents(h2.events())).toEqual([]);

    // --on-interrupted rollback: rolled back first, then rehearsed from its action.
    const h3 = await again(h, h.ctx.runbook, nonInteractiveOperator({ onInterrupted: 'rollback' }));
    expect(verdicts(await h3.rehearse())).toEqual({ a: 'passed' });
    expect(effects(h)).toEqual(['add a', 'del a', 'add a', 'del a', 'add a']);
  });

  it('a signal during the rollback (journaled like a crash) is recovered the same way by the next rehearse', async () => {
    const controller = new AbortController();
    const h = await harness(runbookOf(goodStep('a')));
    h.ctx.signal = controller.signal;
    const original = h.world.runAction.bind(h.world);
    h.world.runAction = async (script) => {
      if (script === 'del a' && !controller.signal.aborted) {
        controller.abort('SIGTERM');
        return { ok: false, reason: 'interrupted', aborted: true, tail: [], durationMs: 0 };
      }
      return original(script);
    };
    expect(await h.rehearse()).toMatchObject({ state: 'interrupted', signal: 'SIGTERM' });
    const h2 = await again(h);
    expect(verdicts(await h2.rehearse())).toEqual({ a: 'passed' });
    expect(effects(h)).toEqual(['add a', 'del a', 'add a', 'del a', 'add a']);
  });
});

describe('rehearse: the operator', () => {
  it('asks before each step; Skip journals a skip, Quit stops', async () => {
    const rb = runbookOf(`${goodStep('a')}${goodStep('b')}${goodStep('c')}`.replaceAll('    run: add', '    confirm: true\n    run: add'));
    const answers = ['skip', 'run', 'quit'];
    const operator: Operator = {
      ...nonInteractiveOperator(),
      interactive: true,
      name: 'alice@laptop',
      beforeStep: async () => answers.shift() as 'run' | 'skip' | 'quit',
    };
    const h = await harness(rb, { operator });
    const outcome = await h.rehearse();
    expect(outcome).toMatchObject({ state: 'advanced', next: 'c' });
    expect(verdicts(outcome)).toEqual({ a: 'skipped', b: 'passed', c: 'not-reached' });
    expect(
      h
        .events()
        .filter((e) => e.type === 'decision')
        .map((e) => [e.step, (e.data as { choice: string }).choice]),
    ).toEqual([
      ['a', 'skip'],
      ['b', 'run'],
      ['c', 'quit'],
    ]);
  });
});

describe('rehearse: traffic steps', () => {
  const dnsStep = (id: string, onprem: number, aws: number, more = '') => `  - id: ${id}
    run:
      route53: { zone: ZAPP, name: app.example.com., type: A, weights: { onprem: ${onprem}, aws: ${aws} } }
${more}`;

  it('passes when the live state after the rollback equals the capture (weights and full state)', async () => {
    const h = await harness(runbookOf(dnsStep('dns-10', 90, 10) + dnsStep('dns-50', 50, 50)));
    const outcome = await h.rehearse();
    expect(verdicts(outcome)).toEqual({ 'dns-10': 'passed', 'dns-50': 'passed' });
    expect(outcome.steps[1]!.phases.stateRestored).toMatchObject({ status: 'passed' });
    expect(h.traffic.live.get(DNS)!.weights).toEqual({ aws: 50, onprem: 50 });
  });

  it('catches a rollback that restores the wrong weights', async () => {
    const h = await harness(runbookOf(dnsStep('dns-10', 90, 10) + dnsStep('dns-50', 50, 50)));
    h.traffic.restoreWrong = { weights: { aws: 5, onprem: 95 } };
    const outcome = await h.rehearse();
    expect(outcome).toMatchObject({ state: 'failed', step: 'dns-10' });
    expect(exitCodeFor(outcome)).toBe(1);
    expect(outcome.steps[0]!.phases.stateRestored).toEqual({
      status: 'failed',
      durationMs: 0,
      reason: 'app.example.com. A in ZAPP: the live weights differ from the capture (aws: captured 0, live 5; onprem: captured 100, live 95)',
    });
    expect(verdicts(outcome)).toEqual({ 'dns-10': 'failed', 'dns-50': 'not-reached' });
    expect(rehearsalEvents(h.events())[0]!.data.verdict).toBe('failed');
  });

  it('catches a rollback that restores the weights but not the rest of the state', async () => {
    const h = await harness(runbookOf(dnsStep('dns-10', 90, 10)));
    h.traffic.restoreWrong = { ttl: 300 };
    const outcome = await h.rehearse();
    expect(outcome.steps[0]!.phases.stateRestored).toMatchObject({
      status: 'failed',
      reason: expect.stringContaining('the full state differs from the capture at state.recordSets[0].TTL: 60 -> 300'),
    });
  });

  it("runs the traffic rollback's own verify too", async () => {
    const h = await harness(runbookOf(dnsStep('dns-10', 90, 10, '    rollback: { verify: "true" }\n')));
    const outcome = await h.rehearse();
    expect(outcome.steps[0]!.phases).toMatchObject({ rollbackVerify: { status: 'passed' }, stateRestored: { status: 'passed' } });
  });
});

describe('the report', () => {
  it('shows one row per step with each phase and its time, and explains the verdicts that need it', async () => {
    const h = await harness(
      runbookOf(`  - id: a
    run: add a
    verify: has a
    rollback: echo forgot
${goodStep('b')}`),
    );
    const outcome = await h.rehearse();
    const text = renderReport(outcome.steps, { color: false });
    expect(text.split('\n')[0]).toMatch(/^STEP\s+FORWARD\s+VERIFY\s+ROLLBACK\s+ROLLBACK VERIFY\s+STATE RESTORED\s+RE-APPLY\s+TOTAL\s+VERDICT$/);
    expect(text).toMatch(/^a\s+ok 5s\s+ok 1s\s+ok 5s\s+-\s+unknown 1s\s+ok 6s\s+18s\s+rollback unverified$/m);
    expect(text).toMatch(/^b\s+ok 5s\s+ok 1s\s+ok 5s\s+ok 1s\s+-\s+ok 6s\s+18s\s+passed$/m);
    expect(text).toContain('  a: nothing proved the rollback worked');
  });
});
