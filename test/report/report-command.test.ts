/** `cutover report` as a command: which journals it reads, what it writes, and what it refuses. */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeReport } from '../../src/cli/handlers/report.js';
import { exitForError } from '../../src/cli/error-exit.js';
import { ExitError } from '../../src/cli/exit.js';
import type { Output } from '../../src/cli/output.js';
import type { ReportModel } from '../../src/report/model.js';
import { inRunbookDir, JournalScript, rehearsed, runFinished, runStarted, shellStep, stepFailed, stepStarted, stepSucceeded } from './fixtures.js';
import { rejectionOf } from '../helpers/rejection.js';

const SECRET = 'tok-7f3a9c2e51';

const RUNBOOK = `cutover: 1
name: web
description: Rotate the API token and move the app.
secrets: [API_TOKEN]
steps:
  - id: a
    title: Rotate \${env.API_TOKEN}
    run: "true"
    rollback: "true"
  - id: b
    title: Step b
    run: "true"
    rollback: "true"
`;

const testDir = inRunbookDir('cutover-report-', RUNBOOK);
let savedToken: string | undefined;
beforeEach(() => {
  savedToken = process.env.API_TOKEN;
  process.env.API_TOKEN = SECRET;
});
afterEach(() => {
  if (savedToken === undefined) delete process.env.API_TOKEN;
  else process.env.API_TOKEN = savedToken;
});

function capture(): Output & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (text) => stdout.push(text), err: (text) => stderr.push(text), color: false };
}

async function writeJournal(file = path.join(testDir(), '.cutover', 'web.journal.jsonl')): Promise<string> {
  const j = new JournalScript('web', '2026-03-02T09:00:00Z', { secrets: [SECRET] });
  await j.append(runStarted());
  await j.after(1_000).append(stepStarted(shellStep('a', { title: `Rotate ${SECRET}` })));
  await j.after(2_000).append(stepFailed('a', `curl: 401 with token ${SECRET}`, 1, [`Authorization: Bearer ${SECRET}`]));
  await j.after(100).append(runFinished('failed'));
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, j.text, { mode: 0o600 });
  return file;
}

const exitOf = (promise: Promise<unknown>) => rejectionOf(promise, ExitError);
/** How the CLI ends on what the command threw (the map runGuarded applies). */
const endingOf = async (promise: Promise<unknown>) => exitForError(await rejectionOf(promise, Error));

describe('cutover report', () => {
  it('writes the HTML and the Markdown (mode 0600) and says so; secrets stay masked everywhere', async () => {
    await writeJournal();
    const output = capture();
    await writeReport('web.yaml', { html: 'report.html', md: 'report.md' }, output);
    const html = readFileSync(path.join(testDir(), 'report.html'), 'utf8');
    const md = readFileSync(path.join(testDir(), 'report.md'), 'utf8');
    expect(html).toContain('<title>Migration report: web (failed)</title>');
    expect(md).toContain('# Migration report: web');
    expect(md).toContain('Rotate the API token and move the app.');
    expect(statSync(path.join(testDir(), 'report.html')).mode & 0o777).toBe(0o600);
    expect(output.stderr.join('\n')).toMatch(/^report: wrote report\.html and report\.md \(failed; 2 steps, 1 failures, 0 rollbacks, 5 journal events\)$/);
    for (const text of [html, md]) {
      expect(text).not.toContain(SECRET);
      expect(text).toContain('Bearer ***');
    }
    expect(html).toContain('Rotate ***');
    // Markdown escapes the asterisks so they stay asterisks.
    expect(md).toContain('Rotate \\*\\*\\*');
  });

  it('--json prints the model; without --html/--md the Markdown goes to stdout; --md - as well', async () => {
    await writeJournal();
    let output = capture();
    await writeReport('web.yaml', { json: true }, output);
    const model = JSON.parse(output.stdout.join('')) as ReportModel;
    expect(model.outcome).toBe('failed');
    expect(model.runbook).toMatchObject({ name: 'web', file: 'web.yaml', description: 'Rotate the API token and move the app.' });
    expect(model.runbook.fileDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(model.journal.location).toBe(path.join(testDir(), '.cutover', 'web.journal.jsonl'));
    expect(model.steps.map((s) => [s.id, s.title, s.state])).toEqual([
      ['a', 'Rotate ***', 'failed'],
      ['b', 'Step b', 'pending'],
    ]);
    expect(JSON.stringify(model)).not.toContain(SECRET);

    output = capture();
    await writeReport('web.yaml', {}, output);
    expect(output.stdout.join('')).toMatch(/^# Migration report: web\n/);
    output = capture();
    await writeReport('web.yaml', { md: '-' }, output);
    expect(output.stdout.join('')).toMatch(/^# Migration report: web\n/);
    expect(output.stderr).toEqual([]);
  });

  it('--journal reads another journal; the rehearsal journal is used when it exists, or named with --rehearsal', async () => {
    const other = await writeJournal(path.join(testDir(), 'elsewhere.jsonl'));
    const rehearsal = new JournalScript('web', '2026-02-20T10:00:00Z');
    await rehearsal.append(runStarted('rehearse'), rehearsed('a', 'sha256:a-v1', 'passed'));
    mkdirSync(path.join(testDir(), '.cutover'), { recursive: true });
    writeFileSync(path.join(testDir(), '.cutover', 'web.rehearsal.jsonl'), rehearsal.text);
    let output = capture();
    await writeReport('web.yaml', { journal: other, json: true }, output);
    let model = JSON.parse(output.stdout.join('')) as ReportModel;
    expect(model.journal.location).toBe(other);
    expect(model.rehearsal).toMatchObject({ location: path.join(testDir(), '.cutover', 'web.rehearsal.jsonl'), events: 3 });
    expect(model.rehearsal?.steps.map((s) => [s.step, s.verdict])).toEqual([['a', 'passed']]);

    writeFileSync(path.join(testDir(), 'staging.jsonl'), rehearsal.text);
    output = capture();
    await writeReport('web.yaml', { journal: other, rehearsal: 'staging.jsonl', json: true }, output);
    model = JSON.parse(output.stdout.join('')) as ReportModel;
    expect(model.rehearsal?.location).toBe(path.join(testDir(), 'staging.jsonl'));
  });

  it('refuses with exit 2: no journal yet, a --rehearsal that does not exist, --html and --md on one file, a journal of another runbook', async () => {
    let error = await exitOf(writeReport('web.yaml', { html: 'r.html' }, capture()));
    expect(error.code).toBe(2);
    expect(error.message).toContain('no journal at');
    expect(error.message).toContain('nothing to report yet');

    await writeJournal();
    error = await exitOf(writeReport('web.yaml', { rehearsal: 'nope.jsonl', html: 'r.html' }, capture()));
    expect(error).toMatchObject({ code: 2, message: '--rehearsal nope.jsonl: no rehearsal journal there' });

    error = await exitOf(writeReport('web.yaml', { html: 'r.out', md: 'r.out' }, capture()));
    expect(error.code).toBe(2);

    const foreign = new JournalScript('payments');
    await foreign.append(stepStarted(shellStep('a')), stepSucceeded('a', 1));
    writeFileSync(path.join(testDir(), 'payments.jsonl'), foreign.text);
    const ending = await endingOf(writeReport('web.yaml', { journal: 'payments.jsonl' }, capture()));
    expect(ending?.code).toBe(2);
    expect(ending?.message).toContain('belongs to runbook payments');
  });
});
