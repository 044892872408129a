/** Opening a journal read-only, without the runbook loader: status and log stay light. */
import { resolve } from 'node:path';
import { JournalError } from '../journal/errors.js';
import { FileJournalStore } from '../journal/file-store.js';
import { openJournal } from '../journal/journal.js';
import type { Journal } from '../journal/journal.js';
import { defaultJournalPath } from '../journal/paths.js';
import { systemClock } from '../support/clock.js';
import { currentIdentity } from '../support/identity.js';
import { createMasker } from '../support/mask.js';
import { ExitCode, ExitError } from './exit.js';

export function journalPathFor(runbook: { name: string }, flags: { journal?: string }): string {
  return flags.journal ? resolve(flags.journal) : defaultJournalPath(runbook.name, process.cwd());
}

/** No lock and no writes; the masker is unused because nothing is appended. */
export async function openJournalReadOnly(runbook: { name: string; file: string }, flags: { journal?: string }): Promise<Journal> {
  try {
    return await openJournal(new FileJournalStore(journalPathFor(runbook, flags)), { runbook, identity: currentIdentity(), masker: createMasker([]), clock: systemClock });
  } catch (error) {
    if (error instanceof JournalError) throw new ExitError(ExitCode.invalid, error.message);
    throw error;
  }
}
