import { hostname } from 'node:os';
import { breakLock, readLock } from '../../journal/lock.js';
import { describeHolder } from '../../journal/errors.js';
import type { LockHolder } from '../../journal/errors.js';
import { here, holderLiveness } from '../../journal/holder-liveness.js';
import { lazyAwsClients } from '../../aws/clients.js';
import { ExitCode, ExitError } from '../exit.js';
import { hintFor } from '../hint.js';
import type { Output } from '../output.js';
import { loadOrExit } from '../runbook-options.js';
import { isInteractive } from '../session.js';
import type { SessionFlags } from '../session.js';
import { journalAwsSettings, journalTargetFor } from '../journal-backend.js';
import type { JournalTarget } from '../journal-backend.js';
import type { Runbook } from '../../runbook/types.js';

export interface UnlockFlags extends SessionFlags {
  force?: boolean;
}

export async function unlock(file: string, flags: UnlockFlags, output: Output): Promise<void> {
  const runbook = await loadOrExit(file, flags, output, 'read');
  const target = journalTargetFor(runbook, flags);
  if (target.kind === 's3') return unlockS3(file, runbook, target, flags, output);
  const journalPath = target.path;
  const status = await readLock(journalPath);
  if (!status) {
    output.err(`not locked: ${journalPath} has no lock`);
    return;
  }
  const who = status.holder ? describeHolder(status.holder) : 'an unreadable lock file (a crash while taking the lock)';
  if (status.holder && status.liveness === 'alive') throw liveHolder(status.holder, status.path);
  if (!status.stale && !flags.force) {
    throw new ExitError(
      ExitCode.locked,
      `the lock is held by ${who}, on another machine (or in another container), so cutover cannot tell whether it is still running. If you are sure it is gone, run again with --force.`,
    );
  }
  const removed = await breakLock(journalPath, undefined, status);
  if (removed === 'changed') {
    throw new ExitError(
      ExitCode.locked,
      `not removed: the lock changed since it was read (released, and taken by another command); run "${hintFor(file, flags)('unlock')}" again to see who holds it now`,
    );
  }
  output.err(
    `warning: removed the lock of ${who}. If that run was still going, two runs may now write to one journal: check "${hintFor(file, flags)('status')}".`,
  );
}

/**
 * A holder on this host whose process is alive is never unlocked, --force or not: both would
 * then append to the journal from their own view of it. Stopping it releases the lock.
 */
function liveHolder(holder: LockHolder, lock: string): ExitError {
  return new ExitError(
    ExitCode.locked,
    `not removed: the lock is held by ${describeHolder(holder)}, which is running on this machine (pid ${holder.pid} is alive). ` +
      `Wait for it to finish, or stop it (kill ${holder.pid}: it journals the interruption and releases the lock). ` +
      `cutover unlock never removes the lock of a live process on this machine, even with --force; if pid ${holder.pid} is not a cutover process, remove ${lock} by hand.`,
  );
}

/**
 * The S3 lease: shows who holds it and until when, and asks before removing it (--force
 * without asking, for CI). The removal is conditional on the lease still being the one shown.
 */
async function unlockS3(file: string, runbook: Runbook, target: Extract<JournalTarget, { kind: 's3' }>, flags: UnlockFlags, output: Output): Promise<void> {
  const { readS3Lease, breakS3Lease } = await import('../../journal/s3-lease.js');
  const client = await lazyAwsClients(journalAwsSettings(flags, runbook)).s3();
  const status = await readS3Lease(client, target.s3, new Date());
  if (!status) {
    output.err(`not locked: ${target.location} has no lease`);
    return;
  }
  const who = status.holder ? describeHolder(status.holder) : `an object cutover did not write (${status.raw.slice(0, 200).trim()})`;
  if (status.holder && holderLiveness(status.holder, here(hostname())) === 'alive') throw liveHolder(status.holder, status.url);
  const until = status.expiresAt
    ? status.expired
      ? `; it expired at ${status.expiresAt} (the next command would take it over anyway)`
      : `; it runs until ${status.expiresAt} and is renewed while its command runs`
    : '';
  output.err(`the lease ${status.url} is held by ${who}${until}`);
  if (!flags.force) {
    if (!isInteractive(flags)) {
      throw new ExitError(
        ExitCode.locked,
        `not removed: without a terminal, "cutover unlock" removes an S3 lease only with --force. Make sure that command is gone first.`,
      );
    }
    const { interactiveOperator } = await import('../interactive-operator.js');
    const { createMasker } = await import('../../support/mask.js');
    const yes = await interactiveOperator(output, createMasker([]), '').confirm(
      'Remove it? If that command is still running, two commands may then write one journal.',
    );
    if (!yes) {
      output.err('not removed.');
      return;
    }
  }
  const result = await breakS3Lease(client, target.s3, status.etag);
  if (result === 'changed') {
    throw new ExitError(
      ExitCode.locked,
      `not removed: the lease changed since it was read (renewed by its holder, or taken over); run "${hintFor(file, flags)('unlock')}" again to see who holds it now`,
    );
  }
  output.err(
    `warning: removed the lease of ${who}. If that command was still going, it stops writing at its next heartbeat; check "${hintFor(file, flags)('status')}".`,
  );
}
