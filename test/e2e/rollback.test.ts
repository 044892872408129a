/** `cutover rollback`: newest first, from the journal; a failed rollback stops for a human and continues later. */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, describeResult, journalPath, readJournal, readLedger, requireBuild, scratch, stepTimeline, writeLedgerRunbook } from './helpers.js';

beforeAll(requireBuild);

async function states(runbook: string, dir: string): Promise<string[]> {
  const status = await cli(['status', '--json', runbook], { cwd: dir });
  expect(status.code, describeResult(status)).toBe(0);
  return (JSON.parse(status.stdout) as { steps: { state: string }[] }).steps.map((s) => s.state);
}

describe.concurrent('rollback', () => {
  it('rollback --yes undoes every step in exact reverse order; run --yes redoes them', async (context) => {
    const dir = scratch(context);
    const runbook = writeLedgerRunbook(dir, [{}, {}, {}, {}]);
    const run = await cli(['run', '--yes', runbook], { cwd: dir });
    expect(run.code, describeResult(run)).toBe(0);

    const rollback = await cli(['rollback', '--yes', runbook], { cwd: dir });
    expect(rollback.code, describeResult(rollback)).toBe(0);
    expect(rollback.stderr).toContain('rolled back: step-4, step-3, step-2, step-1');
    expect(readLedger(dir)).toEqual(['step-1', 'step-2', 'step-3', 'step-4', 'undo-4', 'undo-3', 'undo-2', 'undo-1']);
    expect(await states(runbook, dir)).toEqual(['rolled-back', 'rolled-back', 'rolled-back', 'rolled-back']);
    const afterRollback = readJournal(journalPath(dir));
    expect(stepTimeline(afterRollback).slice(8)).toEqual([
      'rollback.started:step-4',
      'rollback.succeeded:step-4',
      'rollback.started:step-3',
      'rollback.succeeded:step-3',
      'rollback.started:step-2',
      'rollback.succeeded:step-2',
      'rollback.started:step-1',
      'rollback.succeeded:step-1',
    ]);

    // Nothing left to undo: a second rollback changes nothing.
    const again = await cli(['rollback', '--yes', runbook], { cwd: dir });
    expect(again.code, describeResult(again)).toBe(0);
    expect(again.stderr).toContain('nothing to roll back');
    expect(readLedger(dir)).toHaveLength(8);

    const redo = await cli(['run', '--yes', runbook], { cwd: dir });
    expect(redo.code, describeResult(redo)).toBe(0);
    expect(readLedger(dir).slice(8)).toEqual(['step-1', 'step-2', 'step-3', 'step-4']);
    expect(await states(runbook, dir)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
  });

  it('rollback uses the journaled definition, not the edited runbook, once a human confirms it (--trust-journal in CI)', async (context) => {
    const dir = scratch(context);
    const runbook = writeLedgerRunbook(dir, [{}, {}]);
    expect((await cli(['run', '--yes', runbook], { cwd: dir })).code).toBe(0);
    // Someone edits step-2's rollback after it ran.
    writeLedgerRunbook(dir, [{}, { rollback: { run: 'echo edited-undo-2 >> ${dir}/ledger' } }]);

    const unconfirmed = await cli(['rollback', '--yes', runbook], { cwd: dir });
    expect(unconfirmed.code, describeResult(unconfirmed)).toBe(2);
    expect(unconfirmed.stderr).toContain('step-2 (journaled rollback: echo undo-2 >>');
    expect(unconfirmed.stderr).toContain("the runbook's: echo edited-undo-2 >>");
    expect(readLedger(dir)).toEqual(['step-1', 'step-2']);

    const rollback = await cli(['rollback', '--yes', '--trust-journal', runbook], { cwd: dir });
    expect(rollback.code, describeResult(rollback)).toBe(0);
    expect(readLedger(dir)).toEqual(['step-1', 'step-2', 'undo-2', 'undo-1']);
  });

  it('a failed rollback exits 3 naming the step; once repaired, rollback continues from that step', async (context) => {
    const dir = scratch(context);
    const needs = path.join(dir, 'backup');
    const runbook = writeLedgerRunbook(dir, [
      {},
      {
        rollback: {
          run: 'test -e ${dir}/backup || { echo "no backup to restore from" >&2; exit 1; }; echo undo-2 >> ${dir}/ledger',
          verify: 'grep -qx undo-2 ${dir}/ledger',
        },
      },
      {},
    ]);
    expect((await cli(['run', '--yes', runbook], { cwd: dir })).code).toBe(0);

    const failed = await cli(['rollback', '--yes', runbook], { cwd: dir });
    expect(failed.code, describeResult(failed)).toBe(3);
    expect(failed.stderr).toContain('ROLLBACK FAILED at step step-2');
    expect(failed.stderr).toContain('no backup to restore from');
    expect(readLedger(dir)).toEqual(['step-1', 'step-2', 'step-3', 'undo-3']);
    expect(await states(runbook, dir)).toEqual(['succeeded', 'rollback-failed', 'rolled-back']);
    expect(existsSync(`${journalPath(dir)}.lock`)).toBe(false);

    // run refuses to go forward over a half-finished rollback.
    const forward = await cli(['run', '--yes', runbook], { cwd: dir });
    expect(forward.code, describeResult(forward)).toBe(2);
    expect(forward.stderr).toContain('step-2');
    expect(readLedger(dir)).toHaveLength(4);

    writeFileSync(needs, 'backup\n');
    const resumed = await cli(['rollback', '--yes', runbook], { cwd: dir });
    expect(resumed.code, describeResult(resumed)).toBe(0);
    expect(resumed.stderr).toContain('rolled back: step-2, step-1');
    // step-3 is not undone twice; step-2's rollback is retried, then step-1's.
    expect(readLedger(dir)).toEqual(['step-1', 'step-2', 'step-3', 'undo-3', 'undo-2', 'undo-1']);
    expect(await states(runbook, dir)).toEqual(['rolled-back', 'rolled-back', 'rolled-back']);

    const events = readJournal(journalPath(dir));
    expect(events.filter((e) => e.type.startsWith('rollback.')).map((e) => `${e.type}:${e.step}#${e.attempt}`)).toEqual([
      'rollback.started:step-3#1',
      'rollback.succeeded:step-3#1',
      'rollback.started:step-2#1',
      'rollback.failed:step-2#1',
      'rollback.started:step-2#2',
      'rollback.succeeded:step-2#2',
      'rollback.started:step-1#1',
      'rollback.succeeded:step-1#1',
    ]);
  });
});
