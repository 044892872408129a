import { describe, expect, it } from 'vitest';
import { verifyChain } from '../../src/journal/chain.js';
import { JournalError } from '../../src/journal/errors.js';
import { hashLine } from '../../src/journal/line.js';
import { buildJournal, failed, started, succeeded } from '../helpers/journal-fixtures.js';

// 1 journal.created, 2 run.started, 3-4 a, 5-6 b, 7-8 c
const journal = () =>
  buildJournal([
    { type: 'run.started', data: { command: 'run', runbook: 'web', file: 'web.yaml', options: {} } },
    started('a'),
    succeeded('a'),
    started('b'),
    failed('b'),
    started('c'),
    succeeded('c'),
  ]);

const text = (lines: string[]) => lines.map((line) => `${line}\n`).join('');

function damage(lines: string[]): JournalError {
  try {
    verifyChain(text(lines));
  } catch (error) {
    expect(error).toBeInstanceOf(JournalError);
    return error as JournalError;
  }
  throw new Error('expected verifyChain to fail');
}

function editLine(line: string, edit: (value: Record<string, unknown>) => void): string {
  const value = JSON.parse(line) as Record<string, unknown>;
  edit(value);
  return JSON.stringify(value);
}

describe('verifyChain', () => {
  it('accepts an intact journal and returns its events and head', () => {
    const { lines, events } = journal();
    const result = verifyChain(text(lines));
    expect(result.events).toEqual(events);
    expect(result.head).toBe(hashLine(lines.at(-1) ?? ''));
    expect(result.torn).toBeUndefined();
    expect(result.unterminated).toBe(false);
    expect(result.validBytes).toBe(Buffer.byteLength(text(lines)));
  });

  it('detects an edited field on the next line, naming the edited one', () => {
    const { lines } = journal();
    lines[3] = editLine(lines[3] ?? '', (value) => ((value.data as { durationMs: number }).durationMs = 1));
    const error = damage(lines);
    expect(error.kind).toBe('damaged');
    expect(error.line).toBe(5);
    expect(error.message).toMatch(
      /^line 5: the hash chain is broken: `prev` does not match line 4 \(that line was edited, or lines were deleted or reordered\); the journal cannot be trusted — restore it from a copy or start a new journal with --journal$/,
    );
  });

  it('detects a deleted line', () => {
    const { lines } = journal();
    lines.splice(3, 1);
    const error = damage(lines);
    expect(error.line).toBe(4);
    expect(error.message).toContain('line 4: expected seq 4 but found 5');
  });

  it('detects swapped lines', () => {
    const { lines } = journal();
    [lines[4], lines[5]] = [lines[5] ?? '', lines[4] ?? ''];
    const error = damage(lines);
    expect(error.line).toBe(5);
    expect(error.message).toContain('expected seq 5 but found 6');
  });

  it('detects a renumbered line that keeps seq in order but not the chain', () => {
    const { lines } = journal();
    // Delete line 4 and renumber the rest: only the chain can tell.
    const renumbered = [...lines.slice(0, 3), ...lines.slice(4).map((line) => editLine(line, (value) => ((value.seq as number) -= 1)))];
    expect(damage(renumbered).line).toBe(4);
    expect(damage(renumbered).message).toContain('does not match line 3');
  });

  it('detects an unknown event type', () => {
    const { lines } = journal();
    lines[2] = editLine(lines[2] ?? '', (value) => (value.type = 'step.exploded'));
    const error = damage(lines);
    expect(error.line).toBe(3);
    expect(error.message).toContain('line 3: unknown event type "step.exploded"');
  });

  it('detects bad JSON in the middle', () => {
    const { lines } = journal();
    lines[5] = (lines[5] ?? '').slice(0, 20);
    const error = damage(lines);
    expect(error.line).toBe(6);
    expect(error.message).toContain('line 6: the line is not valid JSON');
  });

  it('detects an empty line in the middle', () => {
    const { lines } = journal();
    lines.splice(2, 0, '');
    expect(damage(lines).message).toContain('line 3: the line is empty');
  });

  it('detects a wrong seq', () => {
    const { lines } = journal();
    lines[6] = editLine(lines[6] ?? '', (value) => (value.seq = 70));
    const error = damage(lines);
    expect(error.line).toBe(7);
    expect(error.message).toContain('expected seq 7 but found 70');
  });

  it('detects a wrong version', () => {
    const { lines } = journal();
    lines[1] = editLine(lines[1] ?? '', (value) => (value.v = 2));
    const error = damage(lines);
    expect(error.line).toBe(2);
    expect(error.message).toContain('line 2: the journal format version is 2, but this cutover reads version 1');
  });

  it('requires journal.created first and only first', () => {
    const { lines } = buildJournal([]);
    const wrongFirst = editLine(lines[0] ?? '', (value) => {
      value.type = 'run.started';
      value.data = { command: 'run' };
    });
    expect(damage([wrongFirst]).message).toContain('line 1: the first event must be journal.created, not run.started');

    const second = buildJournal([]).lines[0] ?? '';
    const again = editLine(second, (value) => {
      value.seq = 2;
      value.prev = hashLine(lines[0] ?? '');
    });
    expect(damage([lines[0] ?? '', again]).message).toContain('line 2: journal.created may only be the first event');
  });

  it('detects lines cut from the start', () => {
    const { lines } = buildJournal([]);
    const noNullPrev = editLine(lines[0] ?? '', (value) => (value.prev = 'abc'));
    expect(damage([noNullPrev]).message).toContain('line 1: the first line must have `prev: null`');
  });

  it('detects a step event without a step and data that replay needs', () => {
    const { lines } = journal();
    expect(damage([...lines.slice(0, 2), editLine(lines[2] ?? '', (value) => delete value.step)]).message).toContain(
      'line 3: a step.started event without `step`',
    );
    expect(damage([...lines.slice(0, 2), editLine(lines[2] ?? '', (value) => delete (value.data as Record<string, unknown>).digest)]).message).toContain(
      'line 3: a step.started event whose data has no valid `digest`',
    );
  });

  it('tolerates a torn last line and reports it', () => {
    const { lines, events } = journal();
    const intact = text(lines);
    const tail = '{"v":1,"seq":9,"ts":"2026-01-01T00:0';
    const result = verifyChain(`${intact}${tail}`);
    expect(result.events).toEqual(events);
    expect(result.torn).toEqual({ line: 9, bytes: tail.length });
    expect(result.validBytes).toBe(Buffer.byteLength(intact));
    expect(result.unterminated).toBe(false);
  });

  it('keeps a complete last line whose newline is missing', () => {
    const { lines, events } = journal();
    const result = verifyChain(text(lines).slice(0, -1));
    expect(result.events).toEqual(events);
    expect(result.torn).toBeUndefined();
    expect(result.unterminated).toBe(true);
  });

  it('does not excuse a damaged last line just because its newline is missing', () => {
    const { lines } = journal();
    lines[7] = editLine(lines[7] ?? '', (value) => (value.seq = 9));
    expect(() => verifyChain(text(lines).slice(0, -1))).toThrow(/line 8: expected seq 8 but found 9/);
  });

  it('treats an empty journal as damage, not as a new journal', () => {
    expect(() => verifyChain('')).toThrow(/line 1: the journal is empty/);
    expect(() => verifyChain('{"v":1,"se')).toThrow(/no complete line/);
  });
});
