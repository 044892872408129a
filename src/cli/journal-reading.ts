/** Opening a journal read-only, without the runbook loader: status and log stay light. */
import { readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { openJournal } from '../journal/journal.js';
import type { Journal } from '../journal/journal.js';
import type { JournalStore } from '../journal/store.js';
import { defaultJournalPath, defaultLogDir, stateDirOf } from '../journal/paths.js';
import { systemClock } from '../support/clock.js';
import { currentIdentity } from '../support/identity.js';
import { createMasker } from '../support/mask.js';
import { ExitCode, ExitError } from './exit.js';
import { EMPTY_JOURNAL, journalAwsSettings, journalTargetFor, storeForReading } from './journal-backend.js';
import type { JournalRunbook, JournalTargetFlags } from './journal-backend.js';

/** A local journal's path (--journal or the default next to the runbook); for S3 journals see journal-backend.ts. */
export function journalPathFor(runbook: { name: string; file: string }, flags: { journal?: string }): string {
  if (flags.journal !== undefined && flags.journal.trim() === '') throw new ExitError(ExitCode.invalid, EMPTY_JOURNAL);
  return flags.journal ? resolve(flags.journal) : defaultJournalPath(runbook.name, stateDirOf(runbook.file));
}

/**
 * No lock and no writes; the masker is unused because nothing is appended. The journal is
 * `--journal`, the runbook's `journal:` or the default; an S3 journal needs read permission only.
 */
export async function openJournalReadOnly(runbook: JournalRunbook & { file: string }, flags: JournalTargetFlags): Promise<Journal> {
  return readJournalFrom(await journalStoreForReading(runbook, flags), runbook);
}

/** The store behind openJournalReadOnly, for a command that reads the journal again and again (status --watch: one S3 client, not one per poll). */
export async function journalStoreForReading(runbook: JournalRunbook, flags: JournalTargetFlags): Promise<JournalStore> {
  return storeForReading(journalTargetFor(runbook, flags), journalAwsSettings(flags, runbook));
}

export async function readJournalFrom(store: JournalStore, runbook: { name: string; file: string }): Promise<Journal> {
  return openJournal(store, { runbook: { name: runbook.name, file: runbook.file }, identity: currentIdentity(), masker: createMasker([]), clock: systemClock });
}

/** What to tell the user about a torn last line (a crash mid-write); every command says it. */
export function tornLineWarnings(journal: Pick<Journal, 'warnings' | 'location'>, writer: boolean): string[] {
  const then = writer ? 'it is ignored and will be removed before the next event is written' : 'it is ignored (the next run, resume or rollback removes it)';
  return journal.warnings.map((warning) => `warning: ${journal.location}: line ${warning.torn.line} was cut off mid-write (a crash); ${then}`);
}

/** A path for messages: relative to where cutover runs when that is shorter. */
function nearest(path: string): string {
  const near = relative(process.cwd(), path);
  return near.length < path.length ? near : path;
}

/** " Output is in <log>." for a summary line, or nothing when the step left no log. */
export function outputIn(runbookFile: string, step: string, say: (path: string) => string = (path) => ` Output is in ${path}.`): string {
  const path = stepLogHint(runbookFile, step);
  return path === undefined ? '' : say(path);
}

/**
 * The log of a step's latest attempt (`<logs>/<step>.<attempt>.log`, engine/execution.ts),
 * for "Output is in …": undefined when there is none (the step ran no command: a traffic
 * step, a manual one, a precheck that was not a command), so no message names a missing file.
 */
export function stepLogHint(runbookFile: string, step: string): string | undefined {
  const dir = defaultLogDir(stateDirOf(runbookFile));
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return undefined;
  }
  const attempts = names.flatMap((name) => {
    if (!name.startsWith(`${step}.`) || !name.endsWith('.log')) return [];
    const attempt = name.slice(step.length + 1, -'.log'.length);
    return /^[0-9]+$/.test(attempt) ? [Number(attempt)] : [];
  });
  if (attempts.length === 0) return undefined;
  return nearest(join(dir, `${step}.${Math.max(...attempts)}.log`));
}
