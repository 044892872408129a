import { describe, expect, it } from 'vitest';
import { verifyChain } from '../../src/journal/chain.js';
import { JournalError } from '../../src/journal/errors.js';
import { openJournal } from '../../src/journal/journal.js';
import { hashLine } from '../../src/journal/line.js';
import { MemoryJournalStore } from '../../src/journal/memory-store.js';
import { fakeClock } from '../../src/support/clock.js';
import { createMasker } from '../../src/support/mask.js';
import { buildJournal, failed, journalOptions, started, succeeded } from '../helpers/journal-fixtures.js';
import { rejectionOf } from '../helpers/rejection.js';

const rejection = (promise: Promise<unknown>) => rejectionOf(promise, JournalError);

describe('openJournal and append', () => {
  it('opens a missing journal without writing, and starts it with journal.created on the first append', async () => {
    const store = new MemoryJournalStore();
    const clock = fakeClock(new Date('2026-03-01T10:00:00Z'));
    const journal = await openJournal(store, journalOptions({ clock }));
    expect(journal.events).toEqual([]);
    expect(journal.exists).toBe(false);
    expect(store.text).toBeUndefined();

    const event = await journal.append(started('a'));
    const lines = (store.text ?? '').split('\n');
    expect(lines).toHaveLength(3);
    expect(JSON.parse(lines[0] ?? '')).toEqual({
      v: 1,
      seq: 1,
      ts: '2026-03-01T10:00:00.000Z',
      type: 'journal.created',
      by: 'alice@laptop',
      data: { runbook: 'web', file: 'runbooks/web.yaml' },
      prev: null,
    });
    expect(event).toMatchObject({ v: 1, seq: 2, type: 'step.started', step: 'a', by: 'alice@laptop', prev: hashLine(lines[0] ?? '') });
    expect(journal.events).toHaveLength(2);
    expect(journal.events[1]).toEqual(event);
    expect(verifyChain(store.text ?? '').events).toEqual(journal.events);
  });

  it('continues an existing journal, and a reopened journal sees the same events', async () => {
    const store = new MemoryJournalStore();
    const first = await openJournal(store, journalOptions());
    await first.append(started('a'));
    const second = await openJournal(store, journalOptions());
    expect(second.events).toEqual(first.events);
    const event = await second.append(succeeded('a'));
    expect(event.seq).toBe(3);
    expect(verifyChain(store.text ?? '').events.map((item) => item.type)).toEqual(['journal.created', 'step.started', 'step.succeeded']);
  });

  it('records the identity with its CI job', async () => {
    const store = new MemoryJournalStore();
    const journal = await openJournal(store, journalOptions({ identity: { user: 'runner', host: 'ci-1', pid: 1, ci: 'ci job 77' } }));
    expect((await journal.append(started('a'))).by).toBe('runner@ci-1 (ci job 77)');
  });

  it('never lets a secret reach the journal', async () => {
    const store = new MemoryJournalStore();
    const journal = await openJournal(store, journalOptions({ masker: createMasker(['hunter2']) }));
    const event = await journal.append({
      type: 'step.failed',
      step: 'a',
      data: { phase: 'action', reason: 'psql: password hunter2 rejected', tail: ['PGPASSWORD=hunter2', 'x'] },
    });
    await journal.append({
      type: 'step.captured',
      step: 'a',
      data: { kind: 'route53', target: 't', label: 'l', weights: {}, state: { hunter2: { nested: ['hunter2hunter2'] } } },
    });
    expect(store.text).not.toContain('hunter2');
    expect(event.data).toMatchObject({ reason: 'psql: password *** rejected', tail: ['PGPASSWORD=***', 'x'] });
  });

  it('refuses a step id that contains a secret instead of masking it', async () => {
    const store = new MemoryJournalStore();
    const journal = await openJournal(store, journalOptions({ masker: createMasker(['prod42']) }));
    const error = await rejection(journal.append(started('deploy-prod42')));
    expect(error.kind).toBe('refused');
    expect(error.message).toContain('step deploy-***');
    expect(error.message).not.toContain('prod42');
    expect(store.text).toBeUndefined();
  });

  it('refuses a journal created for another runbook', async () => {
    const store = new MemoryJournalStore(buildJournal([], 'db-move').text, '.cutover/web.journal.jsonl');
    const error = await rejection(openJournal(store, journalOptions()));
    expect(error.kind).toBe('wrong-runbook');
    expect(error.message).toBe(
      '.cutover/web.journal.jsonl: line 1: this journal belongs to runbook db-move, not web; use the journal of this runbook, or start a new one with --journal',
    );
  });

  it('refuses an empty journal rather than starting over', async () => {
    const error = await rejection(openJournal(new MemoryJournalStore('', 'j.jsonl'), journalOptions()));
    expect(error.kind).toBe('damaged');
    expect(error.message).toMatch(/^j\.jsonl: line 1: the journal is empty/);
  });

  it('names the journal and the line when it is damaged', async () => {
    const { lines } = buildJournal([started('a'), succeeded('a')]);
    lines.splice(1, 1);
    const store = new MemoryJournalStore(lines.map((line) => `${line}\n`).join(''), 'j.jsonl');
    const error = await rejection(openJournal(store, journalOptions()));
    expect(error.message).toMatch(/^j\.jsonl: line 2: expected seq 2 but found 3/);
  });

  it('reports a torn last line, ignores it, and repairs it before the first append', async () => {
    const { text, events } = buildJournal([started('a')]);
    const tail = '{"v":1,"seq":3,"ts":"2026-01-01T00:00:02.000Z","type":"step.succ';
    const store = new MemoryJournalStore(text + tail);
    const journal = await openJournal(store, journalOptions());
    expect(journal.warnings).toEqual([{ torn: { line: 3, bytes: tail.length } }]);
    expect(journal.events).toEqual(events);
    expect(store.text).toBe(text + tail); // opening does not write

    await journal.append(failed('a'));
    const repaired = verifyChain(store.text ?? '');
    expect(repaired.torn).toBeUndefined();
    expect(repaired.events.map((event) => [event.seq, event.type])).toEqual([
      [1, 'journal.created'],
      [2, 'step.started'],
      [3, 'journal.repaired'],
      [4, 'step.failed'],
    ]);
    expect(repaired.events[2]?.data).toEqual({ line: 3, droppedBytes: tail.length });
    expect(repaired.events).toEqual(journal.events);
  });

  it('adds the missing newline of a complete last line before appending', async () => {
    const { text } = buildJournal([started('a')]);
    const store = new MemoryJournalStore(text.slice(0, -1));
    const journal = await openJournal(store, journalOptions());
    expect(journal.warnings).toEqual([]);
    await journal.append(succeeded('a'));
    expect(verifyChain(store.text ?? '').events.map((event) => event.type)).toEqual(['journal.created', 'step.started', 'step.succeeded']);
  });

  it('writes concurrent appends one after another', async () => {
    const store = new MemoryJournalStore();
    const journal = await openJournal(store, journalOptions());
    const results = await Promise.all(Array.from({ length: 20 }, (_, index) => journal.append(started(`s${index}`))));
    expect(results.map((event) => event.seq)).toEqual(Array.from({ length: 20 }, (_, index) => index + 2));
    expect(verifyChain(store.text ?? '').events).toHaveLength(21);
  });

  it('stops appending after a failed write, because the end of the journal is unknown', async () => {
    const store = new MemoryJournalStore();
    const journal = await openJournal(store, journalOptions());
    await journal.append(started('a'));
    const original = store.appendLine.bind(store);
    store.appendLine = async () => {
      throw Object.assign(new Error('no space'), { code: 'ENOSPC' });
    };
    await rejection(journal.append(succeeded('a')));
    store.appendLine = original;
    const error = await rejection(journal.append(succeeded('a')));
    expect(error.kind).toBe('poisoned');
    expect(journal.events).toHaveLength(2);
  });

  it('refuses events it writes itself and events with missing data, without writing', async () => {
    const store = new MemoryJournalStore();
    const journal = await openJournal(store, journalOptions());
    expect((await rejection(journal.append({ type: 'journal.created', data: { runbook: 'x', file: 'x' } }))).kind).toBe('refused');
    const invalid = { type: 'step.failed', step: 'a', data: { phase: 'action' } } as never;
    expect((await rejection(journal.append(invalid))).message).toContain('invalid step.failed event');
    // A refusal is a bug report, not a write failure: the journal stays usable.
    await journal.append(started('a'));
    expect(verifyChain(store.text ?? '').events).toHaveLength(2);
  });
});
