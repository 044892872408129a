/**
 * Deterministic reproductions of what the crash campaign counts as "rollback actions re-run
 * after a crash" (crash-harness.ts, strictRollbackOnce).
 *
 * A rollback interrupted by a crash is resumed like an interrupted step
 * (src/engine/rollback-recovery.ts): its still-running command is waited for, then its
 * rollback verify judges whether the undo already happened, so the undo is not run twice.
 * The same holds for a rehearsal killed during a step's rollback (src/engine/rehearse.ts),
 * and for a signal while the next command waits for such an orphaned undo (it is left
 * running, journaled, and waited for again by the command after).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TestContext } from 'vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyChain } from '../../src/journal/chain.js';
import type { CliProcess, Event } from '../e2e/helpers.js';
import {
  cli,
  cliEnv,
  describeResult,
  groupRunning,
  journalPath,
  readLedger,
  requireBuild,
  scratch,
  startCli,
  waitUntil,
  writeLedgerRunbook,
} from '../e2e/helpers.js';

beforeAll(requireBuild);

const env = cliEnv({ CI: 'true' });
const hold = 'i=0; while [ ! -e ${dir}/fast ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done';

function rollbackSpawns(dir: string): number[] {
  const text = existsSync(journalPath(dir)) ? readFileSync(journalPath(dir), 'utf8') : '';
  if (text === '') return [];
  return (verifyChain(text).events as unknown as Event[])
    .filter((e) => e.type === 'step.spawned' && e.step === 'step-2' && e.data.phase === 'rollback')
    .map((e) => e.data.pgid as number);
}

function killGroupsAtEnd(context: TestContext, dir: string): void {
  context.onTestFinished(() => {
    for (const pgid of rollbackSpawns(dir)) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  });
}

async function killRollbackWhen(context: TestContext, dir: string, runbook: string, spawned: number): Promise<void> {
  const proc: CliProcess = startCli(['rollback', '--yes', runbook], { cwd: dir, env, timeoutMs: 40_000 });
  context.onTestFinished(() => {
    proc.child.kill('SIGKILL');
  });
  await waitUntil(
    () => `step-2's rollback spawns ${spawned} command(s) (stderr: ${proc.stderr()})`,
    () => rollbackSpawns(dir).length >= spawned,
    20_000,
  );
  proc.child.kill('SIGKILL');
  await proc.done;
  const unlock = await cli(['unlock', runbook], { cwd: dir, env });
  expect(unlock.code, describeResult(unlock)).toBe(0);
}

describe.concurrent('a rollback interrupted by a crash', () => {
  it('whose action had finished is judged by its rollback verify, not run again', async (context) => {
    const dir = scratch(context);
    killGroupsAtEnd(context, dir);
    // The rollback verify waits for `fast`, so cutover is killed after the undo is done, during its verify.
    const runbook = writeLedgerRunbook(dir, [{}, { rollback: { run: 'echo undo-2 >> ${dir}/ledger', verify: `${hold}; grep -qx undo-2 \${dir}/ledger` } }]);
    expect((await cli(['run', '--yes', runbook], { cwd: dir, env })).code).toBe(0);
    await killRollbackWhen(context, dir, runbook, 2); // action + verify spawned
    expect(readLedger(dir)).toEqual(['step-1', 'step-2', 'undo-2']);
    writeFileSync(path.join(dir, 'fast'), '');

    const again = await cli(['rollback', '--yes', runbook], { cwd: dir, env });
    expect(again.code, describeResult(again)).toBe(0);
    // Today: ['step-1', 'step-2', 'undo-2', 'undo-2', 'undo-1'].
    expect(readLedger(dir)).toEqual(['step-1', 'step-2', 'undo-2', 'undo-1']);
  });

  it('whose action still runs is waited for, then judged by its verify', async (context) => {
    const dir = scratch(context);
    killGroupsAtEnd(context, dir);
    const runbook = writeLedgerRunbook(dir, [
      {},
      { rollback: { run: `echo undo-2-start >> \${dir}/ledger; ${hold}; echo undo-2 >> \${dir}/ledger`, verify: 'grep -qx undo-2 ${dir}/ledger' } },
    ]);
    expect((await cli(['run', '--yes', runbook], { cwd: dir, env })).code).toBe(0);
    await killRollbackWhen(context, dir, runbook, 1); // the action runs, orphaned from here on

    // The orphan finishes only once the next rollback has seen it running (no timing race on a slow machine).
    const next = startCli(['rollback', '--yes', runbook], { cwd: dir, env, timeoutMs: 40_000 });
    context.onTestFinished(() => {
      next.child.kill('SIGKILL');
    });
    await waitUntil(
      () => `the next rollback says the orphaned undo is still running (stderr: ${next.stderr()})`,
      () => next.stderr().includes('still running'),
      20_000,
    );
    writeFileSync(path.join(dir, 'fast'), '');
    const again = await next.done;
    expect(again.code, describeResult(again)).toBe(0);
    // Today the action is started a second time next to the orphan: undo-2-start and undo-2 twice.
    expect(readLedger(dir)).toEqual(['step-1', 'step-2', 'undo-2-start', 'undo-2', 'undo-1']);
  });

  it('a signal while the next rollback waits for the orphaned undo leaves it running (journaled, named); the rollback after waits again and runs the undo once', async (context) => {
    const dir = scratch(context);
    killGroupsAtEnd(context, dir);
    const runbook = writeLedgerRunbook(dir, [
      {},
      { rollback: { run: `echo undo-2-start >> \${dir}/ledger; ${hold}; echo undo-2 >> \${dir}/ledger`, verify: 'grep -qx undo-2 ${dir}/ledger' } },
    ]);
    expect((await cli(['run', '--yes', runbook], { cwd: dir, env })).code).toBe(0);
    await killRollbackWhen(context, dir, runbook, 1);
    const [pgid] = rollbackSpawns(dir);

    const impatient = startCli(['rollback', '--yes', runbook], { cwd: dir, env, timeoutMs: 40_000 });
    context.onTestFinished(() => {
      impatient.child.kill('SIGKILL');
    });
    await waitUntil(
      () => `the rollback waits for the orphaned undo (stderr: ${impatient.stderr()})`,
      () => impatient.stderr().includes('still running'),
      20_000,
    );
    impatient.child.kill('SIGTERM');
    const stopped = await impatient.done;
    expect(stopped.code, describeResult(stopped)).toBe(143);
    expect(stopped.stderr).toContain(`The orphaned rollback command of step "step-2" is STILL RUNNING (process group ${pgid}`);
    expect(groupRunning(pgid as number)).toBe(true);
    const events = verifyChain(readFileSync(journalPath(dir), 'utf8')).events as unknown as Event[];
    expect(events.filter((e) => e.type === 'step.interrupted' && e.step === 'step-2').at(-1)?.data).toMatchObject({ signal: 'SIGTERM', leftRunning: { pgid } });

    const next = startCli(['rollback', '--yes', runbook], { cwd: dir, env, timeoutMs: 40_000 });
    context.onTestFinished(() => {
      next.child.kill('SIGKILL');
    });
    await waitUntil(
      () => `the next rollback waits again (stderr: ${next.stderr()})`,
      () => next.stderr().includes('still running'),
      20_000,
    );
    writeFileSync(path.join(dir, 'fast'), '');
    const again = await next.done;
    expect(again.code, describeResult(again)).toBe(0);
    expect(readLedger(dir)).toEqual(['step-1', 'step-2', 'undo-2-start', 'undo-2', 'undo-1']);
  });
});

describe.concurrent('a rehearsal killed in the middle of a step', () => {
  const rehearsal = (dir: string) => path.join(dir, '.cutover', 'e2e.rehearsal.jsonl');
  const rehearsalEvents = (dir: string): Event[] =>
    existsSync(rehearsal(dir)) ? (verifyChain(readFileSync(rehearsal(dir), 'utf8')).events as unknown as Event[]) : [];

  it('during its rollback, with the undo still running: the next rehearse waits for it, judges it by rollback.verify, never re-runs the step on top, and only then says passed', async (context) => {
    const dir = scratch(context);
    const runbook = writeLedgerRunbook(dir, [
      {
        rollback: {
          run: `echo undo-1-start >> \${dir}/ledger; ${hold}; echo undo-1 >> \${dir}/ledger`,
          verify: '[ "$(grep -x -e step-1 -e undo-1 ${dir}/ledger | tail -n 1)" = undo-1 ]',
        },
        verify: '[ "$(grep -x -e step-1 -e undo-1 ${dir}/ledger | tail -n 1)" = step-1 ]',
      },
    ]);
    const first = startCli(['rehearse', '--yes', runbook], { cwd: dir, env, timeoutMs: 40_000 });
    context.onTestFinished(() => {
      first.child.kill('SIGKILL');
    });
    let pgid: number | undefined;
    await waitUntil(
      () => `the rehearsal's rollback runs (stderr: ${first.stderr()})`,
      () => {
        pgid = rehearsalEvents(dir).find((e) => e.type === 'step.spawned' && e.data.phase === 'rollback')?.data.pgid as number | undefined;
        return pgid !== undefined;
      },
      20_000,
    );
    context.onTestFinished(() => {
      try {
        process.kill(-(pgid as number), 'SIGKILL');
      } catch {
        // gone
      }
    });
    first.child.kill('SIGKILL');
    await first.done;
    expect((await cli(['unlock', '--journal', rehearsal(dir), runbook], { cwd: dir, env })).code).toBe(0);
    expect(readLedger(dir)).toEqual(['step-1', 'undo-1-start']); // step-1 is still applied

    const next = startCli(['rehearse', '--yes', runbook], { cwd: dir, env, timeoutMs: 40_000 });
    context.onTestFinished(() => {
      next.child.kill('SIGKILL');
    });
    await waitUntil(
      () => `the next rehearse waits for the orphaned undo (stderr: ${next.stderr()})`,
      () => next.stderr().includes('still running'),
      20_000,
    );
    writeFileSync(path.join(dir, 'fast'), '');
    const done = await next.done;
    expect(done.code, describeResult(done)).toBe(0);
    expect(done.stdout).toMatch(/^step-1\s.*passed$/m);
    // Before: `step-1` ran again on top of the applied step (step-1 step-1 …) and "passed".
    expect(readLedger(dir)).toEqual(['step-1', 'undo-1-start', 'undo-1', 'step-1', 'undo-1-start', 'undo-1', 'step-1']);
    const events = rehearsalEvents(dir);
    expect(events.find((e) => e.type === 'rollback.succeeded')?.data.recovered).toBe(true);
    expect(events.filter((e) => e.type === 'rehearsal.step').map((e) => e.data.verdict)).toEqual(['passed']);
  });
});
