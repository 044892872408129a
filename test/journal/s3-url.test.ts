import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { journalTargetFor, targetOf } from '../../src/cli/journal-backend.js';
import { ExitError } from '../../src/cli/exit.js';
import { defaultJournalPath, defaultRehearsalPath } from '../../src/journal/paths.js';
import { formatS3Url, leaseKeyFor, parseS3Url } from '../../src/journal/s3-url.js';

describe('S3 journal URLs', () => {
  it('parse into bucket and key, and back', () => {
    expect(parseS3Url('s3://acme-cutover/journals/web.journal.jsonl')).toEqual({ bucket: 'acme-cutover', key: 'journals/web.journal.jsonl' });
    expect(formatS3Url({ bucket: 'acme-cutover', key: 'a/b.jsonl' })).toBe('s3://acme-cutover/a/b.jsonl');
    expect(leaseKeyFor('a/b.jsonl')).toBe('a/b.jsonl.lock');
  });

  it('refuse what cannot be a journal object, saying how to write it', () => {
    expect(() => parseS3Url('s3://acme-cutover')).toThrow(/names no object/);
    expect(() => parseS3Url('s3://acme-cutover/dir/')).toThrow(/names no object/);
    expect(() => parseS3Url('s3://Acme_Cutover/x.jsonl')).toThrow(/bucket names are 3-63 lowercase letters/);
    expect(() => parseS3Url('s3://acme-cutover/x.jsonl.lock')).toThrow(/may not end in .lock/);
  });
});

describe('which journal a command uses', () => {
  const runbook = { name: 'web', file: 'ops/web.yaml', journal: 's3://acme-cutover/web.journal.jsonl' };
  const stateDir = path.resolve('ops', '.cutover');

  it("--journal, else the command's own default, else the runbook's journal:, else .cutover/<name>.journal.jsonl next to the runbook", () => {
    expect(journalTargetFor(runbook, { journal: 'local.jsonl' })).toEqual({
      kind: 'file',
      path: path.resolve('local.jsonl'),
      location: path.resolve('local.jsonl'),
    });
    expect(journalTargetFor(runbook, {})).toEqual({
      kind: 's3',
      s3: { bucket: 'acme-cutover', key: 'web.journal.jsonl' },
      location: 's3://acme-cutover/web.journal.jsonl',
    });
    // rehearse never writes the production journal of the runbook.
    expect(journalTargetFor(runbook, {}, defaultRehearsalPath)).toMatchObject({ kind: 'file', path: defaultRehearsalPath('web', stateDir) });
    expect(journalTargetFor({ name: 'web', file: 'ops/web.yaml' }, {})).toMatchObject({ kind: 'file', path: path.join(stateDir, 'web.journal.jsonl') });
    expect(defaultJournalPath('web', stateDir)).toBe(path.join(stateDir, 'web.journal.jsonl'));
    // A relative journal: in the runbook is relative to the runbook file, not to where cutover runs.
    expect(journalTargetFor({ name: 'web', file: 'ops/web.yaml', journal: '../state/web.jsonl' }, {})).toMatchObject({
      kind: 'file',
      path: path.resolve('state', 'web.jsonl'),
    });
  });

  it('a malformed URL or another scheme is a usage error (exit 2)', () => {
    expect(() => targetOf('s3://acme-cutover')).toThrow(ExitError);
    expect(() => targetOf('https://example.com/j.jsonl')).toThrow(/a journal is a file path or an s3:\/\/ URL/);
  });
});
