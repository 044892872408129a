/** A JournalStore in memory, for tests and dry runs. */
import type { JournalStore } from './store.js';

export class MemoryJournalStore implements JournalStore {
  readonly location: string;
  private content: Buffer | undefined;

  /** `initial` undefined means no journal yet; "" is an (invalid) empty journal. */
  constructor(initial?: string, location = 'memory') {
    this.content = initial === undefined ? undefined : Buffer.from(initial, 'utf8');
    this.location = location;
  }

  /** The stored text, for assertions. */
  get text(): string | undefined {
    return this.content?.toString('utf8');
  }

  async readText(): Promise<string | undefined> {
    return this.text;
  }

  async appendLine(line: string): Promise<void> {
    if (line.includes('\n')) throw new Error('a journal line cannot contain a newline');
    this.content = Buffer.concat([this.content ?? Buffer.alloc(0), Buffer.from(`${line}\n`, 'utf8')]);
  }

  async truncate(length: number): Promise<void> {
    // Bytes, like a file: a torn line may end inside a multi-byte character.
    if (this.content) this.content = this.content.subarray(0, length);
  }
}
