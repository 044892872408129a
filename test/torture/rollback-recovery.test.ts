/**
 * Deterministic reproductions of what the crash campaign counts as "rollback actions re-run
 * after a crash" (crash-harness.ts, strictRollbackOnce).
 *
 * A rollback interrupted by a crash is resumed like an interrupted step
 * (src/engine/rollback-recovery.ts): its still-running command is waited for, then its
 * rollback verify judges whether the undo already happened, so the undo is not run twice.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TestContext } from 'vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyChain } from '../../src/journal/chain.js';
import type { CliProcess, Event } from '../e2e/helpers.js';
import { cli, cliEnv, describeResult, journalPath, readLedger, requireBuild, scratch, startCli, waitUntil, writeLedgerRunbook } from '../e2e/helpers.js';

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
  await waitUntil(() => `step-2's rollback spawns ${spawned} command(s) (stderr: ${proc.stderr()})`, () => rollbackSpawns(dir).length >= spawned, 20_000);
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
    const runbook = writeLedgerRunbook(dir, [{}, { rollback: { run: `echo undo-2-start >> \${dir}/ledger; ${hold}; echo undo-2 >> \${dir}/ledger`, verify: 'grep -qx undo-2 ${dir}/ledger' } }]);
    expect((await cli(['run', '--yes', runbook], { cwd: dir, env })).code).toBe(0);
    await killRollbackWhen(context, dir, runbook, 1); // the action runs, orphaned from here on

    // The orphan finishes only once the next rollback has seen it running (no timing race on a slow machine).
    const next = startCli(['rollback', '--yes', runbook], { cwd: dir, env, timeoutMs: 40_000 });
    context.onTestFinished(() => {
      next.child.kill('SIGKILL');
    });
    await waitUntil(() => `the next rollback says the orphaned undo is still running (stderr: ${next.stderr()})`, () => next.stderr().includes('still running'), 20_000);
    writeFileSync(path.join(dir, 'fast'), '');
    const again = await next.done;
    expect(again.code, describeResult(again)).toBe(0);
    // Today the action is started a second time next to the orphan: undo-2-start and undo-2 twice.
    expect(readLedger(dir)).toEqual(['step-1', 'step-2', 'undo-2-start', 'undo-2', 'undo-1']);
  });
});
