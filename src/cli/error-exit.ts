/**
 * The one map from an error to how the process ends: its exit code and the line printed.
 * runGuarded applies it, once, at the top; handlers and the modules under them throw what
 * they know (a LockedError, a JournalError, an ExitError for their own refusals) and never
 * convert. Anything the map does not know is a bug (exit 70, with its stack).
 *
 * Light on purpose (no commander, no journal code beyond its error types): the plain
 * `status` path of main.ts goes through it too.
 */
import { JournalError, LockedError } from '../journal/errors.js';
import { ExitCode, ExitError } from './exit.js';

export interface ErrorExit {
  code: number;
  /** What to print on stderr ('' when nothing, e.g. commander has printed its message already). */
  message: string;
}

export function exitForError(error: unknown): ErrorExit | undefined {
  if (error instanceof ExitError) return { code: error.code, message: error.message };
  // Another command holds the journal's lock or lease.
  if (error instanceof LockedError) return { code: ExitCode.locked, message: error.message };
  // Someone else wrote the journal, or this command lost its lease: like a locked journal.
  if (error instanceof JournalError && error.kind === 'conflict') return { code: ExitCode.locked, message: error.message };
  // A damaged, unreadable or foreign journal: the input is wrong, as for an invalid runbook.
  if (error instanceof JournalError) return { code: ExitCode.invalid, message: error.message };
  // commander has printed its message (and a suggestion); help and version exit 0, usage errors 2.
  if (isCommanderError(error)) return { code: error.exitCode === 0 ? ExitCode.ok : ExitCode.invalid, message: '' };
  return undefined;
}

/** commander's errors (CommanderError, InvalidArgumentError), told apart without loading commander. */
export function isCommanderError(error: unknown): error is Error & { code: string; exitCode: number } {
  if (!(error instanceof Error)) return false;
  const { code, exitCode } = error as Error & { code?: unknown; exitCode?: unknown };
  return typeof code === 'string' && code.startsWith('commander.') && typeof exitCode === 'number';
}
