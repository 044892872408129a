/**
 * Signals at every phase of a step: SIGINT and SIGTERM while the precheck, the action, the
 * verify or a rollback runs, and while a bake window is waited out; SIGHUP during a rollback
 * and an action; a second SIGINT.
 *
 * The phase is detected by polling the journal (the `step.spawned` event of that phase) or
 * the output (the bake). Each slow command waits for a `fast` file (at most 30 s), so the
 * test decides when it ends, and the retry on resume is quick.
 *
 * Afterwards: the exit code is 130 / 143, the journal is a valid chain that says what
 * happened (step.interrupted with the signal, for a rollback too: the step stays
 * rolling-back, like after a crash), the lock is released, the step's process group is
 * gone, and `resume --yes --on-interrupted retry` (or `rollback --yes` for a rollback)
 * completes with the ledger showing exactly what ran.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TestContext } from 'vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyChain } from '../../src/journal/chain.js';
import type { CliProcess, Event, StepSpec } from '../e2e/helpers.js';
import {
  cli,
  cliEnv,
  describeResult,
  groupRunning,
  journalPath,
  readLedger,
  requireBuild,
  scratch,
  sleep,
  startCli,
  waitUntil,
  writeLedgerRunbook,
} from '../e2e/helpers.js';
import { STACK_FRAME } from './support.js';

beforeAll(requireBuild);

const env = cliEnv({ CI: 'true' });
/** Waits for ${dir}/fast, at most 30 s. */
const hold = 'i=0; while [ ! -e ${dir}/fast ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done';

type Phase = 'precheck' | 'action' | 'verify' | 'rollback';
const EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

/** The journal's events, its chain verified (a torn last line, as a concurrent append may show, is left out). */
function journal(dir: string): Event[] {
  const file = journalPath(dir);
  return existsSync(file) ? (verifyChain(readFileSync(file, 'utf8')).events as unknown as Event[]) : [];
}

function background(context: TestContext, dir: string, args: string[]): CliProcess {
  const proc = startCli(args, { cwd: dir, env, timeoutMs: 40_000 });
  context.onTestFinished(() => {
    proc.child.kill('SIGKILL');
  });
  return proc;
}

/** Waits until step-2 has spawned a command in `phase`, then returns its process group. */
async function waitForPhase(context: TestContext, dir: string, proc: CliProcess, phase: Phase): Promise<number> {
  let pgid: number | undefined;
  await waitUntil(
    () => `step-2 reaches its ${phase} (stderr so far: ${proc.stderr()})`,
    () => {
      pgid = journal(dir).find((e) => e.type === 'step.spawned' && e.step === 'step-2' && e.data.phase === phase)?.data.pgid as number | undefined;
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
  await sleep(150); // let the shell reach its wait loop
  return group;
}

const slowStep: Record<Phase, StepSpec> = {
  precheck: { precheck: `echo pre-2 >> \${dir}/ledger; ${hold}` },
  action: { run: `echo step-2 >> \${dir}/ledger; ${hold}; echo step-2-done >> \${dir}/ledger`, verify: 'grep -qx step-2-done ${dir}/ledger' },
  verify: { verify: `${hold}; grep -qx step-2 \${dir}/ledger` },
  rollback: { rollback: { run: `echo undo-2 >> \${dir}/ledger; ${hold}; echo undo-2-done >> \${dir}/ledger`, verify: 'grep -qx undo-2-done ${dir}/ledger' } },
};

/** The ledger after the interruption and the completing command, per phase. */
const finalLedger: Record<Phase, string[]> = {
  // The precheck runs again on resume; the action ran once.
  precheck: ['step-1', 'pre-2', 'pre-2', 'step-2', 'step-3'],
  // The action was cut short: its verify says not done, so it ran again, once.
  action: ['step-1', 'step-2', 'step-2', 'step-2-done', 'step-3'],
  // The action had finished: on resume the verify passes, and the step is not run again.
  verify: ['step-1', 'step-2', 'step-3'],
  // The rollback action was cut short and is retried by the next rollback.
  rollback: ['step-1', 'step-2', 'step-3', 'undo-3', 'undo-2', 'undo-2', 'undo-2-done', 'undo-1'],
};

describe.concurrent('a signal during each phase', () => {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    // SIGHUP (the terminal went away) is handled like SIGTERM; it is tested where it matters most: during a rollback.
    for (const phase of signal === 'SIGHUP' ? (['rollback'] as const) : (['precheck', 'action', 'verify', 'rollback'] as const)) {
      it(`${signal} during the ${phase}: exit ${EXIT[signal]}, journaled, lock released; the next command completes`, async (context) => {
        const dir = scratch(context);
        const runbook = writeLedgerRunbook(dir, [{}, slowStep[phase], {}]);
        if (phase === 'rollback') {
          const run = await cli(['run', '--yes', runbook], { cwd: dir, env });
          expect(run.code, describeResult(run)).toBe(0);
        }
        const proc = background(context, dir, phase === 'rollback' ? ['rollback', '--yes', runbook] : ['run', '--yes', runbook]);
        const pgid = await waitForPhase(context, dir, proc, phase);
        const sentAt = Date.now();
        proc.child.kill(signal);
        const stopped = await proc.done;
        const what = `${signal} during ${phase}: ${describeResult(stopped)}`;
        expect(stopped.code, what).toBe(EXIT[signal]);
        expect(Date.now() - sentAt, what).toBeLessThan(5_000);
        expect(STACK_FRAME.test(stopped.stderr), what).toBe(false);
        expect(existsSync(`${journalPath(dir)}.lock`), `${what}\nthe lock was left behind`).toBe(false);
        expect(groupRunning(pgid), `${what}\nthe step's process group still runs`).toBe(false);

        // The journal tells the truth: a valid chain, the step interrupted by this signal, the run finished as interrupted.
        const events = journal(dir);
        const last = events.filter((e) => e.step === 'step-2' && e.type !== 'step.spawned').at(-1);
        expect(last?.type, what).toBe('step.interrupted');
        expect(last?.data.signal, what).toBe(signal);
        if (phase === 'rollback') expect(String(last?.data.reason), what).toContain(`the rollback was interrupted by ${signal}`);
        expect(events.at(-1)?.type, what).toBe('run.finished');
        expect(events.at(-1)?.data.outcome, what).toBe('interrupted');

        writeFileSync(path.join(dir, 'fast'), '');
        if (phase === 'rollback') {
          // A half-rolled-back runbook does not go forward; rollback continues where it stopped.
          const forward = await cli(['resume', '--yes', '--on-interrupted', 'retry', runbook], { cwd: dir, env });
          expect(forward.code, describeResult(forward)).toBe(2);
          expect(forward.stderr).toContain('step-2');
          const rollback = await cli(['rollback', '--yes', runbook], { cwd: dir, env });
          expect(rollback.code, describeResult(rollback)).toBe(0);
        } else {
          const resumed = await cli(['resume', '--yes', '--on-interrupted', 'retry', runbook], { cwd: dir, env });
          expect(resumed.code, describeResult(resumed)).toBe(0);
        }
        expect(readLedger(dir), what).toEqual(finalLedger[phase]);
        journal(dir); // still a valid chain
      });
    }

    if (signal !== 'SIGHUP')
      it(`${signal} while a bake window is waited out: exit ${EXIT[signal]}; resume waits out the rest and completes`, async (context) => {
        const dir = scratch(context);
        const runbook = writeLedgerRunbook(dir, [{ bake: '3s' }, {}]);
        const proc = background(context, dir, ['run', '--yes', '--bake', 'wait', runbook]);
        await waitUntil(
          () => `the bake is waited out (stderr so far: ${proc.stderr()})`,
          () => proc.stderr().includes('baking'),
          20_000,
        );
        proc.child.kill(signal);
        const stopped = await proc.done;
        expect(stopped.code, describeResult(stopped)).toBe(EXIT[signal]);
        expect(existsSync(`${journalPath(dir)}.lock`)).toBe(false);
        const events = journal(dir);
        // step-1 stays done; step-2 never started; the run is journaled as interrupted.
        expect(events.filter((e) => e.type === 'step.started').map((e) => e.step)).toEqual(['step-1']);
        expect(events.find((e) => e.type === 'step.succeeded')?.step).toBe('step-1');
        expect(events.at(-1)?.data.outcome).toBe('interrupted');

        const resumed = await cli(['resume', '--yes', '--on-interrupted', 'retry', '--bake', 'wait', runbook], { cwd: dir, env });
        expect(resumed.code, describeResult(resumed)).toBe(0);
        expect(readLedger(dir)).toEqual(['step-1', 'step-2']);
        // The bake held across the interruption: step-2 started at least 3 s after step-1 succeeded.
        const after = journal(dir);
        const succeeded = Date.parse(after.find((e) => e.type === 'step.succeeded' && e.step === 'step-1')?.ts ?? '');
        const started = Date.parse(after.find((e) => e.type === 'step.started' && e.step === 'step-2')?.ts ?? '');
        expect(started - succeeded).toBeGreaterThanOrEqual(3_000);
      });
  }

  it('a second SIGINT kills a step that ignores the first one at once (not after the 5 s grace)', async (context) => {
    const dir = scratch(context);
    // The step ignores SIGINT and SIGTERM (dispositions set to ignore are inherited by sleep).
    const stubborn = `trap '' INT TERM; echo step-2 >> \${dir}/ledger; ${hold}`;
    const runbook = writeLedgerRunbook(dir, [{}, { run: stubborn }, {}]);
    const proc = background(context, dir, ['run', '--yes', runbook]);
    const pgid = await waitForPhase(context, dir, proc, 'action');
    const firstAt = Date.now();
    proc.child.kill('SIGINT');
    await sleep(400);
    expect(groupRunning(pgid), 'the step ignored the first SIGINT').toBe(true);
    expect(proc.child.exitCode, 'cutover waits for the step after the first SIGINT').toBeNull();
    proc.child.kill('SIGINT');
    const stopped = await proc.done;
    expect(stopped.code, describeResult(stopped)).toBe(130);
    expect(Date.now() - firstAt, 'the second SIGINT killed the group at once').toBeLessThan(4_000);
    expect(groupRunning(pgid)).toBe(false);
    expect(existsSync(`${journalPath(dir)}.lock`)).toBe(false);
    const events = journal(dir);
    expect(events.filter((e) => e.step === 'step-2' && e.type !== 'step.spawned').at(-1)?.type).toBe('step.interrupted');

    writeFileSync(path.join(dir, 'fast'), '');
    const resumed = await cli(['resume', '--yes', '--on-interrupted', 'retry', runbook], { cwd: dir, env });
    expect(resumed.code, describeResult(resumed)).toBe(0);
    // The verify (step-2 in the ledger) says the interrupted step got done: not run again.
    expect(readLedger(dir)).toEqual(['step-1', 'step-2', 'step-3']);
  });

  // SIGHUP is what a process gets when its terminal closes (an ssh session dropped).
  it('SIGHUP is handled like SIGTERM: step interrupted, lock released, the command stopped, and resume completes', async (context) => {
    const dir = scratch(context);
    const runbook = writeLedgerRunbook(dir, [{}, { run: `echo step-2 >> \${dir}/ledger; ${hold}` }, {}]);
    const proc = background(context, dir, ['run', '--yes', runbook]);
    const pgid = await waitForPhase(context, dir, proc, 'action');
    proc.child.kill('SIGHUP');
    const stopped = await proc.done;
    expect(stopped.code, describeResult(stopped)).toBe(129);
    expect(existsSync(`${journalPath(dir)}.lock`)).toBe(false);
    expect(groupRunning(pgid)).toBe(false);
    expect(
      journal(dir)
        .filter((e) => e.step === 'step-2')
        .at(-1)?.type,
    ).toBe('step.interrupted');
    const resumed = await cli(['resume', '--yes', '--on-interrupted', 'retry', runbook], { cwd: dir, env });
    expect(resumed.code, describeResult(resumed)).toBe(0);
    expect(readLedger(dir).filter((line) => line === 'step-3')).toEqual(['step-3']);
  });
});
