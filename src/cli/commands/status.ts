import { replay } from '../../journal/replay.js';
import { parseDuration } from '../../runbook/duration.js';
import { outlineOf } from '../outline.js';
import { openJournalReadOnly, tornLineWarnings } from '../journal-reading.js';
import type { Output } from '../output.js';
import type { SessionFlags } from '../session.js';
import { buildStatus, statusReport } from './status-view.js';

export async function statusCommand(file: string, flags: SessionFlags & { check?: boolean; watch?: boolean; interval?: string }, output: Output): Promise<void> {
  if (flags.watch) {
    const { ExitCode, ExitError } = await import('../exit.js');
    if (flags.check) throw new ExitError(ExitCode.invalid, '--watch only reads; --check takes the lock and journals: run them separately');
    const intervalMs = flags.interval === undefined ? 2_000 : parseDuration(flags.interval);
    if (intervalMs === undefined || intervalMs < 100) throw new ExitError(ExitCode.invalid, `--interval ${flags.interval ?? ''}: write a duration of at least 100ms, like 2s or 1m`);
    const { watchStatus } = await import('./status-watch.js');
    await watchStatus(file, flags, output, { intervalMs, outline: await outlineOf(file, flags, output) });
    return;
  }
  let exit = 0;
  if (flags.check) {
    // Evaluates (and journals) the watch of a baking step first: that needs the lock and the full runbook.
    const { checkBake } = await import('./status-check.js');
    exit = await checkBake(file, flags, output);
  }
  await printStatus(file, flags, output);
  if (exit !== 0) {
    const { ExitError } = await import('../exit.js');
    throw new ExitError(exit);
  }
}

async function printStatus(file: string, flags: SessionFlags, output: Output): Promise<void> {
  const runbook = await outlineOf(file, flags, output);
  const journal = await openJournalReadOnly(runbook, flags);
  for (const line of tornLineWarnings(journal, false)) output.err(line);
  const status = buildStatus(runbook, replay(journal.events), journal.location);
  for (const line of statusReport(status, journal.exists, output, flags.json === true)) output.out(line);
}
