/**
 * A journal in a local file: mode 0600, every line fsync'ed before appendLine resolves.
 *
 * The file is created with its first line already in it (written to a temp file, fsync'ed,
 * then linked into place and the directory fsync'ed), so cutover never leaves an empty
 * journal behind; journal.ts can therefore treat an empty file as damage, not as "new".
 *
 * Like the S3 journal's conditional writes, every write first checks that the file is still
 * the one this process read or wrote last: the same file (device and inode), the same size,
 * and the same last bytes. Anything else means another process wrote it (a second cutover
 * whose lock was removed with `cutover unlock --force`, an editor): the write is refused
 * with a 'conflict' (exit 4) and nothing is appended, so the two can never interleave their
 * views of the journal into a chain that no longer verifies.
 */
import { closeSync, constants, fstatSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { link, mkdir, open, readlink, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { JournalError } from './errors.js';
import { ioError } from './io-error.js';
import type { AppendOptions, JournalStore } from './store.js';

const FILE_MODE = 0o600;
const DIR_MODE = 0o700;
/** How much of the end of the file is compared before a write (a few journal lines). */
const TAIL_BYTES = 4096;

/** The file as this process last read or wrote it. */
interface Seen {
  dev: number;
  ino: number;
  size: number;
  /** Its last min(size, TAIL_BYTES) bytes. */
  tail: Buffer;
}

export class FileJournalStore implements JournalStore {
  /** undefined: never read (no check); 'absent': there was no journal when it was read. */
  private seen: Seen | 'absent' | undefined;

  constructor(readonly location: string) {}

  async readText(): Promise<string | undefined> {
    let handle: FileHandle;
    try {
      handle = await open(this.location, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        await this.missing();
        this.seen = 'absent';
        return undefined;
      }
      throw ioError(error, 'read the journal', this.location);
    }
    try {
      const info = await handle.stat();
      // Checked before reading: reading a FIFO or a device would hang or never end.
      if (info.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
      if (!info.isFile()) {
        throw new JournalError('io', `${this.location} is not a regular file`, 'choose another journal file with --journal');
      }
      // One decode of the whole buffer: readFile's own 'utf8' decodes chunk by chunk, much slower on big journals.
      const bytes = await handle.readFile();
      this.seen = { dev: info.dev, ino: info.ino, size: bytes.length, tail: Buffer.from(bytes.subarray(Math.max(0, bytes.length - TAIL_BYTES))) };
      return bytes.toString('utf8');
    } catch (error) {
      if (error instanceof JournalError) throw error;
      throw ioError(error, 'read the journal', this.location);
    } finally {
      await handle.close().catch(() => undefined);
    }
  }

  /** No journal yet, unless a dangling symbolic link stands where it would be created. */
  private async missing(): Promise<undefined> {
    const target = await readlink(this.location).catch(() => undefined);
    if (target === undefined) return undefined;
    throw new JournalError(
      'io',
      `${this.location} is a symbolic link to ${target}, which does not exist`,
      'remove the link (cutover creates the journal itself), or give the path where the journal should be with --journal',
    );
  }

  /**
   * Synchronous on purpose: an append is a few system calls that must finish before the
   * caller goes on anyway, and the thread pool's round trips for open, write, fsync and
   * close cost more than the calls themselves (bench/executor.mjs).
   */
  async appendLine(line: string, options: AppendOptions = {}): Promise<void> {
    if (line.includes('\n')) throw new Error('a journal line cannot contain a newline');
    const data = Buffer.from(`${line}\n`, 'utf8');
    let fd: number;
    try {
      // No O_CREAT: creating is a separate, atomic path below. Read and write: the check reads the tail.
      fd = openSync(this.location, constants.O_RDWR | constants.O_APPEND);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        if (this.seen !== undefined && this.seen !== 'absent') throw this.conflict('write', 'it was deleted');
        await this.create(data);
        this.rememberCreated();
        return;
      }
      throw ioError(error, 'write the journal', this.location);
    }
    try {
      this.check(fd, 'write');
      let offset = 0;
      while (offset < data.length) offset += writeSync(fd, data, offset, data.length - offset);
      if (options.sync !== false) fsyncSync(fd);
      this.extend(fd, data);
    } catch (error) {
      if (error instanceof JournalError) throw error;
      throw ioError(error, 'write the journal', this.location);
    } finally {
      // After a successful fsync the data is durable; a failing close changes nothing.
      try {
        closeSync(fd);
      } catch {
        // See above.
      }
    }
  }

  async truncate(length: number): Promise<void> {
    let fd: number;
    try {
      fd = openSync(this.location, constants.O_RDWR);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && this.seen !== undefined) throw this.conflict('repair', 'it was deleted');
      throw ioError(error, 'repair the journal', this.location);
    }
    try {
      this.check(fd, 'repair');
      const handle = await open(this.location, 'r+');
      try {
        await handle.truncate(length);
        await handle.sync();
      } finally {
        await handle.close().catch(() => undefined);
      }
      if (this.seen !== undefined && this.seen !== 'absent') this.seen = { ...this.seen, size: length, tail: readTail(fd, length) };
    } catch (error) {
      if (error instanceof JournalError) throw error;
      throw ioError(error, 'repair the journal', this.location);
    } finally {
      try {
        closeSync(fd);
      } catch {
        // Nothing was left to do with it.
      }
    }
  }

  /** Refuses to write unless the open file is the one this process read or wrote last. */
  private check(fd: number, doing: 'write' | 'repair'): void {
    const seen = this.seen;
    if (seen === undefined) return;
    if (seen === 'absent') throw this.conflict(doing, 'it was created by another process after this command found no journal');
    const info = fstatSync(fd);
    if (info.dev !== seen.dev || info.ino !== seen.ino) throw this.conflict(doing, 'it was replaced by another file');
    if (info.size !== seen.size) {
      throw this.conflict(
        doing,
        info.size > seen.size ? `${info.size - seen.size} bytes were appended by another process` : `it was cut from ${seen.size} to ${info.size} bytes`,
      );
    }
    if (!readTail(fd, seen.size).equals(seen.tail)) throw this.conflict(doing, 'its last lines were rewritten by another process');
  }

  /** After creating the file: it is what this process wrote. */
  private rememberCreated(): void {
    try {
      const fd = openSync(this.location, constants.O_RDONLY);
      try {
        const info = fstatSync(fd);
        this.seen = { dev: info.dev, ino: info.ino, size: info.size, tail: readTail(fd, info.size) };
      } finally {
        closeSync(fd);
      }
    } catch {
      // Cannot look at what was just created: the next write opens it anyway and fails clearly.
      this.seen = undefined;
    }
  }

  /** After appending `data` through `fd`: the file is now what was seen plus data. */
  private extend(fd: number, data: Buffer): void {
    const seen = this.seen;
    if (seen === undefined || seen === 'absent') {
      const info = fstatSync(fd);
      this.seen = { dev: info.dev, ino: info.ino, size: info.size, tail: readTail(fd, info.size) };
      return;
    }
    const tail = Buffer.concat([seen.tail, data]);
    this.seen = { ...seen, size: seen.size + data.length, tail: Buffer.from(tail.subarray(Math.max(0, tail.length - TAIL_BYTES))) };
  }

  private conflict(doing: 'write' | 'repair', what: string): JournalError {
    const last = this.describeLastEvent();
    return new JournalError(
      'conflict',
      `cannot ${doing} the journal ${this.location}: it changed since this command read it (${what}${last ? `; its last event is ${last}` : ''}), so another process is writing it too (one whose lock was removed with "cutover unlock --force" while it ran?); nothing was written`,
      'this command stops here. Find the other process (the journal names who wrote it; "cutover status" shows the lock holder), let it finish or stop it, then run "cutover status" and the command again: it reads the journal afresh',
    );
  }

  /** "#12 step.started, written by alice@laptop at …", from the file as it is now. */
  private describeLastEvent(): string | undefined {
    let fd: number | undefined;
    try {
      fd = openSync(this.location, constants.O_RDONLY);
      const size = fstatSync(fd).size;
      const text = readTail(fd, size).toString('utf8');
      const lines = text.split('\n').filter((line) => line !== '');
      for (let index = lines.length - 1; index >= 0; index -= 1) {
        try {
          const value = JSON.parse(lines[index] ?? '') as Record<string, unknown>;
          if (typeof value === 'object' && value !== null)
            return `#${String(value.seq)} ${String(value.type)}, written by ${String(value.by)} at ${String(value.ts)}`;
        } catch {
          // a torn or partial line: look at the one before
        }
      }
      return undefined;
    } catch {
      return undefined;
    } finally {
      if (fd !== undefined) {
        try {
          closeSync(fd);
        } catch {
          // read only
        }
      }
    }
  }

  private async create(data: Buffer): Promise<void> {
    const dir = dirname(this.location);
    const temp = join(dir, `.${basename(this.location)}.${process.pid}.tmp`);
    try {
      await mkdir(dir, { recursive: true, mode: DIR_MODE });
      const handle = await open(temp, 'w', FILE_MODE);
      // open's mode is filtered by the umask; chmod is not.
      await handle.chmod(FILE_MODE).catch(async (error: unknown) => {
        await handle.close();
        throw error;
      });
      await this.writeDurably(handle, data, 'create the journal');
      await publish(temp, this.location);
      await syncDirectory(dir);
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      if (error instanceof JournalError) throw error;
      throw ioError(error, 'create the journal', this.location);
    }
  }

  /** Writes all of data, fsyncs (unless told not to), closes. */
  private async writeDurably(handle: FileHandle, data: Buffer, doing: string, sync = true): Promise<void> {
    try {
      let offset = 0;
      while (offset < data.length) {
        const { bytesWritten } = await handle.write(data, offset, data.length - offset);
        offset += bytesWritten;
      }
      if (sync) await handle.sync();
    } catch (error) {
      throw ioError(error, doing, this.location);
    } finally {
      // After a successful fsync the data is durable; a failing close changes nothing.
      await handle.close().catch(() => undefined);
    }
  }
}

/** Moves the complete temp file into place without ever replacing an existing journal. */
async function publish(temp: string, path: string): Promise<void> {
  try {
    await link(temp, path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      throw new JournalError(
        'conflict',
        `${path} appeared while cutover was creating it`,
        'another cutover process is writing the same journal without holding its lock: stop it, then run the command again',
      );
    }
    // File systems without hard links (FAT, some network mounts): rename is still atomic,
    // and the journal lock keeps a second creator away.
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'ENOSYS' || code === 'EOPNOTSUPP') {
      await rename(temp, path);
      return;
    }
    throw error;
  }
  // The journal is in place; a leftover temp file is harmless, so this cannot fail the append.
  await unlink(temp).catch(() => undefined);
}

/** Makes the new directory entry durable. Some platforms cannot fsync a directory; they journal metadata anyway. */
async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM' && code !== 'EBADF') throw error;
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** The last min(size, TAIL_BYTES) bytes before `size`. */
function readTail(fd: number, size: number): Buffer {
  const length = Math.min(size, TAIL_BYTES);
  const buffer = Buffer.alloc(length);
  let read = 0;
  while (read < length) {
    const n = readSync(fd, buffer, read, length - read, size - length + read);
    if (n === 0) break;
    read += n;
  }
  return buffer.subarray(0, read);
}
