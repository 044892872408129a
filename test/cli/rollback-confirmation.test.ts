/** The list `cutover rollback` prints before asking: each step, what its undo does, the weights a restore puts back. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { previewSteps, rollbackConfirmation } from '../../src/cli/views/rollback-preview.js';
import { planRollback } from '../../src/engine/rollback.js';
import { runRunbook } from '../../src/engine/run.js';
import { replay } from '../../src/journal/replay.js';
import { loadRunbookText } from '../../src/runbook/load.js';
import { fakeClock } from '../../src/support/clock.js';
import { testEngineContext } from '../helpers/engine-context.js';
import { DNS, FakeTraffic, RecordingStore } from '../helpers/fake-traffic.js';

const logDir = mkdtempSync(path.join(tmpdir(), 'cutover-rollback-confirm-'));
afterAll(() => rmSync(logDir, { recursive: true, force: true }));

const TEXT = `cutover: 1
name: confirm
defaults: { confirm: false, onFailure: stop }
steps:
  - id: dns-1
    run:
      route53: { zone: ZAPP, name: app.example.com., type: A, weights: { onprem: 90, aws: 10 } }
  - id: migrate
    run: ./migrate.sh
    rollback: |
      ./undo.sh
      ./cleanup.sh
  - id: dns-2
    run:
      route53: { zone: ZAPP, name: app.example.com., type: A, weights: { onprem: 75, aws: 25 } }
`;

describe('rollback confirmation', () => {
  it('lists each step newest first with its undo and the captured weights it restores', async () => {
    const loaded = loadRunbookText('confirm.yaml', TEXT, { env: {} });
    if (!loaded.ok) throw new Error(loaded.diagnostics.map((d) => d.message).join('\n'));
    const traffic = new FakeTraffic();
    traffic.store = new RecordingStore();
    traffic.live.set(DNS, { aws: 0, onprem: 100 });
    const { ctx, journal } = await testEngineContext({
      runbook: loaded.runbook,
      store: traffic.store,
      clock: fakeClock(),
      actions: {
        runAction: async () => ({ ok: true as const, tail: [], durationMs: 1 }),
        runCheck: async () => ({ ok: true, summary: 'passed', details: [] }),
      },
      logDir,
      overrides: { traffic },
    });
    expect((await runRunbook(ctx, { command: 'run' })).state).toBe('completed');
    const state = replay(journal.events);
    const plan = planRollback(
      state,
      loaded.runbook.steps.map((s) => s.id),
      {},
    );
    if (!plan.ok) throw new Error(plan.reason);
    const calls = traffic.calls.length;
    const { lines, question } = rollbackConfirmation(await previewSteps(state, plan.steps, undefined));
    expect(traffic.calls.length).toBe(calls); // the journaled captures only: no live read
    expect(lines).toEqual([
      'Rollback of 3 step(s), newest first:',
      '  1. dns-2: put back the weights captured before the change',
      '     app.example.com. A in ZAPP: restore onprem 90, aws 10',
      '  2. migrate: ./undo.sh ⏎ ./cleanup.sh',
      '  3. dns-1: put back the weights captured before the change',
      '     app.example.com. A in ZAPP: restore onprem 100, aws 0',
    ]);
    expect(question).toBe('Roll back these 3 steps?');
  });

  it('asks about "this step" for one, and shows an unavailable capture as such', () => {
    const { lines, question } = rollbackConfirmation([
      { id: 'dns-1', undo: 'put back the weights captured before the change', traffic: { error: 'zone gone' } },
    ]);
    expect(lines[2]).toBe('     weights unavailable: zone gone');
    expect(question).toBe('Roll back this step?');
  });
});
