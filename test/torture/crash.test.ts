/**
 * The crash harness in CI: at least 50 SIGKILLs of `run`, `resume` and `rollback`, each
 * followed by unlock + resume until completion, with the checks of crash-harness.ts after
 * every completed run and rollback. Longer campaigns: `npm run torture -- --kills 1000`
 * (test/torture/run.mjs), which runs this file with TORTURE_KILLS / TORTURE_SEED.
 *
 * The kills are shared by TORTURE_CAMPAIGNS (default 2) campaigns running side by side in
 * their own directories, with seeds seed, seed+1, …: each waits on its processes most of
 * the time, so two keep both cores of a CI machine busy.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { requireBuild, scratch } from '../e2e/helpers.js';
import type { CrashCampaignResult } from './crash-harness.js';
import { runCrashCampaign } from './crash-harness.js';
import { tortureSeed } from './support.js';

beforeAll(requireBuild);

const kills = Number(process.env.TORTURE_KILLS ?? 50);
const campaigns = Math.max(1, Math.min(kills, Number(process.env.TORTURE_CAMPAIGNS ?? 2)));
const seed = tortureSeed();

describe('crash harness', () => {
  it(
    `survives ${kills} SIGKILLs during run and rollback (seed ${seed}, ${campaigns} campaigns)`,
    async (context) => {
      const log = (line: string) => console.log(line);
      log(`crash campaigns: ${kills} kills over ${campaigns} campaigns, seed ${seed} (replay with TORTURE_SEED=${seed})`);
      const results: CrashCampaignResult[] = await Promise.all(
        Array.from({ length: campaigns }, (_, index) =>
          runCrashCampaign({
            kills: Math.floor(kills / campaigns) + (index < kills % campaigns ? 1 : 0),
            seed: (seed + index) >>> 0,
            dir: scratch(context),
            log,
            // Rollbacks resume verify-first (src/engine/rollback-recovery.ts): each undo runs once.
            strictRollbackOnce: true,
          }),
        ),
      );
      const total = (pick: (result: CrashCampaignResult) => number) => results.reduce((sum, result) => sum + pick(result), 0);
      const landed: Record<string, number> = {};
      for (const result of results) for (const [type, count] of Object.entries(result.landedAfter)) landed[type] = (landed[type] ?? 0) + count;
      console.log(
        `crash harness (seed ${seed}): survived ${total((r) => r.kills)} kills (${total((r) => r.killsMidRun)} mid-run; ` +
          `${total((r) => r.killsInRun)} in run/resume, ${total((r) => r.killsInRollback)} in rollback) over ${total((r) => r.cycles)} checked run+rollback cycles ` +
          `in ${(Math.max(...results.map((r) => r.durationMs)) / 1000).toFixed(1)} s; ${total((r) => r.unlocks)} stale locks cleared, ` +
          `${total((r) => r.tornLines)} torn lines, ${total((r) => r.repeatedRollbacks)} rollback actions re-run after a crash\n` +
          `kills landed after: ${JSON.stringify(landed)}`,
      );
      expect(total((r) => r.kills), `seed ${seed}`).toBeGreaterThanOrEqual(kills);
      // Most kills must hit a process that was doing work, or the campaign proves little.
      expect(total((r) => r.killsMidRun), `seed ${seed}: too few kills landed mid-run`).toBeGreaterThanOrEqual(Math.floor(kills * 0.6));
    },
    kills * 4_000 + 60_000,
  );
});
