/** `cutover status --watch`: polls a journal that another process writes, read-only. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fit, watchStatus } from '../../src/cli/handlers/status-watch.js';
import type { Output } from '../../src/cli/output.js';
import { FileJournalStore } from '../../src/journal/file-store.js';
import { openJournal } from '../../src/journal/journal.js';
import type { Journal } from '../../src/journal/journal.js';
import { systemClock } from '../../src/support/clock.js';
import { createMasker } from '../../src/support/mask.js';
import { ALICE, inRunbookDir, runStarted, shellStep, stepStarted, stepSucceeded } from './fixtures.js';

const RUNBOOK = `cutover: 1
name: web
steps:
  - id: a
    title: Step a
    run: "true"
    rollback: "true"
  - id: b
    title: Step b
    run: "true"
    rollback: "true"
`;

const testDir = inRunbookDir('cutover-watch-', RUNBOOK);

function capture(): Output & { chunks: string[] } {
  const chunks: string[] = [];
  return { chunks, out: (text) => chunks.push(text), err: (text) => chunks.push(`ERR ${text}`), color: false };
}

async function writer(journalPath: string): Promise<Journal> {
  return openJournal(new FileJournalStore(journalPath), {
    runbook: { name: 'web', file: 'web.yaml' },
    identity: ALICE,
    masker: createMasker([]),
    clock: systemClock,
  });
}

async function until(description: string, condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('status --watch', () => {
  it('without a terminal: a block when the journal changes, and only then; read-only', async () => {
    const journalPath = path.join(testDir(), 'web.journal.jsonl');
    const output = capture();
    const stop = new AbortController();
    const watching = watchStatus('web.yaml', { journal: journalPath }, output, { intervalMs: 10, tty: false, signal: stop.signal });

    await until('the first block', () => output.chunks.length === 1);
    expect(output.chunks[0]).toContain(`no journal yet at ${journalPath}`);
    expect(output.chunks[0]).toMatch(/^a\s+pending/m);

    const journal = await writer(journalPath);
    await journal.append(runStarted());
    await journal.append(stepStarted(shellStep('a')));
    await until('a block for the running step', () => output.chunks.some((c) => /^a \*?\s+running/m.test(c)));
    const afterStart = output.chunks.length;
    await sleep(80);
    expect(output.chunks.length, 'no new block while nothing changed').toBe(afterStart);

    await journal.append(stepSucceeded('a', 10));
    await until('a block for the success', () => output.chunks.some((c) => /^a \*?\s+succeeded/m.test(c)));
    stop.abort();
    await watching;

    const last = output.chunks.at(-1) as string;
    expect(last).toContain('new events:');
    expect(last).toContain('step.succeeded a');
    expect(last).not.toContain('step.started a');
    // The journaled definition of a (a fixture) is not the runbook's: status says what run would, a refusal.
    expect(last).toContain('next: completed step(s) changed since they ran: a');
    // Nothing but the writer's lines: no lock, no journal.repaired, nothing appended by the watch.
    expect(existsSync(`${journalPath}.lock`)).toBe(false);
    expect(readFileSync(journalPath, 'utf8').trim().split('\n')).toHaveLength(4);
  });

  it('--json: one status object per change', async () => {
    const journalPath = path.join(testDir(), 'web.journal.jsonl');
    const journal = await writer(journalPath);
    await journal.append(runStarted());
    await journal.append(stepStarted(shellStep('a')));
    const output = capture();
    const stop = new AbortController();
    const watching = watchStatus('web.yaml', { journal: journalPath, json: true }, output, { intervalMs: 10, tty: false, signal: stop.signal });
    await until('the first line', () => output.chunks.length === 1);
    await journal.append(stepSucceeded('a', 10));
    await until('the second line', () => output.chunks.length === 2);
    stop.abort();
    await watching;
    const [first, second] = output.chunks.map(
      (c) => JSON.parse(c) as { type: string; lastSeq: number; steps: { id: string; state: string }[]; events: { type: string }[] },
    );
    expect(first).toMatchObject({
      type: 'status',
      lastSeq: 3,
      steps: [
        { id: 'a', state: 'running' },
        { id: 'b', state: 'pending' },
      ],
    });
    expect(second?.steps[0]?.state).toBe('succeeded');
    expect(second?.events.map((e) => e.type)).toEqual(['step.succeeded']);
  });

  it('at a terminal: redraws in place every interval, fitted to the terminal, and shows the cursor again at the end', async () => {
    const journalPath = path.join(testDir(), 'web.journal.jsonl');
    const journal = await writer(journalPath);
    await journal.append(runStarted());
    await journal.append(stepStarted(shellStep('a')));
    await sleep(20);
    await journal.append(stepSucceeded('a', 10));
    await journal.append(stepStarted(shellStep('b')));
    const output = capture();
    const stop = new AbortController();
    const watching = watchStatus('web.yaml', { journal: journalPath }, output, { intervalMs: 10, tty: true, signal: stop.signal, columns: 60, rows: 24 });
    await until('three frames', () => output.chunks.length >= 3);
    stop.abort();
    await watching;

    const [first, second] = output.chunks;
    expect(first?.startsWith('\u001b[?25l\u001b[2J\u001b[H')).toBe(true);
    expect(second?.startsWith('\u001b[H')).toBe(true);
    expect(output.chunks.at(-1)).toBe('\u001b[?25h');
    const frame = (second as string).replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;?]*[A-Za-z]`, 'g'), '');
    const lines = frame.split('\n');
    expect(lines.length).toBeLessThanOrEqual(23);
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(60);
    expect(frame).toContain('watching:');
    expect(frame).toMatch(/^b \*?\s+running/m);
    expect(frame).toContain('█ succeeded');
    expect(frame).toMatch(/^a\s+█/m);
    expect(frame).toMatch(/^b\s+>/m);
    expect(frame).toContain('latest events');
  });

  it('fit() cuts to visible columns and keeps colour codes whole', () => {
    expect(fit('abcdef', 4)).toBe('abcd\u001b[0m');
    expect(fit('ab', 4)).toBe('ab');
    expect(fit('\u001b[32mabcdef\u001b[39m', 3)).toBe('\u001b[32mabc\u001b[0m');
    expect(fit('\u001b[32mab\u001b[39m', 3)).toBe('\u001b[32mab\u001b[39m');
  });
});
