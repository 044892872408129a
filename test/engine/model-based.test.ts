/**
 * Model-based property test of the migration state: random sequences of what operators and
 * CI really do (run with --until / --start-at / --max-steps / --accept-changes, a failing verify or
 * action, cutover killed before or after a change, approve, rollback --to / --last, an
 * edited step, weights changed by hand and put back, a run from a second journal, time
 * passing), on the in-process engine. After every command (and at every change sent to
 * AWS) it checks:
 *
 * - a change is only ever sent while live weights equal what the journal says was last
 *   applied (so live traffic equals the journal, or the next mutating command stops);
 * - a complete rollback leaves the target exactly as it was before the first step;
 * - what plan / status call "next" (whatNext) is what run does, and run stays within
 *   --until / --max-steps;
 * - no undo runs twice.
 *
 * `npm test` runs a fixed seed; CUTOVER_PROPERTY_RUNS=2000 (and CUTOVER_PROPERTY_SEED)
 * give a longer campaign.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildStatus } from '../../src/cli/views/status.js';
import { whatNext } from '../../src/engine/next.js';
import type { NextOptions } from '../../src/engine/next.js';
import { buildPlan } from '../../src/engine/plan.js';
import { rollbackCandidates } from '../../src/engine/rollback.js';
import type { JournalEvent } from '../../src/journal/events.js';
import { replay } from '../../src/journal/replay.js';
import type { Runbook } from '../../src/runbook/types.js';
import { DNS } from '../helpers/fake-traffic.js';
import { MigrationWorld, dns, runbookFrom, shell } from '../helpers/migration-world.js';

const BASELINE = { onprem: 100, aws: 0 };
const GO = '  - id: go\n    run: { manual: "look at the dashboards" }\n    rollback: none\n    irreversible: an approval has nothing to undo\n';

function runbookWith(dns50: [number, number]): Runbook {
  return runbookFrom([shell('prep'), dns('dns-10', 90, 10), dns('dns-50', dns50[0], dns50[1], '    bake: 10m\n'), GO, dns('dns-100', 0, 100)].join(''));
}

const STEP_IDS = ['prep', 'dns-10', 'dns-50', 'go', 'dns-100'];

type Command =
  | { kind: 'run'; until?: string; startAt?: string; maxSteps?: number; acceptChanges: boolean }
  | { kind: 'fail-verify' }
  | { kind: 'fail-action' }
  | { kind: 'crash'; op: 'apply' | 'restore'; afterChange: boolean }
  | { kind: 'approve' }
  | { kind: 'rollback'; to?: string; last?: number; failedSteps: 'rollback' | 'skip' }
  | { kind: 'edit' }
  | { kind: 'hand'; aws: number }
  | { kind: 'fix' }
  | { kind: 'time'; minutes: number }
  | { kind: 'elsewhere' };

const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('run' as const),
      until: fc.option(fc.constantFrom(...STEP_IDS), { nil: undefined }),
      startAt: fc.option(fc.constantFrom(...STEP_IDS), { nil: undefined, freq: 4 }),
      maxSteps: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
      acceptChanges: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.constant({ kind: 'fail-verify' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'fail-action' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('crash' as const), op: fc.constantFrom('apply' as const, 'restore' as const), afterChange: fc.boolean() }),
  },
  { weight: 2, arbitrary: fc.constant({ kind: 'approve' as const }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('rollback' as const),
      to: fc.option(fc.constantFrom(...STEP_IDS), { nil: undefined }),
      last: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
      failedSteps: fc.constantFrom('rollback' as const, 'skip' as const),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'edit' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('hand' as const), aws: fc.integer({ min: 0, max: 100 }) }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'fix' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('time' as const), minutes: fc.integer({ min: 1, max: 15 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'elsewhere' as const }) },
);

/** What the journal says the target should be at: what was left, or a change that may have gone through. */
function expectedWeights(events: readonly JournalEvent[]): Record<string, number>[] | undefined {
  const note = replay(events).targets.get(DNS);
  return note && [note.left.weights, ...(note.unconfirmed ? [note.unconfirmed.weights] : []), ...(note.earlier ?? [])];
}

const same = (a: Record<string, number>, b: Record<string, number>) => JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());

class Checker {
  readonly world = new MigrationWorld(runbookWith([50, 50]), BASELINE);
  /** A hand change or another journal's run moved traffic since the last fix. */
  drifted = false;
  edited = false;
  readonly log: string[] = [];

  constructor() {
    // Every change sent to AWS: live must be what the journal of the command says (the drift guard held).
    const traffic = this.world.traffic;
    for (const op of ['apply', 'restore'] as const) {
      const original = traffic[op].bind(traffic) as (...args: never[]) => Promise<unknown>;
      (traffic as unknown as Record<string, unknown>)[op] = async (...args: never[]) => {
        const events = this.world.events();
        // The intent a change journals just before it (a capture, a rollback's restores) is not what the journal knew before.
        const known = ['step.captured', 'rollback.started'].includes(events.at(-1)?.type ?? '') ? events.slice(0, -1) : events;
        const expected = expectedWeights(known);
        const live = this.world.live();
        const retryingRestore = op === 'restore' && expected !== undefined;
        if (expected && !expected.some((w) => same(w, live))) {
          // A retried rollback finds its own restore already done: the weights equal the capture.
          const captured = (args[0] as { weights?: Record<string, number> } | undefined)?.weights;
          if (!(retryingRestore && captured && same(captured, live))) {
            throw new Error(`${op} sent while live ${JSON.stringify(live)} differs from the journal's ${JSON.stringify(expected)}\n${this.log.join('\n')}`);
          }
        }
        return original(...args);
      };
    }
  }

  async apply(cmd: Command): Promise<void> {
    const world = this.world;
    this.log.push(JSON.stringify(cmd));
    switch (cmd.kind) {
      case 'run':
        await this.run({ until: cmd.until, startAt: cmd.startAt, maxSteps: cmd.maxSteps, acceptChanges: cmd.acceptChanges });
        return;
      case 'fail-verify':
        world.failNextVerify = true;
        return;
      case 'fail-action':
        world.failNextAction = true;
        return;
      case 'crash':
        world.crashNext = { op: cmd.op, afterChange: cmd.afterChange };
        return;
      case 'approve':
        await world.approve('go');
        return;
      case 'rollback': {
        const outcome = await world.rollback({ to: cmd.to, last: cmd.last, failedSteps: cmd.failedSteps });
        this.log.push(`  -> ${JSON.stringify(outcome)}`);
        const complete = cmd.to === undefined && cmd.last === undefined && cmd.failedSteps === 'rollback';
        if (complete && typeof outcome === 'object' && (outcome.state === 'rolled_back' || outcome.state === 'nothing_to_roll_back') && !this.drifted) {
          expect(rollbackCandidates(world.state()), this.log.join('\n')).toEqual([]);
          expect(world.live(), `a complete rollback restores the baseline\n${this.log.join('\n')}`).toEqual(BASELINE);
        }
        return;
      }
      case 'edit':
        this.edited = !this.edited;
        world.runbook = runbookWith(this.edited ? [40, 60] : [50, 50]);
        return;
      case 'hand':
        world.handChange({ onprem: 100 - cmd.aws, aws: cmd.aws });
        this.drifted = true;
        return;
      case 'fix': {
        const expected = expectedWeights(world.events());
        world.handChange(expected?.[0] ?? BASELINE);
        this.drifted = false;
        return;
      }
      case 'time':
        world.clock.advance(cmd.minutes * 60_000);
        return;
      case 'elsewhere': {
        const outcome = await world.elsewhere(() => world.run({ maxSteps: 1 }));
        this.log.push(`  -> elsewhere ${JSON.stringify(outcome)}`);
        if (!same(world.live(), expectedWeights(world.events())?.[0] ?? BASELINE)) this.drifted = true;
        return;
      }
    }
  }

  private async run(options: NextOptions): Promise<void> {
    const world = this.world;
    const state = world.state();
    const now = world.clock.now().getTime();
    const next = whatNext(world.runbook.steps, state, options, now);
    // plan and status read the same function: they must name the same next step.
    expect(buildPlan(world.runbook, state, options, now).next).toBe(next.next);
    expect(buildStatus(world.runbook, state, 'memory', now).next).toBe(whatNext(world.runbook.steps, state, {}, now).next);
    const before = world.events().length;
    const outcome = await world.run(options);
    this.log.push(`  -> ${typeof outcome === 'string' ? outcome : JSON.stringify(outcome)}`);
    const fresh = world.events().slice(before);
    const context = this.log.join('\n');
    // --start-at: the steps whatNext named are journaled as skipped first, and only steps that left nothing applied.
    const startSkips = fresh.filter((e) => e.type === 'step.skipped' && e.data.reason.startsWith('--start-at '));
    expect(
      startSkips.map((e) => e.step),
      context,
    ).toEqual(next.refusal ? [] : next.skipped);
    for (const id of next.skipped) expect(state.steps.get(id)?.effect ?? 'none', context).toBe('none');
    const stepEvents = fresh.filter((e) => ['step.started', 'step.skipped', 'step.interrupted', 'step.succeeded'].includes(e.type) && !startSkips.includes(e));
    if (next.refusal) {
      // `--until` a done step still watches an open bake window (and acts on a failing watch).
      const allowed =
        next.refusal.kind === 'until-done' && next.bake
          ? ['up_to_date', 'waiting_bake', 'rolled_back', 'failed', 'rollback_failed', 'advanced', 'completed']
          : ['refused', 'failed', 'up_to_date'];
      expect(typeof outcome === 'object' && allowed.includes(outcome.state), context).toBe(true);
      expect(stepEvents, context).toEqual([]);
      return;
    }
    if (stepEvents.length > 0) expect(stepEvents[0]?.step, `run acts first on what plan called next\n${context}`).toBe(next.next);
    else if (next.next !== undefined && typeof outcome === 'object') {
      const named = 'next' in outcome ? outcome.next : 'step' in outcome ? outcome.step : undefined;
      expect([next.next, next.bake?.step], context).toContain(named);
    }
    // Bounds: nothing past --until, at most --max-steps steps.
    const started = [...new Set(fresh.filter((e) => e.type === 'step.started').map((e) => e.step as string))];
    for (const id of started) expect(next.scope, `${id} is outside the run's scope\n${context}`).toContain(id);
    if (options.maxSteps !== undefined) expect(started.length, context).toBeLessThanOrEqual(options.maxSteps);
  }

  /** No undo ran twice: between two successful rollbacks of a step, the step ran again; the shell ledger agrees. */
  checkUndoOnce(): void {
    const undone = new Set<string>();
    for (const event of this.world.events()) {
      if (!event.step) continue;
      if (event.type === 'step.started') undone.delete(event.step);
      if (event.type === 'rollback.succeeded') {
        expect(undone.has(event.step), `${event.step} rolled back twice\n${this.log.join('\n')}`).toBe(false);
        undone.add(event.step);
      }
    }
    // The shell ledger agrees: prep was undone at most once per start of it (a failed action
    // may have applied part of it, so its rollback is legitimate without an "apply prep" entry).
    const undos = this.world.ledger.filter((entry) => entry === 'undo prep').length;
    const starts = this.world.events().filter((e) => e.type === 'step.started' && e.step === 'prep').length;
    expect(undos, `undo prep ran more often than prep started\n${this.log.join('\n')}`).toBeLessThanOrEqual(starts);
  }

  /** Live traffic equals what the journal says was last applied, unless someone moved it (then the next change stops). */
  checkLive(): void {
    if (this.drifted) return;
    const expected = expectedWeights(this.world.events()) ?? [BASELINE];
    const live = this.world.live();
    expect(
      expected.some((w) => same(w, live)),
      `live ${JSON.stringify(live)} is not what the journal says (${JSON.stringify(expected)})\n${this.log.join('\n')}`,
    ).toBe(true);
  }
}

const runs = Number(process.env.CUTOVER_PROPERTY_RUNS ?? 400);
const seed = Number(process.env.CUTOVER_PROPERTY_SEED ?? 20261204);

describe('the migration state under random command sequences', () => {
  it('keeps traffic where the journal says, undoes once, and run does what plan says', { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 30 }), async (commands) => {
        const checker = new Checker();
        for (const cmd of commands) {
          await checker.apply(cmd);
          checker.checkLive();
          checker.checkUndoOnce();
        }
      }),
      { numRuns: runs, seed },
    );
  });
});
