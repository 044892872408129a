/**
 * Where journal lines live. Deliberately tiny (in the spirit of umzug's storage) so the
 * S3 store (s3-store.ts) fits behind it; everything about the format, the hash chain
 * and repair lives in journal.ts, not here.
 */
export interface JournalStore {
  /** The whole journal as text; undefined when there is no journal yet. */
  readText(): Promise<string | undefined>;
  /**
   * Appends `line` followed by "\n", durably (on disk, or acknowledged by the remote)
   * before it resolves. `line` never contains "\n"; appendLine("") therefore only
   * terminates an unterminated last line.
   */
  appendLine(line: string, options?: AppendOptions): Promise<void>;
  /** Cuts the journal to `length` bytes. Only used to drop a torn last line. */
  truncate(length: number): Promise<void>;
  /** For messages: a path or URL. */
  readonly location: string;
}

export interface AppendOptions {
  /**
   * False: written (the OS has it, so it survives cutover being killed) but not fsync'ed.
   * Only for records that are worthless after an OS crash anyway (see Journal.append).
   * The next durable append makes it durable too: fsync flushes the whole file.
   */
  sync?: boolean;
}
