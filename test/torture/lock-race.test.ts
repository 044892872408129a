/**
 * The race the concurrency torture test found: a command reads the lock, the holder
 * finishes (removes the lock, exits), and only then is the holder's pid checked. The pid
 * is dead, so the lock used to be reported as stale ("run cutover unlock"), although it
 * was released properly and is no longer there. Now a stale verdict counts only if the
 * same lock file is still in place; otherwise the command takes the lock.
 *
 * readFile is wrapped so the holder's release can be made to happen exactly between the
 * reader's read and its liveness check.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as FsPromises from 'node:fs/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LockedError } from '../../src/journal/errors.js';
import { acquireLock, lockPathFor } from '../../src/journal/lock.js';
import { systemClock } from '../../src/support/clock.js';

const hooks = vi.hoisted(() => ({ afterRead: undefined as undefined | ((path: string) => void) }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof FsPromises>();
  const readFile = (async (...args: Parameters<typeof actual.readFile>) => {
    const text = await actual.readFile(...args);
    hooks.afterRead?.(String(args[0]));
    return text;
  }) as typeof actual.readFile;
  return { ...actual, default: { ...actual, readFile }, readFile };
});

const dirs: string[] = [];
afterEach(() => {
  hooks.afterRead = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A lock file written by a process that has exited since. */
function lockOfDeadHolder(): { journal: string; lock: string; pid: number } {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-lock-race-'));
  dirs.push(dir);
  mkdirSync(join(dir, '.cutover'));
  const journal = join(dir, '.cutover', 'web.journal.jsonl');
  const pid = spawnSync(process.execPath, ['-e', '0']).pid as number;
  const holder = { user: 'carol', host: hostname(), pid, since: new Date().toISOString(), command: 'run' };
  writeFileSync(lockPathFor(journal), `${JSON.stringify(holder)}\n`);
  return { journal, lock: lockPathFor(journal), pid };
}

const options = { identity: { user: 'dave', host: hostname(), pid: process.pid }, command: 'run', clock: systemClock };

describe('a lock released between its read and the liveness check', () => {
  it('is taken, not reported as stale', async () => {
    const { journal, lock } = lockOfDeadHolder();
    let released = false;
    hooks.afterRead = (path) => {
      if (path === lock && !released) {
        released = true;
        unlinkSync(lock); // the holder finishes right after we read its lock
      }
    };
    const taken = await acquireLock(journal, options);
    expect(released).toBe(true);
    expect(taken.holder.user).toBe('dave');
    await taken.release();
  });

  it('a dead holder whose lock stays is still reported as stale, naming it', async () => {
    const { journal, pid } = lockOfDeadHolder();
    const error = await acquireLock(journal, options).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LockedError);
    expect(error).toMatchObject({ stale: true, holder: { user: 'carol', pid } });
  });
});
