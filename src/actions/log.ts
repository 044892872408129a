/** The per-run output log: masked lines appended to a file only its owner can read. */
import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { WriteStream } from 'node:fs';

export class OutputLog {
  private constructor(private readonly stream: WriteStream) {
    // A write error (disk full) must not crash the run; the command's result matters more than its log.
    stream.on('error', () => undefined);
  }

  /** Throws when the file cannot be created: better not to start a command we cannot log. */
  static async open(file: string): Promise<OutputLog> {
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    const handle = await open(file, 'a', 0o600);
    try {
      // The mode only applies on creation; an existing log may have been created looser.
      await handle.chmod(0o600);
    } catch (error) {
      await handle.close();
      throw error;
    }
    return new OutputLog(handle.createWriteStream());
  }

  /** The caller masks: the log never sees raw output. */
  line(text: string): void {
    this.stream.write(`${text}\n`);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.stream.end(() => resolve()));
  }
}
