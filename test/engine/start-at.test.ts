/**
 * `run --start-at ID`: the pending steps before ID are journaled as skipped (by whom, and
 * "--start-at ID" as the reason), and the run starts at ID. whatNext refuses it, before
 * anything is journaled, when a step it would skip may have left something applied.
 */
import { describe, expect, it } from 'vitest';
import { whatNext } from '../../src/engine/next.js';
import { MigrationWorld, dns, runbookFrom, shell } from '../helpers/migration-world.js';

const four = () => runbookFrom(['a', 'b', 'c', 'd'].map((id) => shell(id)).join(''));
const MANUAL = '  - id: go\n    run: { manual: "look at the dashboards" }\n    rollback: none\n    irreversible: nothing to undo\n';

describe('run --start-at', () => {
  it('journals each earlier pending step as skipped, with who and why, then runs from the step', async () => {
    const world = new MigrationWorld(four());
    expect(await world.run({ startAt: 'c' })).toEqual({ state: 'completed', stepsRun: ['c', 'd'] });
    expect(world.ledger).toEqual(['apply c', 'apply d']);
    const skipped = world.events().filter((e) => e.type === 'step.skipped');
    expect(skipped.map((e) => [e.step, e.data])).toEqual([
      ['a', { reason: '--start-at c' }],
      ['b', { reason: '--start-at c' }],
    ]);
    expect(skipped.every((e) => e.by !== '')).toBe(true);
    expect(world.events().find((e) => e.type === 'run.started')?.data.options).toMatchObject({ startAt: 'c' });
    expect(world.state().steps.get('a')?.state).toBe('skipped');
  });

  it('skips only what is pending: done steps stay as they are, and --until still bounds the run', async () => {
    const world = new MigrationWorld(four());
    await world.run({ until: 'a' });
    expect(await world.run({ startAt: 'c', until: 'c' })).toMatchObject({ state: 'advanced', stepsRun: ['c'], next: 'd' });
    expect(
      world
        .events()
        .filter((e) => e.type === 'step.skipped')
        .map((e) => e.step),
    ).toEqual(['b']);
    expect(world.ledger).toEqual(['apply a', 'apply c']);
  });

  const refusals: {
    name: string;
    setup: (world: MigrationWorld) => Promise<unknown>;
    startAt: string;
    until?: string;
    reason: string;
    runbook?: () => ReturnType<typeof four>;
  }[] = [
    {
      name: 'an unknown step, with a did-you-mean',
      setup: async () => undefined,
      startAt: 'cc',
      reason: '--start-at cc: no such step (did you mean c?); "cutover plan migration.yaml" lists the steps',
    },
    {
      name: 'a step that is done already',
      setup: (world) => world.run({ until: 'b' }),
      startAt: 'a',
      reason: '--start-at a: that step is done already (succeeded); the next step is c ("cutover run migration.yaml")',
    },
    {
      name: 'a start after --until',
      setup: async () => undefined,
      startAt: 'c',
      until: 'b',
      reason: '--start-at c comes after --until b: nothing would run; "cutover plan migration.yaml" lists the steps in order',
    },
    {
      name: 'skipping a step that failed in its action (its effect is unknown)',
      setup: async (world) => {
        world.failNextAction = true;
        return world.run();
      },
      startAt: 'c',
      reason:
        '--start-at c would skip a, which is failed and may have left changes applied; resolve it first ("cutover resume migration.yaml" judges it by its verify or runs it again; "cutover rollback migration.yaml" undoes it)',
    },
    {
      name: 'skipping a manual go/no-go',
      runbook: () => runbookFrom([shell('a'), MANUAL, shell('c')].join('')),
      setup: async () => undefined,
      startAt: 'c',
      reason:
        '--start-at c would skip go, a manual go/no-go step, which a flag does not answer; run it (approve it for an unattended run) or skip it at the prompt (asks why)',
    },
    {
      name: 'skipping a step marked skippable: false',
      runbook: () => runbookFrom([shell('a', '    skippable: false\n'), shell('c')].join('')),
      setup: async () => undefined,
      startAt: 'c',
      reason: '--start-at c would skip a, which is marked skippable: false in the runbook; run it first',
    },
  ];
  for (const testCase of refusals) {
    it(`refuses ${testCase.name}, journaling nothing`, async () => {
      const world = new MigrationWorld((testCase.runbook ?? four)());
      await testCase.setup(world);
      const before = world.events().length;
      const ledger = world.ledger.length;
      expect(await world.run({ startAt: testCase.startAt, ...(testCase.until ? { until: testCase.until } : {}) })).toEqual({
        state: 'refused',
        stepsRun: [],
        reason: testCase.reason,
      });
      expect(world.events().length).toBe(before);
      expect(world.ledger.length).toBe(ledger);
    });
  }

  it('never skips a traffic step cutover was killed in (running, its change may be live)', async () => {
    const world = new MigrationWorld(runbookFrom([dns('dns-10', 90, 10), dns('dns-50', 50, 50), dns('dns-100', 0, 100)].join('')));
    world.crashNext = { op: 'apply', afterChange: true };
    expect(await world.run()).toBe('crashed');
    const plan = whatNext(world.runbook.steps, world.state(), { startAt: 'dns-100' }, world.clock.now().getTime());
    expect(plan.refusal).toMatchObject({ kind: 'start-at-blocked', blocker: 'dns-10', why: 'effect', state: 'running' });
    expect(world.live()).toEqual({ onprem: 90, aws: 10 });
  });

  it('skips a step that was rolled back (its effect is undone)', async () => {
    const world = new MigrationWorld(four());
    await world.run({ until: 'a' });
    expect(await world.rollback()).toMatchObject({ state: 'rolled_back' });
    expect(await world.run({ startAt: 'b', until: 'b' })).toMatchObject({ state: 'advanced', stepsRun: ['b'] });
    expect(world.state().steps.get('a')?.state).toBe('skipped');
  });
});
