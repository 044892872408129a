import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyChain } from '../../src/journal/chain.js';
import { JournalError } from '../../src/journal/errors.js';
import { FileJournalStore } from '../../src/journal/file-store.js';
import { ioError } from '../../src/journal/io-error.js';
import { openJournal } from '../../src/journal/journal.js';
import { defaultJournalPath } from '../../src/journal/paths.js';
import { createMasker } from '../../src/support/mask.js';
import { buildJournal, failed, journalOptions, started, succeeded } from '../helpers/journal-fixtures.js';
import { rejectionOf } from '../helpers/rejection.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cutover-journal-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const rejection = (promise: Promise<unknown>) => rejectionOf(promise, JournalError);

describe('FileJournalStore', () => {
  it('reads a missing journal as "no journal yet" and creates nothing', async () => {
    const path = defaultJournalPath('web', dir);
    expect(await new FileJournalStore(path).readText()).toBeUndefined();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('creates the directory and a 0600 file even under a permissive umask, leaving no temp file', async () => {
    const path = join(dir, '.cutover', 'web.journal.jsonl');
    const previous = process.umask(0o000);
    try {
      const store = new FileJournalStore(path);
      await store.appendLine('first');
      await store.appendLine('second');
    } finally {
      process.umask(previous);
    }
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, '.cutover')).mode & 0o777).toBe(0o700);
    expect(readFileSync(path, 'utf8')).toBe('first\nsecond\n');
    expect(readdirSync(join(dir, '.cutover'))).toEqual(['web.journal.jsonl']);
  });

  it('truncates by bytes', async () => {
    const path = join(dir, 'j.jsonl');
    writeFileSync(path, 'é1\npartial');
    const store = new FileJournalStore(path);
    await store.truncate(Buffer.byteLength('é1\n'));
    await store.appendLine('next');
    expect(readFileSync(path, 'utf8')).toBe('é1\nnext\n');
  });

  it('says what to do when a directory is in the way', async () => {
    const path = join(dir, 'j.jsonl');
    mkdirSync(path);
    const store = new FileJournalStore(path);
    const read = await rejection(store.readText());
    expect(read.kind).toBe('io');
    expect(read.message).toBe(`cannot read the journal ${path}: it is a directory; move the directory away, or choose another journal file with --journal`);
    expect((await rejection(store.appendLine('x'))).message).toContain('it is a directory');
  });

  it('says what to do when a parent is a file', async () => {
    writeFileSync(join(dir, 'file'), '');
    const error = await rejection(new FileJournalStore(join(dir, 'file', 'j.jsonl')).appendLine('x'));
    expect(error.message).toContain('a part of that path is a file, not a directory');
  });

  it.skipIf(process.getuid?.() === 0)('says what to do when permission is denied', async () => {
    const path = join(dir, 'j.jsonl');
    writeFileSync(path, 'x\n', { mode: 0o000 });
    const error = await rejection(new FileJournalStore(path).readText());
    expect(error.message).toContain('permission denied; journals are created mode 0600');
  });

  it('explains permission errors (also when running as root, where chmod cannot deny)', () => {
    const error = ioError(Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' }), 'write the journal', '/x/j.jsonl');
    expect(error.message).toBe(
      'cannot write the journal /x/j.jsonl: permission denied; journals are created mode 0600 by whoever ran cutover first: run as that user, or fix the ownership of the file and its directory',
    );
  });
});

describe('a journal in a file', () => {
  it('writes a verifiable 0600 journal in which no secret appears', async () => {
    const path = join(dir, '.cutover', 'web.journal.jsonl');
    const journal = await openJournal(new FileJournalStore(path), journalOptions({ masker: createMasker(['s3cr3t-token']) }));
    await journal.append(started('a'));
    await journal.append({ type: 'step.failed', step: 'a', data: { phase: 'verify', reason: 'curl -H "Authorization: s3cr3t-token" failed' } });
    const text = readFileSync(path, 'utf8');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(text).not.toContain('s3cr3t-token');
    expect(verifyChain(text).events).toEqual(journal.events);
  });

  it('repairs a torn last line on disk, and the repaired file verifies', async () => {
    const path = join(dir, 'j.jsonl');
    const { text } = buildJournal([started('a')]);
    const tail = '{"v":1,"seq":3,"ts":"2026-01-';
    writeFileSync(path, text + tail, { mode: 0o600 });
    const journal = await openJournal(new FileJournalStore(path), journalOptions());
    expect(journal.warnings).toEqual([{ torn: { line: 3, bytes: tail.length } }]);
    await journal.append(failed('a'));
    await journal.append(succeeded('a'));
    const repaired = verifyChain(readFileSync(path, 'utf8'));
    expect(repaired.torn).toBeUndefined();
    expect(repaired.events.map((event) => event.type)).toEqual(['journal.created', 'step.started', 'journal.repaired', 'step.failed', 'step.succeeded']);
  });

  it('refuses to append when another process appended since it read the file (unlock --force against a live holder): exit-4 conflict, nothing written, the chain still verifies', async () => {
    const path = join(dir, '.cutover', 'web.journal.jsonl');
    const first = await openJournal(new FileJournalStore(path), journalOptions());
    await first.append(started('a'));
    // A second command opens the same journal (its lock was removed under the first).
    const second = await openJournal(new FileJournalStore(path), journalOptions({ identity: { user: 'bob', host: 'laptop', pid: 77 } }));
    await second.append(succeeded('a'));
    const afterSecond = readFileSync(path, 'utf8');

    const error = await rejection(first.append(failed('a')));
    expect(error.kind).toBe('conflict');
    expect(error.message).toContain(`cannot write the journal ${path}: it changed since this command read it`);
    expect(error.message).toMatch(/bytes were appended by another process; its last event is #3 step.succeeded, written by bob@laptop/);
    expect(error.message).toContain('nothing was written');
    expect(readFileSync(path, 'utf8')).toBe(afterSecond);
    // The loser writes nothing more; the journal stays one valid chain.
    expect((await rejection(first.append(started('b')))).kind).toBe('poisoned');
    expect(verifyChain(readFileSync(path, 'utf8')).events.map((e) => e.type)).toEqual(['journal.created', 'step.started', 'step.succeeded']);
    // The one that wrote last goes on.
    await second.append(started('b'));
    expect(verifyChain(readFileSync(path, 'utf8')).events).toHaveLength(4);
  });

  it('refuses to append to a journal that was rewritten to the same size, replaced, or created by someone else meanwhile', async () => {
    const path = join(dir, 'j.jsonl');
    const journal = await openJournal(new FileJournalStore(path), journalOptions());
    await journal.append(started('a'));
    const text = readFileSync(path, 'utf8');
    writeFileSync(path, text.replace('"step.started"', '"step.STARTED"'));
    expect((await rejection(journal.append(succeeded('a')))).message).toContain('its last lines were rewritten by another process');

    writeFileSync(path, text);
    const other = await openJournal(new FileJournalStore(path), journalOptions());
    writeFileSync(`${path}.new`, text);
    renameSync(`${path}.new`, path); // the same bytes, another file
    expect((await rejection(other.append(succeeded('a')))).message).toContain('it was replaced by another file');

    const fresh = join(dir, 'fresh.jsonl');
    const late = await openJournal(new FileJournalStore(fresh), journalOptions());
    writeFileSync(fresh, text);
    const error = await rejection(late.append(started('a')));
    expect(error.kind).toBe('conflict');
    expect(error.message).toContain('it was created by another process after this command found no journal');
    expect(readFileSync(fresh, 'utf8')).toBe(text);
  });
});
