/**
 * The crash harness in CI: 12 stops (fixed seed) of `run`, `resume`, `rollback` and
 * `rehearse --return` on a 10-step runbook, at most 2 per phase so every phase is hit
 * (SIGKILL mostly; SIGTERM, SIGINT and SIGHUP, which cutover handles, the rest), each
 * followed by unlock (after a kill) and the same command until completion, with the checks
 * of crash-harness.ts after every completed phase, strict about undo-once. This short
 * campaign still catches a step run twice: with resume's verify-first check removed
 * (src/engine/interrupted.ts retrying without asking verify), it fails on "the run did not
 * apply every step exactly once".
 * Longer campaigns (30 steps, up to 8 stops per phase, a fresh seed):
 * `npm run torture -- --kills 1000` (test/torture/run.mjs), which runs this file with
 * TORTURE_LONG / TORTURE_KILLS / TORTURE_SEED.
 *
 * The kills are shared by TORTURE_CAMPAIGNS (default 2) campaigns running side by side in
 * their own directories, with seeds seed, seed+1, …: each waits on its processes most of
 * the time, so two keep both cores of a CI machine busy.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { requireBuild, scratch } from '../e2e/helpers.js';
import type { CrashCampaignResult } from './crash-harness.js';
import { runCrashCampaign } from './crash-harness.js';
import { sized, tortureSeed } from './support.js';

beforeAll(requireBuild);

const kills = Number(process.env.TORTURE_KILLS ?? sized(12, 1000));
const campaigns = Math.max(1, Math.min(kills, Number(process.env.TORTURE_CAMPAIGNS ?? 2)));
const seed = tortureSeed();

describe('crash harness', () => {
  it(
    `survives ${kills} stops (SIGKILL, SIGTERM, SIGINT, SIGHUP) during run, rollback and rehearse (seed ${seed}, ${campaigns} campaigns)`,
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
            steps: sized(10, 30),
            // Spread the stops over run, rollback and rehearse even in a short campaign.
            maxKillsPerPhase: sized(2, 8),
          }),
        ),
      );
      const total = (pick: (result: CrashCampaignResult) => number) => results.reduce((sum, result) => sum + pick(result), 0);
      const landed: Record<string, number> = {};
      for (const result of results) for (const [type, count] of Object.entries(result.landedAfter)) landed[type] = (landed[type] ?? 0) + count;
      console.log(
        `crash harness (seed ${seed}): survived ${total((r) => r.kills)} kills (${total((r) => r.killsMidRun)} mid-run; ` +
          `${total((r) => r.killsInRun)} in run/resume, ${total((r) => r.killsInRollback)} in rollback, ${total((r) => r.killsInRehearse)} in rehearse; ` +
          `handled signals: ${total((r) => r.signalledIn.run)} in run, ${total((r) => r.signalledIn.rollback)} in rollback, ${total((r) => r.signalledIn.rehearse)} in rehearse) ` +
          `over ${total((r) => r.cycles)} checked run+rollback+rehearse cycles ` +
          `in ${(Math.max(...results.map((r) => r.durationMs)) / 1000).toFixed(1)} s; ${total((r) => r.unlocks)} stale locks cleared, ` +
          `${total((r) => r.tornLines)} torn lines, ${total((r) => r.repeatedRollbacks)} rollback actions re-run after a crash\n` +
          `kills landed after: ${JSON.stringify(landed)}`,
      );
      expect(
        total((r) => r.kills),
        `seed ${seed}`,
      ).toBeGreaterThanOrEqual(kills);
      // Most kills must hit a process that was doing work, or the campaign proves little.
      expect(
        total((r) => r.killsMidRun),
        `seed ${seed}: too few kills landed mid-run`,
      ).toBeGreaterThanOrEqual(Math.floor(kills * 0.6));
      // Every campaign reached the rehearsal, and signals landed in rollbacks (a rehearsal rolls back too).
      if (kills >= 12) {
        expect(
          total((r) => r.killsInRehearse),
          `seed ${seed}: no stop landed in a rehearsal`,
        ).toBeGreaterThan(0);
        expect(
          total((r) => r.signalledIn.rollback + r.signalledIn.rehearse),
          `seed ${seed}: no handled signal landed in a rollback`,
        ).toBeGreaterThan(0);
      }
    },
    kills * 4_000 + 60_000,
  );
});
