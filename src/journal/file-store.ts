/**
 * A journal in a local file: mode 0600, every line fsync'ed before appendLine resolves.
 *
 * The file is created with its first line already in it (written to a temp file, fsync'ed,
 * then linked into place and the directory fsync'ed), so cutover never leaves an empty
 * journal behind; journal.ts can therefore treat an empty file as damage, not as "new".
 */
import { closeSync, constants, fsyncSync, openSync, writeSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { link, mkdir, open, readFile, readlink, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { JournalError } from './errors.js';
import { ioError } from './io-error.js';
import type { AppendOptions, JournalStore } from './store.js';

const FILE_MODE = 0o600;
const DIR_MODE = 0o700;

export class FileJournalStore implements JournalStore {
  constructor(readonly location: string) {}

  async readText(): Promise<string | undefined> {
    try {
      const info = await stat(this.location);
      // Checked before reading: reading a FIFO or a device would hang or never end.
      if (info.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
      if (!info.isFile()) {
        throw new JournalError('io', `${this.location} is not a regular file`, 'choose another journal file with --journal');
      }
      // One decode of the whole buffer: readFile's own 'utf8' decodes chunk by chunk, much slower on big journals.
      return (await readFile(this.location)).toString('utf8');
    } catch (error) {
      if (error instanceof JournalError) throw error;
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return this.missing();
      throw ioError(error, 'read the journal', this.location);
    }
  }

  /** No journal yet, unless a dangling symbolic link stands where it would be created. */
  private async missing(): Promise<undefined> {
    const target = await readlink(this.location).catch(() => undefined);
    if (target === undefined) return undefined;
    throw new JournalError('io', `${this.location} is a symbolic link to ${target}, which does not exist`, 'remove the link (cutover creates the journal itself), or give the path where the journal should be with --journal');
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
      // No O_CREAT: creating is a separate, atomic path below.
      fd = openSync(this.location, constants.O_WRONLY | constants.O_APPEND);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return this.create(data);
      throw ioError(error, 'write the journal', this.location);
    }
    try {
      let offset = 0;
      while (offset < data.length) offset += writeSync(fd, data, offset, data.length - offset);
      if (options.sync !== false) fsyncSync(fd);
    } catch (error) {
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
    let handle: FileHandle;
    try {
      handle = await open(this.location, 'r+');
    } catch (error) {
      throw ioError(error, 'repair the journal', this.location);
    }
    try {
      await handle.truncate(length);
      await handle.sync();
    } catch (error) {
      throw ioError(error, 'repair the journal', this.location);
    } finally {
      await handle.close().catch(() => undefined);
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
        'io',
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
