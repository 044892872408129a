/**
 * cutover stopped in the middle of a step: killed outright (SIGKILL, nothing runs on the
 * way out) or interrupted with Ctrl-C (SIGINT). Resume must finish the work without
 * doing any step twice.
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TestContext } from 'vitest';
import { beforeAll, describe, expect, it } from 'vitest';
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
  sleep,
  startCli,
  stepTimeline,
  waitUntil,
  writeLedgerRunbook,
} from './helpers.js';

beforeAll(requireBuild);

function journalEvents(dir: string): Event[] {
  return existsSync(journalPath(dir)) ? readJournal(journalPath(dir)) : [];
}

/** Starts a cutover command that the test stops or waits for itself; killed at the end of the test in any case. */
function background(context: TestContext, dir: string, args: string[]): CliProcess {
  const proc = startCli(args, { cwd: dir, timeoutMs: 25_000 });
  context.onTestFinished(() => {
    proc.child.kill('SIGKILL');
  });
  return proc;
}

/** Starts `run --yes` and waits until step-2's command has made its effect and its process group is journaled. */
async function runUntilStep2IsRunning(context: TestContext, dir: string, runbook: string): Promise<{ proc: CliProcess; pgid: number }> {
  const proc = background(context, dir, ['run', '--yes', runbook]);
  let pgid: number | undefined;
  await waitUntil(
    () => `step-2 runs (stderr so far: ${proc.stderr()})`,
    () => {
      if (!readLedger(dir).includes('step-2')) return false;
      pgid = journalEvents(dir).find((e) => e.type === 'step.spawned' && e.step === 'step-2' && e.data.phase === 'action')?.data.pgid as number | undefined;
      return pgid !== undefined;
    },
  );
  const group = pgid as number;
  // The children of a killed cutover outlive it (own process group): never leave one behind.
  context.onTestFinished(() => {
    try {
      process.kill(-group, 'SIGKILL');
    } catch {
      // already gone
    }
  });
  return { proc, pgid: group };
}

describe.concurrent('cutover killed with SIGKILL in the middle of a step', () => {
  it('resume --on-interrupted kill stops the orphaned command, recovers the step through its verify, and runs nothing twice', async (context) => {
    const dir = scratch(context);
    const runbook = writeLedgerRunbook(dir, [{}, { run: 'echo step-2 >> ${dir}/ledger; sleep 30' }, {}]);
    const { proc, pgid } = await runUntilStep2IsRunning(context, dir, runbook);

    proc.child.kill('SIGKILL');
    const killed = await proc.done;
    expect(killed.signal).toBe('SIGKILL');
    expect(groupRunning(pgid)).toBe(true); // the step's own process group outlives cutover

    // Nothing ran on the way out, so the lock is left behind; cutover names it and how to clear it.
    const locked = await cli(['resume', '--yes', '--on-interrupted', 'kill', runbook], { cwd: dir });
    expect(locked.code, describeResult(locked)).toBe(4);
    expect(locked.stderr).toContain('no longer running');
    expect(locked.stderr).toContain(`cutover unlock ${runbook}`);
    const unlock = await cli(['unlock', runbook], { cwd: dir });
    expect(unlock.code, describeResult(unlock)).toBe(0);

    const resumed = await cli(['resume', '--yes', '--on-interrupted', 'kill', runbook], { cwd: dir });
    expect(resumed.code, describeResult(resumed)).toBe(0);
    expect(resumed.stderr).toContain('still running');
    expect(groupRunning(pgid)).toBe(false);

    expect(readLedger(dir)).toEqual(['step-1', 'step-2', 'step-3']);
    const events = readJournal(journalPath(dir));
    expect(stepTimeline(events)).toEqual([
      'step.started:step-1',
      'step.succeeded:step-1',
      'step.started:step-2',
      // cutover died here; resume:
      'step.interrupted:step-2',
      'decision:step-2',
      'step.succeeded:step-2',
      'step.started:step-3',
      'step.succeeded:step-3',
    ]);
    expect(events.find((e) => e.type === 'decision')?.data.choice).toBe('kill');
    expect(events.find((e) => e.type === 'step.succeeded' && e.step === 'step-2')?.data.recovered).toBe(true);
    expect(existsSync(`${journalPath(dir)}.lock`)).toBe(false);
  });

  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`resume waits for a still-running command to finish before it judges the step (${signal} while waiting exits ${code}, journaled, the command left running and named)`, async (context) => {
      const dir = scratch(context);
      // The orphan keeps running until the test lets it finish, so the timing cannot decide the outcome.
      const release = path.join(dir, 'release');
      const runbook = writeLedgerRunbook(dir, [
        {},
        { run: 'echo step-2 >> ${dir}/ledger; while [ ! -e ${dir}/release ]; do sleep 0.05; done; echo step-2-finished >> ${dir}/ledger' },
        {},
      ]);
      const { proc, pgid } = await runUntilStep2IsRunning(context, dir, runbook);
      proc.child.kill('SIGKILL');
      await proc.done;
      expect((await cli(['unlock', runbook], { cwd: dir })).code).toBe(0);

      // A signal while resume waits for the orphan: an interruption (130/143). The operator chose
      // to wait for it, so it is left alone, and that is journaled and said plainly.
      const impatient = background(context, dir, ['resume', '--yes', runbook]);
      await waitUntil(
        () => `resume notices the running command (stderr so far: ${impatient.stderr()})`,
        () => impatient.stderr().includes('still running'),
      );
      impatient.child.kill(signal);
      const stopped = await impatient.done;
      expect(stopped.code, describeResult(stopped)).toBe(code);
      expect(groupRunning(pgid)).toBe(true);
      expect(existsSync(`${journalPath(dir)}.lock`)).toBe(false);
      expect(stopped.stderr).toContain(`${signal}: stopped waiting. The orphaned command of step "step-2" is STILL RUNNING (process group ${pgid}`);
      expect(stopped.stderr).toContain(`To stop it now: kill -TERM -- -${pgid}`);
      const left = readJournal(journalPath(dir))
        .filter((e) => e.type === 'step.interrupted' && e.step === 'step-2')
        .at(-1);
      expect(left?.data).toMatchObject({ signal, leftRunning: { pid: pgid, pgid } });
      expect(String(left?.data.reason)).toContain(
        `${signal} while cutover waited for the orphaned command of step "step-2" (process group ${pgid}), which was left running`,
      );

      const resume = background(context, dir, ['resume', '--yes', runbook]);
      await waitUntil(
        () => `resume notices the running command (stderr so far: ${resume.stderr()})`,
        () => resume.stderr().includes('still running'),
      );
      await sleep(300);
      expect(readLedger(dir)).toEqual(['step-1', 'step-2']); // resume neither killed it nor moved on
      expect(groupRunning(pgid)).toBe(true);
      writeFileSync(release, '');
      const resumed = await resume.done;
      expect(resumed.code, describeResult(resumed)).toBe(0);
      expect(groupRunning(pgid)).toBe(false);

      // The orphan finished its work before step-3 started: resume waited, it did not kill.
      expect(readLedger(dir)).toEqual(['step-1', 'step-2', 'step-2-finished', 'step-3']);
      const events = readJournal(journalPath(dir));
      expect(events.filter((e) => e.type === 'decision').map((e) => e.data.choice)).toEqual(['wait', 'wait']);
      expect(events.find((e) => e.type === 'step.succeeded' && e.step === 'step-2')?.data.recovered).toBe(true);
      expect(events.filter((e) => e.type === 'step.started' && e.step === 'step-2')).toHaveLength(1);
    });
  }
});

describe.concurrent('Ctrl-C during a step', () => {
  it('exits 130, journals step.interrupted, releases the lock; resume --yes completes the step', async (context) => {
    const dir = scratch(context);
    // The first attempt hangs until interrupted; the retry on resume is quick.
    const slowStep = 'echo step-2 >> ${dir}/ledger; test -e ${dir}/fast || sleep 30; echo step-2-done >> ${dir}/ledger';
    const runbook = writeLedgerRunbook(dir, [{}, { run: slowStep, verify: 'grep -qx step-2-done ${dir}/ledger' }, {}]);
    const { proc, pgid } = await runUntilStep2IsRunning(context, dir, runbook);

    const sentAt = Date.now();
    proc.child.kill('SIGINT');
    const stopped = await proc.done;
    expect(stopped.code, describeResult(stopped)).toBe(130);
    expect(Date.now() - sentAt).toBeLessThan(5_000); // the command got the signal, not the 30 s sleep
    expect(stopped.stderr).toContain('interrupted');
    expect(stopped.stderr).toContain('cutover resume');
    expect(existsSync(`${journalPath(dir)}.lock`)).toBe(false);
    expect(groupRunning(pgid)).toBe(false);

    const interrupted = readJournal(journalPath(dir));
    expect(stepTimeline(interrupted)).toEqual(['step.started:step-1', 'step.succeeded:step-1', 'step.started:step-2', 'step.interrupted:step-2']);
    expect(interrupted.find((e) => e.type === 'step.interrupted')?.data.signal).toBe('SIGINT');
    expect(interrupted.at(-1)?.type).toBe('run.finished');
    expect(interrupted.at(-1)?.data.outcome).toBe('interrupted');

    const status = await cli(['status', '--json', runbook], { cwd: dir });
    expect((JSON.parse(status.stdout) as { steps: { state: string }[] }).steps.map((s) => s.state)).toEqual(['succeeded', 'interrupted', 'pending']);

    writeFileSync(path.join(dir, 'fast'), '');
    const resumed = await cli(['resume', '--yes', runbook], { cwd: dir });
    expect(resumed.code, describeResult(resumed)).toBe(0);
    // The verify said step-2 had not completed, so it ran again (once), then step-3.
    expect(readLedger(dir)).toEqual(['step-1', 'step-2', 'step-2', 'step-2-done', 'step-3']);
    const events = readJournal(journalPath(dir));
    expect(stepTimeline(events).slice(4)).toEqual(['step.started:step-2', 'step.succeeded:step-2', 'step.started:step-3', 'step.succeeded:step-3']);
    expect(events.filter((e) => e.type === 'step.started' && e.step === 'step-2').map((e) => e.attempt)).toEqual([1, 2]);
  });

  it('SIGTERM during a step: exit 143, step.interrupted names SIGTERM, the lock is released', async (context) => {
    const dir = scratch(context);
    const runbook = writeLedgerRunbook(dir, [{}, { run: 'echo step-2 >> ${dir}/ledger; sleep 30' }, {}]);
    const { proc, pgid } = await runUntilStep2IsRunning(context, dir, runbook);
    proc.child.kill('SIGTERM');
    const stopped = await proc.done;
    expect(stopped.code, describeResult(stopped)).toBe(143);
    const events = readJournal(journalPath(dir));
    expect(events.find((e) => e.type === 'step.interrupted')?.data.signal).toBe('SIGTERM');
    expect(groupRunning(pgid)).toBe(false);
    expect(existsSync(`${journalPath(dir)}.lock`)).toBe(false);
  });
});
