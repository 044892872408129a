/** The journal as the source of truth: tamper detection, changed definitions, one writer at a time. */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CliResult } from './helpers.js';
import {
  cli,
  describeResult,
  journalPath,
  readJournal,
  readLedger,
  requireBuild,
  scratch,
  startCli,
  stepTimeline,
  waitUntil,
  writeLedgerRunbook,
} from './helpers.js';

beforeAll(requireBuild);

describe.concurrent('a tampered journal', () => {
  it('an edited middle line is refused with exit 2 naming the line, and the journal is left as it was', async (context) => {
    const dir = scratch(context);
    const runbook = writeLedgerRunbook(dir, [{}, {}, {}]);
    expect((await cli(['run', '--yes', '--max-steps', '2', runbook], { cwd: dir })).code).toBe(0);

    const file = journalPath(dir);
    const lines = readFileSync(file, 'utf8').split('\n');
    const edited = lines.findIndex((line) => line.includes('"type":"step.succeeded"') && line.includes('"step":"step-1"'));
    expect(edited).toBeGreaterThan(0);
    expect(edited).toBeLessThan(lines.length - 3); // a middle line, not the last
    const original = lines[edited] as string;
    // A plausible forgery: the event still parses and has a valid shape.
    lines[edited] = original.replace(/"by":"[^"]*"/, '"by":"mallory@elsewhere"');
    expect(lines[edited]).not.toBe(original);
    writeFileSync(file, lines.join('\n'));
    const tampered = readFileSync(file);
    const editedLine = edited + 1;

    for (const args of [['run', '--yes'], ['resume', '--yes'], ['rollback', '--yes'], ['status']]) {
      const result = await cli([...args, runbook], { cwd: dir });
      expect(result.code, `${args.join(' ')}: ${describeResult(result)}`).toBe(2);
      expect(result.stderr).toContain(file);
      // The chain breaks at the next line, whose prev no longer matches the edited one; both are named.
      expect(result.stderr).toContain(`line ${editedLine + 1}`);
      expect(result.stderr).toContain(`line ${editedLine}`);
      expect(result.stderr).toContain('edited');
      expect(readFileSync(file)).toEqual(tampered);
      expect(existsSync(`${file}.lock`)).toBe(false);
    }
    expect(readLedger(dir)).toEqual(['step-1', 'step-2']);
  });

  it('a torn last line (a crash mid-write) is reported, cut off, and the run goes on', async (context) => {
    const dir = scratch(context);
    const runbook = writeLedgerRunbook(dir, [{}, {}]);
    expect((await cli(['run', '--yes', '--max-steps', '1', runbook], { cwd: dir })).code).toBe(0);
    const file = journalPath(dir);
    const lineCount = readFileSync(file, 'utf8').split('\n').length - 1;
    appendFileSync(file, '{"v":1,"seq":99,"ts":"2026-01-0');

    const result = await cli(['run', '--yes', runbook], { cwd: dir });
    expect(result.code, describeResult(result)).toBe(0);
    expect(result.stderr).toContain(`line ${lineCount + 1} was cut off`);
    const events = readJournal(file); // a valid chain again
    expect(events.filter((e) => e.type === 'journal.repaired')).toHaveLength(1);
    expect(readLedger(dir)).toEqual(['step-1', 'step-2']);
  });
});

describe.concurrent('a completed step changed in the runbook', () => {
  it('run refuses with exit 2 naming the step and --accept-changes; with it the run goes on and journals changes.accepted', async (context) => {
    const dir = scratch(context);
    const runbook = writeLedgerRunbook(dir, [{}, {}, {}]);
    expect((await cli(['run', '--yes', '--max-steps', '2', runbook], { cwd: dir })).code).toBe(0);
    const file = journalPath(dir);

    writeLedgerRunbook(dir, [{ run: 'echo step-1-v2 >> ${dir}/ledger' }, {}, {}]);
    const before = readFileSync(file);
    const refused = await cli(['run', '--yes', runbook], { cwd: dir });
    expect(refused.code, describeResult(refused)).toBe(2);
    expect(refused.stderr).toContain('step-1');
    expect(refused.stderr).not.toContain('step-2,');
    expect(refused.stderr).toContain('--accept-changes');
    expect(readLedger(dir)).toEqual(['step-1', 'step-2']);
    expect(readFileSync(file)).toEqual(before); // nothing journaled
    expect(existsSync(`${file}.lock`)).toBe(false);

    const status = await cli(['status', runbook], { cwd: dir });
    expect(status.stdout).toContain('step-1 *');

    const accepted = await cli(['run', '--yes', '--accept-changes', runbook], { cwd: dir });
    expect(accepted.code, describeResult(accepted)).toBe(0);
    // Completed steps never run again, edited or not; only step-3 was pending.
    expect(readLedger(dir)).toEqual(['step-1', 'step-2', 'step-3']);
    const events = readJournal(file);
    const changes = events.filter((e) => e.type === 'changes.accepted');
    expect(changes.map((e) => e.step)).toEqual(['step-1']);
    expect(changes[0]?.data.digestBefore).not.toEqual(changes[0]?.data.digestAfter);
    expect(stepTimeline(events).slice(-3)).toEqual(['changes.accepted:step-1', 'step.started:step-3', 'step.succeeded:step-3']);

    // Accepted once, journaled: the next run does not ask again, and accepts nothing new.
    const next = await cli(['run', '--yes', runbook], { cwd: dir });
    expect(next.code, describeResult(next)).toBe(0);
    expect(readJournal(file).filter((e) => e.type === 'changes.accepted')).toHaveLength(1);

    // A further edit of the same step is a new change: refused again.
    writeLedgerRunbook(dir, [{ run: 'echo step-1-v3 >> ${dir}/ledger' }, {}, {}]);
    const refusedAgain = await cli(['run', '--yes', runbook], { cwd: dir });
    expect(refusedAgain.code, describeResult(refusedAgain)).toBe(2);
    expect(readLedger(dir)).toEqual(['step-1', 'step-2', 'step-3']);
  });
});

// Not concurrent with other tests: the five processes must start as close together as possible.
describe('concurrent runs on one journal', () => {
  it('five runs started at once: exactly one proceeds, the others exit 4 naming the holder; the journal is a valid chain', async (context) => {
    const dir = scratch(context);
    // Step 1 holds the lock until the test releases it (at most 15 s), so every other run meets the lock.
    const hold = 'echo step-1 >> ${dir}/ledger; i=0; while [ ! -e ${dir}/release ] && [ $i -lt 300 ]; do sleep 0.05; i=$((i+1)); done';
    const runbook = writeLedgerRunbook(dir, [{ run: hold }, {}]);
    const procs = Array.from({ length: 5 }, () => startCli(['run', '--yes', runbook], { cwd: dir, timeoutMs: 25_000 }));
    context.onTestFinished(() => {
      for (const proc of procs) proc.child.kill('SIGKILL');
    });
    const exited: CliResult[] = [];
    for (const proc of procs) void proc.done.then((result) => exited.push(result));
    await waitUntil(
      () => `four runs give up (exited: ${exited.map(describeResult).join('\n')})`,
      () => exited.length >= 4,
      15_000,
    ).catch(() => undefined);
    writeFileSync(path.join(dir, 'release'), '');
    const results = await Promise.all(procs.map((p) => p.done));

    const codes = results.map((r) => r.code).sort();
    expect(codes, results.map(describeResult).join('\n')).toEqual([0, 4, 4, 4, 4]);
    const winner = procs[results.findIndex((r) => r.code === 0)];
    for (const loser of results.filter((r) => r.code === 4)) {
      expect(loser.stderr).toMatch(/locked by \S+@\S+ \(pid \d+, cutover run since /);
      expect(loser.stderr).toContain(`pid ${winner?.pid},`);
    }
    expect(readLedger(dir)).toEqual(['step-1', 'step-2']);
    const events = readJournal(journalPath(dir));
    expect(events.filter((e) => e.type === 'journal.created')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'run.started')).toHaveLength(1);
    expect(stepTimeline(events)).toEqual(['step.started:step-1', 'step.succeeded:step-1', 'step.started:step-2', 'step.succeeded:step-2']);
    expect(existsSync(`${journalPath(dir)}.lock`)).toBe(false);
    const log = await cli(['log', runbook], { cwd: dir });
    expect(log.code, describeResult(log)).toBe(0);
  });
});
