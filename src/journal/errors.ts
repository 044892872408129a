/**
 * The journal's typed errors. The CLI maps JournalError to exit 2 (invalid journal) and
 * LockedError to exit 4; both messages are complete user-facing sentences that end with
 * what to do next, so the CLI can print them as they are.
 */

export type JournalErrorKind =
  /** A line is not what cutover wrote: edited, deleted, reordered, or not a journal. */
  | 'damaged'
  /** The file is there but cannot be read or written (permissions, a directory, disk full). */
  | 'io'
  /** The journal was created for another runbook. */
  | 'wrong-runbook'
  /** An earlier append failed; this process must not write again. */
  | 'poisoned'
  /** The caller tried to journal something that must not be journaled. */
  | 'refused'
  /**
   * Someone else wrote the journal since this process read it (an S3 conditional write
   * failed), or this process lost its lease: the CLI exits 4, like a locked journal.
   */
  | 'conflict';

export class JournalError extends Error {
  constructor(
    readonly kind: JournalErrorKind,
    /** What is wrong, without the location prefix. */
    readonly problem: string,
    /** What to do next. */
    readonly advice: string,
    /** 1-based line of the journal where the problem was found. */
    readonly line?: number,
    /** The journal's location (a path), when known. */
    readonly location?: string,
    options?: { cause?: unknown },
  ) {
    super(JournalError.format(problem, advice, line, location), options);
    this.name = 'JournalError';
  }

  /** The same error, naming the journal it was found in (verifyChain does not know it). */
  at(location: string): JournalError {
    return new JournalError(this.kind, this.problem, this.advice, this.line, location, { cause: this.cause });
  }

  private static format(problem: string, advice: string, line?: number, location?: string): string {
    const where = [location, line === undefined ? undefined : `line ${line}`].filter((part) => part !== undefined).join(': ');
    return `${where ? `${where}: ` : ''}${problem}; ${advice}`;
  }
}

/** What a lock file says about the process holding it. */
export interface LockHolder {
  user: string;
  host: string;
  pid: number;
  /** ISO time the lock was taken. */
  since: string;
  /** The cutover subcommand holding it: "run", "rollback", … */
  command: string;
  ci?: string;
  /** The holder's pid namespace (Linux): a pid is judged only within the same one (holder-liveness.ts). */
  pidns?: string;
  /** The holder's process stamp, boot id and start time (Linux): tells a reused pid or a reboot (holder-liveness.ts). */
  started?: string;
}

export class LockedError extends Error {
  constructor(
    /** Undefined when the lock file is empty or unreadable (a crash between create and write). */
    readonly holder: LockHolder | undefined,
    /** The holder is certainly gone (same host, pid not alive), or the file is garbage. */
    readonly stale: boolean,
    readonly lockPath: string,
    unlockCommand = 'cutover unlock <runbook>',
    /** S3 leases: when the lease ends unless its holder renews it. */
    readonly expiresAt?: string,
  ) {
    super(LockedError.format(holder, stale, lockPath, unlockCommand, expiresAt));
    this.name = 'LockedError';
  }

  private static format(holder: LockHolder | undefined, stale: boolean, lockPath: string, unlock: string, expiresAt: string | undefined): string {
    if (!holder && !stale) {
      return `the journal lock ${lockPath} keeps changing hands (other cutover processes are starting); try again in a moment`;
    }
    if (!holder) {
      return `the journal is locked by ${lockPath}, which does not say who holds it (a cutover process probably crashed while taking it); the holder is gone: run \`${unlock}\` to clear it`;
    }
    const who = `locked by ${describeHolder(holder)}`;
    if (stale) return `the journal is ${who}, but that process is no longer running; the holder is gone: run \`${unlock}\` to clear it`;
    if (expiresAt) {
      return `the journal is ${who}; its lease is renewed while that command runs and otherwise expires at ${expiresAt}: wait for it to finish (if it was killed, the next command takes the lease over once it has expired, or run \`${unlock}\`)`;
    }
    return `the journal is ${who}; wait for it to finish, or if you are sure it is gone (another host, or a rebooted machine), run \`${unlock}\``;
  }
}

/** "alice@laptop (pid 4242, cutover run since 2026-…)" */
export function describeHolder(holder: LockHolder): string {
  const ci = holder.ci ? `, ${holder.ci}` : '';
  return `${holder.user}@${holder.host} (pid ${holder.pid}, cutover ${holder.command} since ${holder.since}${ci})`;
}
