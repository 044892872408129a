/**
 * One mutating command per journal: an exclusive lock file `<journal>.lock` created with
 * O_EXCL, naming its holder. A lock is never taken over automatically, even a stale one:
 * the operator clears it with `cutover unlock`, after reading who held it. Whether the holder
 * is still running is judged by holder-liveness.ts (same host and pid namespace, pid alive,
 * not a reused pid, no reboot since).
 *
 * No signal handlers are installed here (that is the engine's job); release() and
 * releaseSync() are safe to call from any exit path, any number of times.
 */
import { readFileSync, unlinkSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import type { Clock } from '../support/clock.js';
import type { Identity } from '../support/identity.js';
import type { LockHolder } from './errors.js';
import { LockedError } from './errors.js';
import type { Liveness } from './holder-liveness.js';
import { here, holderLiveness, ownProcess } from './holder-liveness.js';
import { ioError } from './io-error.js';
import { parseJsonObject } from '../support/json-object.js';

export interface LockOptions {
  /** identity.pid must be this process: staleness is judged by it. */
  identity: Identity;
  /** The cutover subcommand taking the lock: "run", "rollback", … */
  command: string;
  clock: Clock;
  /** Shown in LockedError messages; default "cutover unlock <runbook>". */
  unlockCommand?: string;
}

export interface Lock {
  readonly path: string;
  readonly holder: LockHolder;
  /** Removes the lock file if it is still ours. Idempotent. */
  release(): Promise<void>;
  /** The same, synchronously, for process 'exit' handlers. */
  releaseSync(): void;
}

export interface LockStatus {
  path: string;
  /** Undefined when the file is empty or not a lock (a crash between create and write). */
  holder: LockHolder | undefined;
  /** The holder is certainly gone: same host and its pid is not alive, or the file is garbage. */
  stale: boolean;
  /** alive: a process of this host holds it now; gone: see stale; unknown: another host (or pid namespace). */
  liveness: Liveness;
  /** The file's text, for `cutover unlock` to show. */
  raw: string;
}

export function lockPathFor(journalPath: string): string {
  return `${journalPath}.lock`;
}

/** Throws LockedError when someone holds the lock, JournalError when the file system refuses. */
export async function acquireLock(journalPath: string, options: LockOptions): Promise<Lock> {
  const path = lockPathFor(journalPath);
  const { identity } = options;
  const holder: LockHolder = {
    user: identity.user,
    host: identity.host,
    pid: identity.pid,
    since: options.clock.now().toISOString(),
    command: options.command,
    ...(identity.ci ? { ci: identity.ci } : {}),
    ...ownProcess(identity.pid),
  };
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  } catch (error) {
    throw ioError(error, 'create the directory of', path);
  }
  // A few rounds, because the holder may release between our create and our read.
  for (let round = 0; round < 5; round += 1) {
    const handle = await create(path);
    if (handle) {
      await writeHolder(handle, path, holder);
      return ownedLock(path, holder);
    }
    const status = await readSettled(path, identity.host);
    if (!status) continue;
    // A holder that finished between our read and the liveness check looks dead, but it
    // removed its lock on the way out: stale only if that same lock is still there.
    if (status.stale && !(await stillThere(path, status))) continue;
    throw new LockedError(status.holder, status.stale, path, options.unlockCommand);
  }
  throw new LockedError(undefined, false, path, options.unlockCommand);
}

/** Who holds the lock of this journal, if anyone. `host` is this machine, to judge staleness. */
export async function readLock(journalPath: string, host: string = hostname()): Promise<LockStatus | undefined> {
  return readLockFile(lockPathFor(journalPath), host);
}

/**
 * For `cutover unlock`: removes the lock, and says whose it was. With `expected` (the lock as
 * `readLock` showed it), only if it is still that lock: 'changed' when it was released and
 * taken by someone else meanwhile, whose lock is left alone.
 */
export async function breakLock(journalPath: string, host: string = hostname(), expected?: LockStatus): Promise<LockStatus | 'changed' | undefined> {
  const status = await readLock(journalPath, host);
  if (!status) return undefined;
  if (expected && status.raw !== expected.raw) return 'changed';
  try {
    await unlink(status.path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(error, 'remove the lock', status.path);
  }
  return status;
}

/** Undefined when the lock file already exists. */
async function create(path: string): Promise<FileHandle | undefined> {
  try {
    return await open(path, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw ioError(error, 'create the lock', path);
  }
}

async function writeHolder(handle: FileHandle, path: string, holder: LockHolder): Promise<void> {
  try {
    await handle.chmod(0o600);
    await handle.writeFile(`${JSON.stringify(holder)}\n`, 'utf8');
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(path).catch(() => undefined);
    throw ioError(error, 'write the lock', path);
  }
  await handle.close().catch(() => undefined);
}

/**
 * Reads a lock that exists; undefined if it vanished meanwhile. An empty file may be a
 * holder between its create and its write (microseconds), so that is re-read briefly
 * before it is called garbage.
 */
async function readSettled(path: string, host: string): Promise<LockStatus | undefined> {
  let status = await readLockFile(path, host);
  for (let wait = 0; wait < 4 && status && !status.holder; wait += 1) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    status = await readLockFile(path, host);
  }
  return status;
}

/** Is the lock file still the one that was read (not released, not taken by someone else since)? */
async function stillThere(path: string, status: LockStatus): Promise<boolean> {
  const raw = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw ioError(error, 'read the lock', path);
  });
  return raw === status.raw;
}

async function readLockFile(path: string, host: string): Promise<LockStatus | undefined> {
  let raw: string;
  try {
    raw = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw ioError(error, 'read the lock', path);
  }
  const holder = parseHolder(raw);
  const liveness: Liveness = holder === undefined ? 'gone' : holderLiveness(holder, here(host));
  return { path, holder, stale: liveness === 'gone', liveness, raw };
}

function ownedLock(path: string, holder: LockHolder): Lock {
  let released = false;
  const ours = (raw: string | undefined) => {
    const current = raw === undefined ? undefined : parseHolder(raw);
    return current !== undefined && current.pid === holder.pid && current.since === holder.since && current.host === holder.host;
  };
  return {
    path,
    holder,
    async release() {
      if (released) return;
      const raw = await readFile(path, 'utf8').catch(() => undefined);
      if (ours(raw)) {
        await unlink(path).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'ENOENT') throw ioError(error, 'remove the lock', path);
        });
      }
      released = true;
    },
    releaseSync() {
      if (released) return;
      let raw: string | undefined;
      try {
        raw = readFileSync(path, 'utf8');
      } catch {
        raw = undefined;
      }
      if (ours(raw)) {
        try {
          unlinkSync(path);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(error, 'remove the lock', path);
        }
      }
      released = true;
    },
  };
}

function parseHolder(raw: string): LockHolder | undefined {
  const value = parseJsonObject(raw);
  if (!value) return undefined;
  const { user, host, pid, since, command, ci, pidns, started } = value;
  // pid 0 or negative would make process.kill address a process group.
  if (typeof user !== 'string' || typeof host !== 'string' || typeof since !== 'string' || typeof command !== 'string') return undefined;
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) return undefined;
  return {
    user,
    host,
    pid,
    since,
    command,
    ...(typeof ci === 'string' ? { ci } : {}),
    ...(typeof pidns === 'string' ? { pidns } : {}),
    ...(typeof started === 'string' ? { started } : {}),
  };
}
