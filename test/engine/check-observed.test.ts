/** The journal records what metric checks saw, at every evaluation: verify, each watch of a bake, the verdict included. */
import { describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/actions/types.js';
import { MigrationWorld, dns, runbookFrom } from '../helpers/migration-world.js';

describe('check.observed', () => {
  it('journals the value each evaluation saw, for verify and for every watch, passing or not', async () => {
    const world = new MigrationWorld(runbookFrom(dns('dns-10', 90, 10, '    bake: 30m\n    watch: verify\n    onFailure: rollback-step\n')));
    const values = [0.2, 0.4, 0.6, 1.5];
    world.actions.runCheck = async (): Promise<CheckResult> => {
      const value = values.shift() ?? 0;
      const ok = value <= 1;
      return { ok, summary: `p99 was ${value}`, details: [], observations: [{ check: 'CloudWatch p99', value, max: 1, window: 'last 5m', ok }] };
    };
    expect(await world.run({ maxSteps: 1 })).toMatchObject({ state: 'waiting_bake' });
    world.clock.advance(10 * 60_000);
    expect(await world.run()).toMatchObject({ state: 'waiting_bake' });
    world.clock.advance(10 * 60_000);
    expect(await world.run()).toMatchObject({ state: 'rolled_back' });

    const observed = world.events().filter((e) => e.type === 'check.observed');
    expect(observed.map((e) => [e.step, e.data.phase, e.data.ok, e.data.observations.map((o) => o.value)])).toEqual([
      ['dns-10', 'verify', true, [0.2]],
      ['dns-10', 'watch', true, [0.4]],
      ['dns-10', 'watch', true, [0.6]],
      ['dns-10', 'watch', false, [1.5]],
    ]);
    expect(observed[3]?.data.observations[0]).toEqual({ check: 'CloudWatch p99', value: 1.5, max: 1, window: 'last 5m', ok: false });
    // The first run watches once as soon as the step is done: run, watch; then one watch per run.
    // Right after the evaluation, before the verdict's own event.
    const types = world.events().map((e) => e.type);
    expect(types[types.lastIndexOf('check.observed') + 1]).toBe('bake.watch');
  });

  it('checks without values journal nothing extra', async () => {
    const world = new MigrationWorld(runbookFrom(dns('dns-10', 90, 10)));
    expect(await world.run()).toMatchObject({ state: 'completed' });
    expect(world.events().filter((e) => e.type === 'check.observed')).toEqual([]);
  });
});
