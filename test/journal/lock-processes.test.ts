/**
 * The lock across real processes: several node processes race for one lock file. Each
 * winner writes "start X" … "end X" to a shared file while it holds the lock, so any
 * overlap of two holders shows up as interleaved lines.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LockedError } from '../../src/journal/errors.js';
import { acquireLock } from '../../src/journal/lock.js';
import { systemClock } from '../../src/support/clock.js';
import { compileLockModule } from '../helpers/journal-compile-lock.js';

const childScript = fileURLToPath(new URL('../helpers/journal-lock-child.mjs', import.meta.url));

interface Report {
  name: string;
  pid: number;
  event: 'ready' | 'held' | 'won' | 'lost' | 'error';
  holder?: { user: string; host: string; pid: number; since: string; command: string };
  stale?: boolean;
  message?: string;
}

let compiled: { url: string; dir: string };
let dir: string;
// Compiling takes a few seconds, more on a busy CI machine.
beforeAll(() => {
  compiled = compileLockModule();
  dir = mkdtempSync(join(tmpdir(), 'cutover-lock-race-'));
}, 60_000);
afterAll(() => {
  rmSync(compiled.dir, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

/** Starts a child; `reports` fills as it writes lines; `exited` resolves with its exit code. */
function startChild(mode: string, config: Record<string, unknown>) {
  const child: ChildProcess = spawn(process.execPath, [childScript, compiled.url, mode, JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const reports: Report[] = [];
  let buffered = '';
  let stderr = '';
  const waiters: { event: Report['event']; resolve: () => void }[] = [];
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      const report = JSON.parse(line) as Report;
      reports.push(report);
      for (const waiter of waiters.filter((item) => item.event === report.event)) waiter.resolve();
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const reported = (event: Report['event']) =>
    new Promise<void>((resolve) => {
      if (reports.some((report) => report.event === event)) resolve();
      else waiters.push({ event, resolve });
    });
  return { child, reports, exited, reported, stderr: () => stderr };
}

describe('the journal lock across processes', () => {
  it('lets exactly one of several racing processes hold it at a time; the others are told who holds it', async () => {
    const journal = join(dir, 'race', 'web.journal.jsonl');
    const shared = join(dir, 'shared.txt');
    const go = join(dir, 'go');
    writeFileSync(shared, '');
    const names = Array.from({ length: 8 }, (_, index) => `worker${index}`);
    const children = names.map((name) => startChild('contend', { journal, shared, name, go, holdMs: 40 }));
    await Promise.all(children.map((child) => child.reported('ready')));
    writeFileSync(go, ''); // all start at once
    const codes = await Promise.all(children.map((child) => child.exited));
    expect(codes, children.map((child) => child.stderr()).join('\n')).toEqual(names.map(() => 0));

    // No interleaving: start X is always followed by end X.
    const lines = readFileSync(shared, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(names.length * 2);
    for (let index = 0; index < lines.length; index += 2) {
      const [start, name] = (lines[index] ?? '').split(' ');
      expect(start).toBe('start');
      expect(lines[index + 1]).toBe(`end ${name}`);
    }
    expect(new Set(lines.filter((line) => line.startsWith('start')))).toHaveProperty('size', names.length);

    const reports = children.flatMap((child) => child.reports);
    expect(reports.filter((report) => report.event === 'won')).toHaveLength(names.length);
    const losses = reports.filter((report) => report.event === 'lost');
    expect(losses.length).toBeGreaterThan(0);
    const pids = new Map(children.map((child, index) => [child.child.pid, names[index]]));
    for (const loss of losses) {
      expect(loss.stale).toBe(false);
      expect(loss.holder?.pid).not.toBe(loss.pid);
      expect(pids.get(loss.holder?.pid ?? -1)).toBe(loss.holder?.user);
      expect(loss.message).toContain(`locked by ${loss.holder?.user}@${hostname()} (pid ${loss.holder?.pid}, cutover run since ${loss.holder?.since})`);
    }
  });

  it('names a live holder in another process, and calls it stale once that process is killed', async () => {
    const journal = join(dir, 'killed', 'web.journal.jsonl');
    const holder = startChild('hold', { journal, name: 'carol' });
    await holder.reported('held');
    const options = { identity: { user: 'dave', host: hostname(), pid: process.pid }, command: 'rollback', clock: systemClock };

    const alive = await acquireLock(journal, options).catch((error: unknown) => error);
    expect(alive).toBeInstanceOf(LockedError);
    expect(alive).toMatchObject({ stale: false, holder: { user: 'carol', pid: holder.child.pid } });

    holder.child.kill('SIGKILL'); // no exit path runs: the lock file stays behind
    await holder.exited;
    const gone = await acquireLock(journal, options).catch((error: unknown) => error);
    expect(gone).toBeInstanceOf(LockedError);
    expect(gone).toMatchObject({ stale: true, holder: { user: 'carol', pid: holder.child.pid } });
    expect((gone as LockedError).message).toContain('the holder is gone: run `cutover unlock <runbook>` to clear it');
  });
});
