/** A check retried with retryFor says how it is going after each failed attempt, instead of a silent minute. */
import { describe, expect, it } from 'vitest';
import { withRetry } from '../../src/actions/retry.js';
import { executionFor } from '../../src/engine/execution.js';
import type { EngineNotice } from '../../src/engine/reporter.js';
import { fakeClock } from '../../src/support/clock.js';
import { testContext } from './helpers.js';
import { MigrationWorld, runbookFrom, shell } from '../helpers/migration-world.js';

describe('retryFor progress', () => {
  it('reports attempt n, the last result and the time left after each failure, not after the last', async () => {
    const clock = fakeClock();
    const lines: string[] = [];
    let n = 0;
    const result = await withRetry({ forMs: 60_000, intervalMs: 25_000 }, { ...testContext({ clock }), onProgress: (line) => lines.push(line) }, async () => {
      n += 1;
      return { ok: false, summary: `replica lag ${n * 10}s`, details: [] };
    });
    expect(result.ok).toBe(false);
    expect(lines).toEqual([
      'attempt 1 failed (replica lag 10s); next try in 25s, 1m left of retryFor 1m',
      'attempt 2 failed (replica lag 20s); next try in 25s, 35s left of retryFor 1m',
      'attempt 3 failed (replica lag 30s); next try in 10s, 10s left of retryFor 1m',
    ]);
  });

  it('reaches the terminal as an info notice of the step, with the phase, secrets masked', async () => {
    const world = new MigrationWorld(runbookFrom(shell('verify-db')));
    const ctx = await world.context();
    const notices: EngineNotice[] = [];
    ctx.reporter = { notify: (notice) => notices.push(notice) };
    ctx.masker = { ...ctx.masker, text: (text: string) => text.replaceAll('hunter2', '***') };
    const step = world.runbook.steps[0];
    if (!step) throw new Error('no step');
    executionFor(ctx, step, 1, 'verify').onProgress?.('attempt 1 failed (password hunter2 rejected); next try in 10s, 50s left of retryFor 1m');
    expect(notices).toEqual([
      { kind: 'info', step: 'verify-db', message: 'verify: attempt 1 failed (password *** rejected); next try in 10s, 50s left of retryFor 1m' },
    ]);
  });
});
