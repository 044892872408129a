/**
 * The per-attempt output log: masked lines appended to a file only its owner can read.
 *
 * Plain synchronous writes, one per line: a line reaches the file before the next one is
 * read (so a log survives cutover being killed), and the thread pool's round trips would
 * cost more than the writes (bench/executor.mjs).
 */
import { closeSync, fchmodSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export class OutputLog {
  private fd: number | undefined;

  private constructor(fd: number) {
    this.fd = fd;
  }

  /** Throws when the file cannot be created: better not to start a command we cannot log. */
  static open(file: string): OutputLog {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const fd = openSync(file, 'a', 0o600);
    try {
      // The mode only applies on creation; an existing log may have been created looser.
      fchmodSync(fd, 0o600);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    return new OutputLog(fd);
  }

  /** The caller masks: the log never sees raw output. */
  line(text: string): void {
    if (this.fd === undefined) return;
    const data = Buffer.from(`${text}\n`, 'utf8');
    try {
      let offset = 0;
      while (offset < data.length) offset += writeSync(this.fd, data, offset, data.length - offset);
    } catch {
      // A write error (disk full) must not crash the run; the command's result matters more
      // than its log. The rest of this log is dropped rather than left with holes.
      this.close();
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
