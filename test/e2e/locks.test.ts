/**
 * Who holds a local journal, seen from a second process while the first one runs a step:
 * `status` says the step is running (by whom, since when), not interrupted; `unlock` refuses
 * to remove the lock of a live holder on this machine, --force or not; and if the lock file
 * is removed by hand anyway, the file journal notices the second writer at the first
 * process's next append and stops it (exit 4) instead of forking the chain, so every later
 * command still reads the journal.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import path from 'node:path';
import type { TestContext } from 'vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyChain } from '../../src/journal/chain.js';
import type { CliProcess, Event } from './helpers.js';
import {
  cli,
  describeResult,
  groupRunning,
  journalPath,
  readJournal,
  readLedger,
  requireBuild,
  scratch,
  startCli,
  waitUntil,
  writeLedgerRunbook,
} from './helpers.js';

beforeAll(requireBuild);

/** Waits for ${dir}/fast, at most 30 s. */
const hold = 'i=0; while [ ! -e ${dir}/fast ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done';

function events(dir: string): Event[] {
  const file = journalPath(dir);
  return existsSync(file) ? (verifyChain(readFileSync(file, 'utf8')).events as unknown as Event[]) : [];
}

/** `run --yes` until step-2's command runs (and waits for `fast`); killed at the end of the test in any case. */
async function runningStep2(context: TestContext, dir: string, runbook: string): Promise<{ proc: CliProcess; pgid: number }> {
  const proc = startCli(['run', '--yes', runbook], { cwd: dir, timeoutMs: 40_000 });
  context.onTestFinished(() => {
    proc.child.kill('SIGKILL');
  });
  let pgid: number | undefined;
  await waitUntil(
    () => `step-2 runs (stderr so far: ${proc.stderr()})`,
    () => {
      pgid = events(dir).find((e) => e.type === 'step.spawned' && e.step === 'step-2')?.data.pgid as number | undefined;
      return pgid !== undefined;
    },
    20_000,
  );
  const group = pgid as number;
  context.onTestFinished(() => {
    try {
      process.kill(-group, 'SIGKILL');
    } catch {
      // gone
    }
  });
  return { proc, pgid: group };
}

const slow = { run: `echo step-2 >> \${dir}/ledger; ${hold}; echo step-2-done >> \${dir}/ledger`, verify: 'grep -qx step-2-done ${dir}/ledger' };

describe.concurrent('a second process while a step runs', () => {
  it('status says the step is running, by whom and since when (not "interrupted"); once its cutover is killed, interrupted, and the lock to clear first', async (context) => {
    const dir = scratch(context);
    const runbook = writeLedgerRunbook(dir, [{}, slow, {}]);
    const { proc, pgid } = await runningStep2(context, dir, runbook);
    const me = `${userInfo().username}@${hostname()}`;

    const status = await cli(['status', runbook], { cwd: dir });
    expect(status.code, describeResult(status)).toBe(0);
    expect(status.stdout).toMatch(/^step-2\s+running\s/m);
    expect(status.stdout).toContain(`next: wait: step step-2 is running, by ${me} (pid ${proc.pid}, cutover run since `);
    expect(status.stdout).toContain(`locked: ${me} (pid ${proc.pid}, cutover run since `);
    expect(status.stdout).not.toContain('interrupted');
    const json = JSON.parse((await cli(['status', '--json', runbook], { cwd: dir })).stdout) as {
      nextAction: string;
      lock: { running: boolean; liveness: string; holder: { pid: number } };
    };
    expect(json.lock).toMatchObject({ running: true, liveness: 'alive', holder: { pid: proc.pid } });
    expect(json.nextAction).toMatch(/^wait: step step-2 is running/);
    // status --watch reads the holder too (one block without a terminal, then stopped).
    const watch = startCli(['status', '--watch', '--interval', '100ms', runbook], { cwd: dir });
    await waitUntil('a status --watch block', () => watch.stdout().includes('next:'));
    watch.child.kill('SIGINT');
    await watch.done;
    expect(watch.stdout()).toContain('next: wait: step step-2 is running, by');

    // cutover is killed outright: its step's command lives on, its lock is left behind.
    proc.child.kill('SIGKILL');
    await proc.done;
    const after = await cli(['status', runbook], { cwd: dir });
    expect(after.stdout).toContain(`next: resume: step step-2 was interrupted: ${me} (pid ${proc.pid}, cutover run since `);
    expect(after.stdout).toContain(`is no longer running; its lock is left behind: "cutover unlock ${runbook}" first`);
    expect(after.stdout).not.toContain('locked:');
    expect(groupRunning(pgid)).toBe(true);
  });

  it('unlock refuses the lock of a live holder on this machine, even with --force; the run then finishes normally', async (context) => {
    const dir = scratch(context);
    const runbook = writeLedgerRunbook(dir, [{}, slow, {}]);
    const { proc } = await runningStep2(context, dir, runbook);
    const lock = `${journalPath(dir)}.lock`;
    for (const args of [
      ['unlock', runbook],
      ['unlock', '--force', runbook],
    ]) {
      const refused = await cli(args, { cwd: dir });
      expect(refused.code, describeResult(refused)).toBe(4);
      expect(refused.stderr).toContain(`not removed: the lock is held by ${userInfo().username}@${hostname()} (pid ${proc.pid}, cutover run since `);
      expect(refused.stderr).toContain(`which is running on this machine (pid ${proc.pid} is alive)`);
      expect(refused.stderr).toContain('even with --force');
      expect(existsSync(lock)).toBe(true);
    }
    writeFileSync(path.join(dir, 'fast'), '');
    const done = await proc.done;
    expect(done.code, describeResult(done)).toBe(0);
    expect(readLedger(dir)).toEqual(['step-1', 'step-2', 'step-2-done', 'step-3']);
    readJournal(journalPath(dir)); // one intact chain
  });

  it('a lock removed by hand under a live run: the second writer goes first, the first stops with exit 4 at its next append, and the journal stays one valid chain that later commands read', async (context) => {
    const dir = scratch(context);
    const gate = { id: 'gate', run: { manual: 'look at the dashboards' }, verify: null, rollback: 'none', irreversible: 'a look has nothing to undo' };
    const runbook = writeLedgerRunbook(dir, [{}, slow, gate, {}]);
    const { proc } = await runningStep2(context, dir, runbook);
    rmSync(`${journalPath(dir)}.lock`); // what `unlock --force` used to do

    const approve = await cli(['approve', runbook, 'gate', '--note', 'second writer'], { cwd: dir });
    expect(approve.code, describeResult(approve)).toBe(0);
    const journalAfterApprove = readFileSync(journalPath(dir), 'utf8');

    writeFileSync(path.join(dir, 'fast'), '');
    const first = await proc.done;
    expect(first.code, describeResult(first)).toBe(4);
    expect(first.stderr).toContain(`cannot write the journal ${journalPath(dir)}: it changed since this command read it`);
    expect(first.stderr).toMatch(/its last event is #\d+ approval, written by /);
    expect(first.stderr).toContain('nothing was written');
    // The first process wrote nothing after the approval: no fork of the chain.
    expect(readFileSync(journalPath(dir), 'utf8')).toBe(journalAfterApprove);

    // Before: "expected seq 8 but found 5", exit 2, for every later command.
    const status = await cli(['status', runbook], { cwd: dir });
    expect(status.code, describeResult(status)).toBe(0);
    const resumed = await cli(['resume', '--yes', runbook], { cwd: dir });
    expect(resumed.code, describeResult(resumed)).toBe(0);
    // step-2's command had finished: its verify says so, and it is not run again.
    expect(readLedger(dir)).toEqual(['step-1', 'step-2', 'step-2-done', 'step-4']);
    const all = readJournal(journalPath(dir));
    expect(all.find((e) => e.type === 'step.succeeded' && e.step === 'step-2')?.data.recovered).toBe(true);
  });
});
