/**
 * The lock of a journal, whatever backs it: the `<journal>.lock` file next to a local
 * journal (lock.ts), or the S3 lease object next to an S3 journal (s3-lease.ts). A mutating
 * command holds one from before it reads the journal until it exits.
 */
import type { LockHolder } from './errors.js';
import type { LockOptions } from './lock.js';
import { acquireLock } from './lock.js';

/**
 * An S3 lease this command took over, because it had expired or because its holder ran on
 * this machine and is gone; the session journals it as `lock.takeover`.
 */
export interface Takeover {
  /** The lease's URL. */
  lock: string;
  /** Undefined when the expired lease did not say who held it. */
  previous: LockHolder | undefined;
  /** When the previous lease ran out (holder-gone: when it would have). */
  expiredAt: string;
  /** expired: nobody renewed it in time; holder-gone: its holder's process on this machine is gone. */
  why: 'expired' | 'holder-gone';
}

export interface Lease {
  /** The lock's path or URL, for messages. */
  readonly location: string;
  readonly holder: LockHolder;
  /** S3 leases: tells this command's lease object from another's (readS3Lease's `id`). */
  readonly id?: string;
  readonly takeover?: Takeover;
  /**
   * Throws JournalError (kind 'conflict') when this process may no longer write the journal:
   * its lease was taken over, removed, or expired without being renewed. A file lock never does.
   */
  assertHeld(): void;
  /** Extends the lease now (the S3 lease also renews itself on a timer). A file lock needs none. */
  renew(): Promise<void>;
  /** Gives the lock up if it is still ours; never removes someone else's. Idempotent. */
  release(): Promise<void>;
  /** For process 'exit' handlers: what can be done synchronously (the S3 lease just stops renewing and expires). */
  releaseSync(): void;
}

/** The O_EXCL lock file of a local journal, as a Lease. */
export async function acquireFileLease(journalPath: string, options: LockOptions): Promise<Lease> {
  const lock = await acquireLock(journalPath, options);
  return {
    location: lock.path,
    holder: lock.holder,
    assertHeld: () => undefined,
    renew: async () => undefined,
    release: () => lock.release(),
    releaseSync: () => lock.releaseSync(),
  };
}
