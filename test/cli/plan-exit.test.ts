/** `plan --detailed-exitcode`: the code from the plan (0 nothing to do, 2 pending, 1 a failed live read or a refusal). */
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/cli/exit.js';
import { planExitCode } from '../../src/cli/handlers/plan.js';
import { buildPlan } from '../../src/engine/plan.js';
import { MigrationWorld, dns, runbookFrom } from '../helpers/migration-world.js';

const canary = (aws10 = 10) => runbookFrom([dns('dns-10', 100 - aws10, aws10), dns('dns-100', 0, 100)].join(''));

describe('plan --detailed-exitcode', () => {
  const cases: { name: string; setup: (world: MigrationWorld) => Promise<unknown>; liveError?: boolean; code: number }[] = [
    { name: 'a fresh journal: steps pending', setup: async () => undefined, code: ExitCode.planPending },
    { name: 'every step done', setup: (world) => world.run(), code: ExitCode.ok },
    { name: 'a live read failed', setup: async () => undefined, liveError: true, code: ExitCode.stepFailed },
    {
      name: 'run would refuse (a completed step changed)',
      setup: async (world) => {
        await world.run({ until: 'dns-10' });
        world.runbook = canary(15);
      },
      code: ExitCode.stepFailed,
    },
    {
      name: 'an interrupted step to resolve',
      setup: async (world) => {
        world.crashNext = { op: 'apply', afterChange: true };
        await world.run();
      },
      code: ExitCode.planPending,
    },
  ];
  for (const testCase of cases) {
    it(`${testCase.name}: exit ${testCase.code}`, async () => {
      const world = new MigrationWorld(canary());
      await testCase.setup(world);
      const plan = buildPlan(world.runbook, world.state(), {}, world.clock.now().getTime());
      if (testCase.liveError) {
        const step = plan.steps[0];
        if (step) step.traffic = { error: 'reading app.example.com. A in ZAPP: throttled' };
      }
      expect(planExitCode(plan)).toBe(testCase.code);
    });
  }
  it('2 is "pending" only under the flag: every other 2 becomes 1 there', () => {
    expect(ExitCode.planPending).toBe(2);
    expect(ExitCode.invalid).toBe(2);
  });
});
