/**
 * The per-attempt output log: masked lines appended to a file only its owner can read.
 *
 * Plain synchronous writes, one per line: a line reaches the file before the next one is
 * read (so a log survives cutover being killed), and the thread pool's round trips would
 * cost more than the writes (bench/executor.mjs).
 */
import { closeSync, fchmodSync, fstatSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export class OutputLog {
  private fd: number | undefined;

  private constructor(
    fd: number,
    private readonly file: string,
    private readonly onCutShort: (reason: string) => void,
  ) {
    this.fd = fd;
  }

  /**
   * Throws when the file cannot be created: better not to start a command we cannot log.
   * `onCutShort` hears (once) that a later write failed and the rest of the log is lost.
   */
  static open(file: string, onCutShort: (reason: string) => void = () => undefined): OutputLog {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const fd = openSync(file, 'a', 0o600);
    try {
      // The mode only applies on creation; an existing log may have been created looser.
      // Only a regular file's: a log linked to a device must not change the device.
      if (fstatSync(fd).isFile()) fchmodSync(fd, 0o600);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    return new OutputLog(fd, file, onCutShort);
  }

  /** The caller masks: the log never sees raw output. */
  line(text: string): void {
    if (this.fd === undefined) return;
    const data = Buffer.from(`${text}\n`, 'utf8');
    try {
      let offset = 0;
      while (offset < data.length) offset += writeSync(this.fd, data, offset, data.length - offset);
    } catch (error) {
      // A write error (disk full) must not crash the run or fail a step that worked: the
      // command's result matters more than its log. The rest of this log is dropped rather
      // than left with holes, and the caller says so where the operator looks.
      this.close();
      this.onCutShort(`${this.file} is cut short here: ${describeWriteError(error)}; the rest of this output is not in it`);
    }
  }

  close(): void {
    if (this.fd === undefined) return;
    try {
      closeSync(this.fd);
    } catch {
      // Nothing was buffered; a failing close loses nothing.
    }
    this.fd = undefined;
  }
}

function describeWriteError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return 'no space left on the device';
  if (code === 'EFBIG') return 'the file is too large';
  return error instanceof Error ? error.message : String(error);
}
