/**
 * The one error -> exit map (src/cli/error-exit.ts, applied by runGuarded) and the one
 * outcome -> exit module (src/cli/outcome-exit.ts), table by table.
 */
import { CommanderError, InvalidArgumentError } from '@commander-js/extra-typings';
import { describe, expect, it } from 'vitest';
import type { RollbackOutcome, RunOutcome } from '../../src/engine/outcome.js';
import type { RehearsalOutcome } from '../../src/engine/rehearse.js';
import { exitForError } from '../../src/cli/error-exit.js';
import { ExitError } from '../../src/cli/exit.js';
import { runGuarded } from '../../src/cli/guarded.js';
import { rehearsalExitCode, rollbackExitCode, runExitCode, watchExitCode } from '../../src/cli/outcome-exit.js';
import { JournalError, LockedError } from '../../src/journal/errors.js';
import type { JournalErrorKind } from '../../src/journal/errors.js';

const holder = { user: 'ana', host: 'ci-7', pid: 4242, since: '2026-03-02T09:00:00Z', command: 'run' };
const journalError = (kind: JournalErrorKind) => new JournalError(kind, `the journal is ${kind}`, 'do the next thing', 3, '/x/j.jsonl');

describe('error -> exit', () => {
  const cases: [name: string, error: unknown, code: number | undefined, printed: 'message' | 'nothing' | 'stack'][] = [
    ['an ExitError: its code and message', new ExitError(3, 'rollback failed'), 3, 'message'],
    ['an ExitError without a message (already printed)', new ExitError(1), 1, 'nothing'],
    ['a lock held by another command', new LockedError(holder, false, '/x/j.jsonl.lock'), 4, 'message'],
    ['a stale lock', new LockedError(undefined, true, '/x/j.jsonl.lock'), 4, 'message'],
    ['a conflict (written by someone else, or a lost lease)', journalError('conflict'), 4, 'message'],
    ['a damaged journal', journalError('damaged'), 2, 'message'],
    ['an unreadable journal', journalError('io'), 2, 'message'],
    ["another runbook's journal", journalError('wrong-runbook'), 2, 'message'],
    ['a journal poisoned by a failed append', journalError('poisoned'), 2, 'message'],
    ['a refused journal entry', journalError('refused'), 2, 'message'],
    ['a commander usage error (commander printed it)', new CommanderError(1, 'commander.unknownOption', "error: unknown option '--x'"), 2, 'nothing'],
    ['a bad option value (commander printed it)', new InvalidArgumentError('bad'), 2, 'nothing'],
    ['--help and --version', new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)'), 0, 'nothing'],
    ['anything else: a bug', new TypeError('x is undefined'), undefined, 'stack'],
    ['a thrown string: a bug', 'oops', undefined, 'stack'],
  ];

  it.each(cases)('%s', async (_name, error, code, printed) => {
    const mapped = exitForError(error);
    expect(mapped?.code).toBe(code);
    const lines: string[] = [];
    const exit = await runGuarded({ out: (text) => lines.push(text), err: (text) => lines.push(text), color: false }, () => Promise.reject(error));
    expect(exit).toBe(code ?? 70);
    if (printed === 'nothing') expect(lines).toEqual([]);
    if (printed === 'message') expect(lines).toEqual([(error as Error).message]);
    if (printed === 'stack') expect(lines.join('\n')).toContain('internal error (this is a bug');
  });
});

describe('outcome -> exit', () => {
  const run: [RunOutcome, number, number][] = [
    [{ state: 'completed', stepsRun: ['a'] }, 0, 0],
    [{ state: 'up_to_date', stepsRun: [], reason: 'done' }, 0, 0],
    [{ state: 'advanced', stepsRun: ['a'], next: 'b' }, 0, 10],
    [{ state: 'waiting_bake', stepsRun: ['a'], step: 'a', next: 'b', waitUntil: '2026-03-02T10:00:00Z' }, 0, 11],
    [{ state: 'waiting_approval', stepsRun: [], step: 'b' }, 0, 12],
    [{ state: 'failed', stepsRun: ['a'], step: 'a', reason: 'exit 1' }, 1, 1],
    [{ state: 'rolled_back', stepsRun: ['a'], steps: ['a'] }, 1, 1],
    [{ state: 'rollback_failed', stepsRun: ['a'], step: 'a', reason: 'exit 1' }, 3, 3],
    [{ state: 'interrupted', stepsRun: [], signal: 'SIGHUP' }, 129, 129],
    [{ state: 'interrupted', stepsRun: [], signal: 'SIGINT' }, 130, 130],
    [{ state: 'interrupted', stepsRun: [], signal: 'SIGTERM' }, 143, 143],
    [{ state: 'refused', stepsRun: [], reason: 'changed' }, 2, 2],
  ];
  it.each(run)('run/resume %o: %i, with --detailed-exitcode %i', (outcome, plain, detailed) => {
    expect(runExitCode(outcome, false)).toBe(plain);
    expect(runExitCode(outcome, true)).toBe(detailed);
  });

  const rollback: [RollbackOutcome, number][] = [
    [{ state: 'rolled_back', steps: ['a'] }, 0],
    [{ state: 'nothing_to_roll_back' }, 0],
    [{ state: 'cancelled' }, 0],
    [{ state: 'stopped_at_irreversible', steps: [], step: 'a', reason: 'irreversible' }, 3],
    [{ state: 'rollback_failed', steps: [], step: 'a', reason: 'exit 1' }, 3],
    [{ state: 'stopped', steps: [], step: 'a', reason: 'drift' }, 3],
    [{ state: 'interrupted', steps: [], signal: 'SIGTERM' }, 143],
  ];
  it.each(rollback)('rollback %o: %i', (outcome, code) => expect(rollbackExitCode(outcome)).toBe(code));

  const rehearsal: [RehearsalOutcome, number][] = [
    [{ state: 'completed', steps: [] }, 0],
    [{ state: 'completed', steps: [], returned: { state: 'rolled_back', steps: ['a'] } }, 0],
    [{ state: 'completed', steps: [], returned: { state: 'rollback_failed', steps: [], step: 'a', reason: 'exit 1' } }, 3],
    [{ state: 'advanced', steps: [], next: 'b' }, 0],
    [{ state: 'waiting_approval', steps: [], step: 'b' }, 0],
    [{ state: 'failed', steps: [], step: 'a', reason: 'verify failed' }, 1],
    [{ state: 'interrupted', steps: [], signal: 'SIGINT' }, 130],
    [{ state: 'refused', steps: [], reason: 'applied steps' }, 2],
  ];
  it.each(rehearsal)('rehearse %o: %i', (outcome, code) => expect(rehearsalExitCode(outcome)).toBe(code));

  const watch: [RunOutcome | undefined, number][] = [
    [undefined, 0],
    [{ state: 'failed', stepsRun: [], step: 'a', reason: 'watch failed' }, 1],
    [{ state: 'rolled_back', stepsRun: [], steps: ['a'], step: 'a' }, 1],
    [{ state: 'rollback_failed', stepsRun: [], step: 'a', reason: 'exit 1' }, 3],
    [{ state: 'interrupted', stepsRun: [], signal: 'SIGTERM' }, 143],
  ];
  it.each(watch)('watch %o: %i', (outcome, code) => expect(watchExitCode(outcome)).toBe(code));
});
