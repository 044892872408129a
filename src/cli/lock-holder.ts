/**
 * Who holds the lock of a journal, for `status` (read-only: the lock file or the S3 lease
 * object is read, never taken or changed). A step that is `running` in the journal is really
 * running while its holder is; status says so, instead of "interrupted".
 */
import { hostname } from 'node:os';
import type { AwsSettings } from '../aws/clients.js';
import { lazyAwsClients } from '../aws/clients.js';
import type { StatusLock } from './views/status.js';
import type { JournalTarget } from './journal-backend.js';

/** Undefined when nothing holds the lock, or when it cannot be read (status then shows the journal alone). */
export async function readLockHolder(target: JournalTarget, aws: AwsSettings, now: Date = new Date()): Promise<StatusLock | undefined> {
  try {
    if (target.kind === 'file') {
      const { readLock } = await import('../journal/lock.js');
      const status = await readLock(target.path);
      if (!status) return undefined;
      return { kind: 'file', location: status.path, ...(status.holder ? { holder: withoutNamespace(status.holder) } : {}), liveness: status.liveness };
    }
    const [{ readS3Lease }, { here, holderLiveness }] = await Promise.all([import('../journal/s3-lease.js'), import('../journal/holder-liveness.js')]);
    const lease = await readS3Lease(await lazyAwsClients(aws).s3(), target.s3, now);
    if (!lease) return undefined;
    return {
      kind: 's3',
      location: lease.url,
      ...(lease.holder ? { holder: withoutNamespace(lease.holder) } : {}),
      liveness: lease.holder ? holderLiveness(lease.holder, here(hostname())) : 'unknown',
      ...(lease.expiresAt ? { expiresAt: lease.expiresAt, expired: lease.expired } : {}),
    };
  } catch {
    // s3:GetObject on the lease may not be granted to readers; the journal still answers.
    return undefined;
  }
}

/** What status shows of a holder: not the process details liveness used. */
function withoutNamespace<T extends { pidns?: string; started?: string }>(holder: T): Omit<T, 'pidns' | 'started'> {
  const { pidns: _pidns, started: _started, ...rest } = holder;
  return rest;
}
