/**
 * Canary bake windows across separate `run` invocations (the CI canary), in-process on the
 * injected clock: each run opens the journal afresh, as a new CI job would, and the window
 * is measured from the journaled success time, to the millisecond. The spawned-CLI version
 * (test/e2e/canary.test.ts) keeps one short bake to prove the same across processes.
 */
import { describe, expect, it } from 'vitest';
import { MigrationWorld, runbookFrom, shell } from '../helpers/migration-world.js';

const BAKE = '    bake: 5m\n    watch: verify\n';
const MINUTE = 60_000;

describe('bake windows across separate runs, on the injected clock', () => {
  it('successive runs advance, wait (11), then advance again exactly as the bake windows allow', async () => {
    const world = new MigrationWorld(runbookFrom([shell('a', BAKE), shell('b', BAKE), shell('c'), shell('d')].join('')));
    const watches = () =>
      world
        .events()
        .filter((e) => e.type === 'bake.watch')
        .map((e) => [e.step, e.data.ok]);
    const started = world.clock.now().getTime();

    expect(await world.run()).toEqual({
      state: 'waiting_bake',
      stepsRun: ['a'],
      step: 'a',
      next: 'b',
      waitUntil: new Date(started + 5 * MINUTE).toISOString(),
    });
    expect(world.ledger).toEqual(['apply a']);

    // A run inside the window changes nothing but watches again, journaled.
    world.clock.advance(5 * MINUTE - 1);
    expect(await world.run()).toMatchObject({ state: 'waiting_bake', stepsRun: [], step: 'a', next: 'b' });
    expect(world.ledger).toEqual(['apply a']);
    expect(watches()).toEqual([
      ['a', true],
      ['a', true],
    ]);

    // The window closes 5 minutes after step a's journaled success, not after the last run.
    world.clock.advance(1);
    expect(await world.run()).toMatchObject({ state: 'waiting_bake', stepsRun: ['b'], step: 'b', next: 'c' });
    expect(world.ledger).toEqual(['apply a', 'apply b']);

    world.clock.advance(5 * MINUTE);
    expect(await world.run({ maxSteps: 1 })).toMatchObject({ state: 'advanced', stepsRun: ['c'], next: 'd' });
    expect(await world.run()).toEqual({ state: 'completed', stepsRun: ['d'] });
    expect(world.ledger).toEqual(['apply a', 'apply b', 'apply c', 'apply d']);
  });

  it('a watch that fails inside the window rolls the step back by itself (onFailure: rollback-step)', async () => {
    const world = new MigrationWorld(runbookFrom([shell('a', `${BAKE}    onFailure: rollback-step\n`), shell('b')].join('')));
    expect(await world.run()).toMatchObject({ state: 'waiting_bake', step: 'a' });
    world.clock.advance(2 * MINUTE);
    world.failNextVerify = true;
    expect(await world.run()).toMatchObject({ state: 'rolled_back', steps: ['a'] });
    expect(world.ledger).toEqual(['apply a', 'undo a']);
    expect(
      world
        .events()
        .filter((e) => e.type === 'bake.watch')
        .map((e) => e.data.ok),
    ).toEqual([true, false]);
  });
});
