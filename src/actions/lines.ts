/** Turns a stream of text chunks into whole lines, so each line can be masked as a unit. */

/**
 * A line longer than this is emitted in pieces, so a command that never prints a newline
 * cannot grow memory without bound. A secret straddling such a cut would not be masked;
 * 1 MiB without a newline is far beyond what runbook commands print.
 */
export const MAX_LINE_CHARS = 1024 * 1024;

export class LineSplitter {
  private pending = '';

  constructor(private readonly emit: (line: string) => void) {}

  push(chunk: string): void {
    const parts = (this.pending + chunk).split('\n');
    this.pending = parts.pop() ?? '';
    for (const part of parts) this.emit(stripCarriageReturn(part));
    while (this.pending.length > MAX_LINE_CHARS) {
      this.emit(this.pending.slice(0, MAX_LINE_CHARS));
      this.pending = this.pending.slice(MAX_LINE_CHARS);
    }
  }

  /** Emits the last line when the output did not end with a newline. */
  end(): void {
    if (this.pending !== '') this.emit(stripCarriageReturn(this.pending));
    this.pending = '';
  }
}

/** Keeps the last `size` lines. */
export class Tail {
  private readonly kept: string[] = [];

  constructor(private readonly size: number) {}

  push(line: string): void {
    this.kept.push(line);
    if (this.kept.length > this.size) this.kept.shift();
  }

  lines(): string[] {
    return [...this.kept];
  }
}

function stripCarriageReturn(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}
