/**
 * The crash harness in CI: at least 50 SIGKILLs of `run`, `resume` and `rollback`, each
 * followed by unlock + resume until completion, with the checks of crash-harness.ts after
 * every completed run and rollback. Longer campaigns: `npm run torture -- --kills 1000`
 * (test/torture/run.mjs), which runs this file with TORTURE_KILLS / TORTURE_SEED.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { requireBuild, scratch } from '../e2e/helpers.js';
import { runCrashCampaign } from './crash-harness.js';
import { tortureSeed } from './support.js';

beforeAll(requireBuild);

const kills = Number(process.env.TORTURE_KILLS ?? 50);
const seed = tortureSeed();

describe('crash harness', () => {
  it(
    `survives ${kills} SIGKILLs during run and rollback (seed ${seed})`,
    async (context) => {
      const dir = scratch(context);
      const log = (line: string) => console.log(line);
      log(`crash campaign: ${kills} kills, seed ${seed} (replay with TORTURE_SEED=${seed})`);
      const result = await runCrashCampaign({ kills, seed, dir, log });
      console.log(
        `crash campaign (seed ${seed}): survived ${result.kills} kills (${result.killsMidRun} mid-run; ${result.killsInRun} in run/resume, ${result.killsInRollback} in rollback) ` +
          `over ${result.cycles} run+rollback cycles in ${(result.durationMs / 1000).toFixed(1)} s; ${result.unlocks} stale locks cleared, ${result.tornLines} torn lines, ` +
          `${result.repeatedRollbacks} rollback actions re-run after a crash\nkills landed after: ${JSON.stringify(result.landedAfter)}`,
      );
      expect(result.kills, `seed ${seed}`).toBeGreaterThanOrEqual(kills);
      // Most kills must hit a process that was doing work, or the campaign proves little.
      expect(result.killsMidRun, `seed ${seed}: too few kills landed mid-run`).toBeGreaterThanOrEqual(Math.floor(kills * 0.6));
    },
    kills * 4_000 + 60_000,
  );
});
