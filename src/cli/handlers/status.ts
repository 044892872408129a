import { replay } from '../../journal/replay.js';
import { parseDuration } from '../../runbook/duration.js';
import { outlineOf } from '../outline.js';
import { hintFor } from '../hint.js';
import { openJournalReadOnly, tornLineWarnings } from '../journal-reading.js';
import { journalAwsSettings, journalTargetFor } from '../journal-backend.js';
import type { Output } from '../output.js';
import type { SessionFlags } from '../session.js';
import { buildStatus, statusReport } from '../views/status.js';

export async function showStatus(file: string, flags: SessionFlags & { check?: boolean; watch?: boolean; interval?: string }, output: Output): Promise<void> {
  if (flags.check) {
    // status only reads; acting on a watch (which may roll traffic back) is its own command.
    const { ExitCode, ExitError } = await import('../exit.js');
    throw new ExitError(
      ExitCode.invalid,
      `status only reads the journal; to evaluate the watch of a baking step (and apply its onFailure, which may roll back) run "cutover watch ${file}"`,
    );
  }
  if (flags.watch) {
    const { ExitCode, ExitError } = await import('../exit.js');
    const intervalMs = flags.interval === undefined ? 2_000 : parseDuration(flags.interval);
    if (intervalMs === undefined || intervalMs < 100)
      throw new ExitError(ExitCode.invalid, `--interval ${flags.interval ?? ''}: write a duration of at least 100ms, like 2s or 1m`);
    const { watchStatus } = await import('./status-watch.js');
    await watchStatus(file, flags, output, { intervalMs, outline: await outlineOf(file, flags, output) });
    return;
  }
  await printStatus(file, flags, output);
}

async function printStatus(file: string, flags: SessionFlags, output: Output): Promise<void> {
  const runbook = await outlineOf(file, flags, output);
  const journal = await openJournalReadOnly(runbook, flags);
  for (const line of tornLineWarnings(journal, false)) output.err(line);
  // The outline cannot tell a secret variable from another: --var values are not repeated in hints.
  const hint = hintFor(file, flags, (assignment) => assignment.replace(/=[\s\S]*$/, '=***'));
  // Who holds the lock (read only): a started step is running while its holder runs.
  const { readLockHolder } = await import('../lock-holder.js');
  const lock = await readLockHolder(journalTargetFor(runbook, flags), journalAwsSettings(flags, runbook));
  const status = buildStatus(runbook, replay(journal.events), journal.location, Date.now(), hint, lock);
  for (const line of statusReport(status, journal.exists, output, flags.json === true)) output.out(line);
}
