/**
 * Canary steps from CI (CI=true, no TTY): bake windows measured from the journaled success
 * time across separate invocations, watches journaled on every invocation, a failing watch
 * rolling the step back by itself and blocking later runs until approved, manual steps
 * waiting for `approve` (an approval of an edited step does not count), and every
 * --detailed-exitcode value.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, cliEnv, describeResult, journalPath, readJournal, readLedger, requireBuild, scratch, writeLedgerRunbook } from './helpers.js';

requireBuild();

const ci = { env: cliEnv({ CI: 'true' }) };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('canary steps from CI', () => {
  // The window arithmetic step by step, to the millisecond, is in test/engine/canary.test.ts
  // (injected clock); here one short bake proves it holds across separate processes.
  it('successive runs wait (11) while a bake window is open, watching each time, then advance (10, 0)', async (context) => {
    const dir = scratch(context);
    writeFileSync(path.join(dir, 'healthy'), '');
    // Long enough for two more invocations inside the window on a loaded CI machine.
    writeLedgerRunbook(dir, [{ bake: '8s', watch: `test -f \${dir}/healthy` }, {}, {}]);
    const run = () => cli(['run', '--detailed-exitcode', '--json', 'runbook.yaml'], { cwd: dir, ...ci });
    const summary = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;

    const first = await run();
    expect(first.code, describeResult(first)).toBe(11);
    expect(summary(first.stdout)).toMatchObject({ state: 'waiting_bake', stepsRun: ['step-1'], step: 'step-1', next: 'step-2', exitCode: 11 });
    const waitUntil = Date.parse(summary(first.stdout).waitUntil as string);
    const succeeded = Date.parse(readJournal(journalPath(dir)).find((e) => e.type === 'step.succeeded')!.ts);
    // Measured from the step's success (the journaled time, a few milliseconds apart).
    expect(Math.abs(waitUntil - (succeeded + 8_000))).toBeLessThan(200);

    const again = await run();
    expect(again.code, describeResult(again)).toBe(11);
    expect(readLedger(dir)).toEqual(['step-1']);
    expect(
      readJournal(journalPath(dir))
        .filter((e) => e.type === 'bake.watch')
        .map((e) => [e.step, e.data.ok]),
    ).toEqual([
      ['step-1', true],
      ['step-1', true],
    ]);
    const status = await cli(['status', 'runbook.yaml'], { cwd: dir, ...ci });
    expect(status.stdout).toContain('wait: step-1 is baking until');

    await sleep(Math.max(0, waitUntil - Date.now() + 50));
    const limited = await cli(['run', '--detailed-exitcode', '--max-steps', '1', 'runbook.yaml'], { cwd: dir, ...ci });
    expect(limited.code, describeResult(limited)).toBe(10);
    const last = await run();
    expect(last.code, describeResult(last)).toBe(0);
    expect(summary(last.stdout)).toMatchObject({ state: 'completed', stepsRun: ['step-3'] });
    expect(readLedger(dir)).toEqual(['step-1', 'step-2', 'step-3']);
  });

  it('a failing watch during the bake rolls the step back by itself, and later runs do not advance until approved', async (context) => {
    const dir = scratch(context);
    writeLedgerRunbook(dir, [{ bake: '1h', watch: `test -f \${dir}/healthy`, onFailure: 'rollback-step' }, {}]);
    const run = await cli(['run', '--detailed-exitcode', 'runbook.yaml'], { cwd: dir, ...ci });
    expect(run.code, describeResult(run)).toBe(1);
    expect(readLedger(dir)).toEqual(['step-1', 'undo-1']);
    const events = readJournal(journalPath(dir));
    expect(events.filter((e) => e.type === 'bake.watch').map((e) => e.data.ok)).toEqual([false]);
    expect(events.some((e) => e.type === 'rollback.succeeded' && e.step === 'step-1')).toBe(true);

    const later = await cli(['run', '--detailed-exitcode', 'runbook.yaml'], { cwd: dir, ...ci });
    expect(later.code, describeResult(later)).toBe(1);
    expect(later.stderr).toContain('the watch of step-1 failed during its bake');
    expect(readLedger(dir)).toEqual(['step-1', 'undo-1']);

    const approve = await cli(['approve', 'runbook.yaml', 'step-1', '--note', 'fixed the health endpoint'], { cwd: dir, ...ci });
    expect(approve.code, describeResult(approve)).toBe(0);
    writeFileSync(path.join(dir, 'healthy'), '');
    const resumed = await cli(['run', '--detailed-exitcode', 'runbook.yaml'], { cwd: dir, ...ci });
    expect(resumed.code, describeResult(resumed)).toBe(11);
    expect(readLedger(dir)).toEqual(['step-1', 'undo-1', 'step-1']);
  });

  it('cutover watch journals the watch of a baking step (and acts on it); status only reads and refuses --check', async (context) => {
    const dir = scratch(context);
    writeFileSync(path.join(dir, 'healthy'), '');
    writeLedgerRunbook(dir, [{ bake: '1h', watch: `test -f \${dir}/healthy`, onFailure: 'stop' }, {}]);
    expect((await cli(['run', 'runbook.yaml'], { cwd: dir, ...ci })).code).toBe(0);
    const ok = await cli(['watch', 'runbook.yaml'], { cwd: dir, ...ci });
    expect(ok.code, describeResult(ok)).toBe(0);
    expect(ok.stderr).toContain('the watch of step-1 passed');
    const before = readJournal(journalPath(dir)).length;
    const refused = await cli(['status', '--check', 'runbook.yaml'], { cwd: dir, ...ci });
    expect(refused.code, describeResult(refused)).toBe(2);
    expect(refused.stderr).toContain(
      'status only reads the journal; to evaluate the watch of a baking step (and apply its onFailure, which may roll back) run "cutover watch runbook.yaml"',
    );
    expect(readJournal(journalPath(dir)).length, 'status --check wrote nothing').toBe(before);
    const { rmSync } = await import('node:fs');
    rmSync(path.join(dir, 'healthy'));
    const bad = await cli(['watch', 'runbook.yaml'], { cwd: dir, ...ci });
    expect(bad.code, describeResult(bad)).toBe(1);
    expect(
      readJournal(journalPath(dir))
        .filter((e) => e.type === 'bake.watch')
        .map((e) => e.data.ok),
    ).toEqual([true, true, false]);
    const status = await cli(['status', 'runbook.yaml'], { cwd: dir, ...ci });
    expect(status.stdout).toContain('WATCH FAILED');
  });

  it('a manual step waits for approval (12); an approval of an edited step does not count', async (context) => {
    const dir = scratch(context);
    const manual = { run: { manual: 'Check the dashboard' }, verify: null, rollback: 'none', irreversible: 'nothing to undo' };
    writeLedgerRunbook(dir, [{}, { id: 'gate', ...manual }, {}]);
    const first = await cli(['run', '--detailed-exitcode', 'runbook.yaml'], { cwd: dir, ...ci });
    expect(first.code, describeResult(first)).toBe(12);
    expect((await cli(['approve', 'runbook.yaml', 'gate'], { cwd: dir, ...ci })).code).toBe(0);
    // The gate is edited after the approval: its digest changes, so the approval no longer counts.
    writeLedgerRunbook(dir, [{}, { id: 'gate', ...manual, run: { manual: 'Check the dashboard AND the pager' } }, {}]);
    const edited = await cli(['run', '--detailed-exitcode', 'runbook.yaml'], { cwd: dir, ...ci });
    expect(edited.code, describeResult(edited)).toBe(12);
    expect(readLedger(dir)).toEqual(['step-1']);
    expect((await cli(['approve', 'runbook.yaml', 'gate'], { cwd: dir, ...ci })).code).toBe(0);
    const done = await cli(['run', '--detailed-exitcode', 'runbook.yaml'], { cwd: dir, ...ci });
    expect(done.code, describeResult(done)).toBe(0);
    expect(readLedger(dir)).toEqual(['step-1', 'step-3']);
  });

  it('--bake wait stays and watches until the bake has passed, then goes on', async (context) => {
    const dir = scratch(context);
    writeFileSync(path.join(dir, 'healthy'), '');
    writeLedgerRunbook(dir, [{ bake: '1s', watch: `test -f \${dir}/healthy` }, {}]);
    const run = await cli(['run', '--bake', 'wait', '--detailed-exitcode', 'runbook.yaml'], { cwd: dir, ...ci });
    expect(run.code, describeResult(run)).toBe(0);
    expect(readLedger(dir)).toEqual(['step-1', 'step-2']);
    expect(run.stderr).toContain('baking:');
  });
});
