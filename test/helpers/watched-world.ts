/** A migration whose baking step is watched by a metric check: values 0.4, none, 0.6, 1.5 over its bake (for report tests). */
import type { CheckResult } from '../../src/actions/types.js';
import { MigrationWorld, dns, runbookFrom } from './migration-world.js';

export async function bakedWorld(): Promise<MigrationWorld> {
  const world = new MigrationWorld(runbookFrom(dns('dns-10', 90, 10, '    bake: 30m\n    watch: verify\n    onFailure: rollback-step\n')));
  const values: (number | null)[] = [0.2, 0.4, null, 0.6, 1.5];
  world.actions.runCheck = async (): Promise<CheckResult> => {
    const value = values.length > 0 ? (values.shift() as number | null) : 0;
    // No value counts as a pass here, as with noData: pass.
    const ok = value === null || value <= 1;
    return { ok, summary: `p99 was ${value}`, details: [], observations: [{ check: 'CloudWatch p99 <latency>', value, max: 1, window: 'last 5m', ok }] };
  };
  // verify 0.2 and the first watch 0.4; then one watch per run, 9 minutes apart (within the 30m bake).
  await world.run({ maxSteps: 1 });
  for (let i = 0; i < 3; i++) {
    world.clock.advance(9 * 60_000);
    await world.run();
  }
  return world;
}
