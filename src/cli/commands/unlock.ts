import { breakLock, readLock } from '../../journal/lock.js';
import { describeHolder } from '../../journal/errors.js';
import { ExitCode, ExitError } from '../exit.js';
import type { Output } from '../output.js';
import { loadOrExit } from '../runbook-options.js';
import { journalPathFor } from '../session.js';
import type { SessionFlags } from '../session.js';

export interface UnlockFlags extends SessionFlags {
  force?: boolean;
}

export async function unlockCommand(file: string, flags: UnlockFlags, output: Output): Promise<void> {
  const runbook = await loadOrExit(file, flags, output);
  const journalPath = journalPathFor(runbook, flags);
  const status = await readLock(journalPath);
  if (!status) {
    output.err(`not locked: ${journalPath} has no lock`);
    return;
  }
  const who = status.holder ? describeHolder(status.holder) : 'an unreadable lock file (a crash while taking the lock)';
  if (!status.stale && !flags.force) {
    throw new ExitError(ExitCode.locked, `the lock is held by ${who}, which looks alive. If you are sure it is gone (another machine, a dead container), run again with --force.`);
  }
  await breakLock(journalPath);
  output.err(`warning: removed the lock of ${who}. If that run was still going, two runs may now write to one journal: check "cutover status ${file}".`);
}
