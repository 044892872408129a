import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LockedError } from '../../src/journal/errors.js';
import type { LockOptions } from '../../src/journal/lock.js';
import { currentPidNamespace, processStamp } from '../../src/journal/holder-liveness.js';
import { acquireLock, breakLock, lockPathFor, readLock } from '../../src/journal/lock.js';
import { fakeClock } from '../../src/support/clock.js';
import { rejectionOf } from '../helpers/rejection.js';

let dir: string;
let journal: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cutover-lock-'));
  journal = join(dir, '.cutover', 'web.journal.jsonl');
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Now, to the second (the lock's `since`). */
const NOW = new Date(Math.floor(Date.now() / 1000) * 1000);
const SINCE = NOW.toISOString();

const options = (user: string, pid = process.pid, host = 'laptop'): LockOptions => ({
  identity: { user, host, pid },
  command: 'run',
  clock: fakeClock(NOW),
});

/** A pid that certainly belonged to a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  return child.pid;
}

const locked = (promise: Promise<unknown>) => rejectionOf(promise, LockedError);

describe('the journal lock', () => {
  it('creates <journal>.lock, mode 0600, naming its holder', async () => {
    const previous = process.umask(0o000);
    const lock = await acquireLock(journal, { ...options('alice'), identity: { user: 'alice', host: 'laptop', pid: process.pid, ci: 'ci job 9' } }).finally(
      () => process.umask(previous),
    );
    expect(lock.path).toBe(`${journal}.lock`);
    expect(statSync(lock.path).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(lock.path, 'utf8'))).toEqual({
      user: 'alice',
      host: 'laptop',
      pid: process.pid,
      since: SINCE,
      command: 'run',
      ci: 'ci job 9',
      pidns: currentPidNamespace(),
      started: processStamp(process.pid),
    });
    await lock.release();
    expect(existsSync(lock.path)).toBe(false);
  });

  it('refuses a second holder, naming the first and saying what to do', async () => {
    const lock = await acquireLock(journal, options('alice'));
    const error = await locked(acquireLock(journal, { ...options('bob'), unlockCommand: 'cutover unlock runbooks/web.yaml' }));
    expect(error.stale).toBe(false);
    expect(error.holder).toMatchObject({ user: 'alice', host: 'laptop', pid: process.pid });
    expect(error.message).toBe(
      `the journal is locked by alice@laptop (pid ${process.pid}, cutover run since ${SINCE}); wait for it to finish, or if you are sure it is gone (another host, or a rebooted machine), run \`cutover unlock runbooks/web.yaml\``,
    );
    await lock.release();
    await (await acquireLock(journal, options('bob'))).release();
  });

  it('releases idempotently, sync or not, and never removes a lock that is no longer its own', async () => {
    const lock = await acquireLock(journal, options('alice'));
    await lock.release();
    await lock.release();
    lock.releaseSync();

    const first = await acquireLock(journal, options('alice'));
    // Someone ran `cutover unlock` and bob took the lock.
    await breakLock(journal, 'laptop');
    const second = await acquireLock(journal, { ...options('bob'), clock: fakeClock(new Date(NOW.getTime() + 1000)) });
    await first.release();
    first.releaseSync();
    expect((await readLock(journal, 'laptop'))?.holder?.user).toBe('bob');
    second.releaseSync();
    expect(existsSync(lockPathFor(journal))).toBe(false);
  });

  it('reports a holder on this host whose process is gone as stale', async () => {
    const pid = deadPid();
    await acquireLock(journal, options('alice', pid));
    const error = await locked(acquireLock(journal, options('bob')));
    expect(error.stale).toBe(true);
    expect(error.holder?.pid).toBe(pid);
    expect(error.message).toBe(
      `the journal is locked by alice@laptop (pid ${pid}, cutover run since ${SINCE}), but that process is no longer running; the holder is gone: run \`cutover unlock <runbook>\` to clear it`,
    );
  });

  it('cannot tell whether a holder on another host is gone', async () => {
    await acquireLock(journal, options('alice', deadPid(), 'other-host'));
    expect((await locked(acquireLock(journal, options('bob')))).stale).toBe(false);
  });

  it.each([
    ['empty', ''],
    ['garbage', '{"user": "al'],
    ['pid 0', JSON.stringify({ user: 'a', host: 'laptop', pid: 0, since: 'x', command: 'run' })],
  ])('reports an %s lock file as stale', async (_name, content) => {
    await (await acquireLock(journal, options('setup'))).release();
    writeFileSync(lockPathFor(journal), content);
    const error = await locked(acquireLock(journal, options('bob')));
    expect(error.stale).toBe(true);
    expect(error.holder).toBeUndefined();
    expect(error.message).toContain('does not say who holds it');
    expect(error.message).toContain('run `cutover unlock <runbook>` to clear it');
  });

  it('reads and breaks a lock for `cutover unlock`', async () => {
    expect(await readLock(journal)).toBeUndefined();
    expect(await breakLock(journal)).toBeUndefined();
    const pid = deadPid();
    await acquireLock(journal, options('alice', pid));
    const status = await readLock(journal, 'laptop');
    expect(status).toMatchObject({ path: `${journal}.lock`, stale: true, holder: { user: 'alice', pid } });
    expect(await breakLock(journal, 'laptop')).toEqual(status);
    expect(existsSync(lockPathFor(journal))).toBe(false);
    await (await acquireLock(journal, options('bob'))).release();
  });

  it('judges a holder alive only on this host, in this pid namespace, by a live pid of the same process and boot', async () => {
    await acquireLock(journal, options('alice'));
    expect((await readLock(journal, 'laptop'))?.liveness).toBe('alive');
    const stamp = processStamp(process.pid);
    if (stamp) {
      const [boot, ticks] = stamp.split(':') as [string, string];
      // The same pid, but another process's start time: the pid was reused after the holder died.
      writeFileSync(
        lockPathFor(journal),
        JSON.stringify({ user: 'alice', host: 'laptop', pid: process.pid, since: SINCE, command: 'run', started: `${boot}:${Number(ticks) + 1}` }),
      );
      expect(await readLock(journal, 'laptop')).toMatchObject({ liveness: 'gone', stale: true });
      // The same pid and start time, but another boot: the machine rebooted since.
      writeFileSync(
        lockPathFor(journal),
        JSON.stringify({ user: 'alice', host: 'laptop', pid: process.pid, since: SINCE, command: 'run', started: `another-boot:${ticks}` }),
      );
      expect(await readLock(journal, 'laptop')).toMatchObject({ liveness: 'gone', stale: true });
      // A wall clock stepped since does not matter: the stamp counts from boot. (A lock "taken" in 2020 by this very process.)
      writeFileSync(
        lockPathFor(journal),
        JSON.stringify({ user: 'alice', host: 'laptop', pid: process.pid, since: '2020-01-01T00:00:00.000Z', command: 'run', started: stamp }),
      );
      expect((await readLock(journal, 'laptop'))?.liveness).toBe('alive');
    }
    // Another pid namespace on a host of the same name (a container with host networking): nothing can be told.
    writeFileSync(lockPathFor(journal), JSON.stringify({ user: 'alice', host: 'laptop', pid: deadPid(), since: SINCE, command: 'run', pidns: 'pid:[1]' }));
    expect(await readLock(journal, 'laptop')).toMatchObject({ liveness: currentPidNamespace() ? 'unknown' : 'gone' });
    expect(await readLock(journal, 'other-host')).toMatchObject({ liveness: 'unknown', stale: false });
  });

  it('breaks only the lock it was shown: one released and taken by someone else meanwhile is left alone', async () => {
    await acquireLock(journal, options('alice', deadPid()));
    const shown = await readLock(journal, 'laptop');
    rmSync(lockPathFor(journal));
    const bob = await acquireLock(journal, options('bob'));
    expect(await breakLock(journal, 'laptop', shown)).toBe('changed');
    expect((await readLock(journal, 'laptop'))?.holder?.user).toBe('bob');
    await bob.release();
  });
});
