import type { Output } from '../output.js';
import { describeEvent } from '../views/event.js';
import { loadOrExit } from '../runbook-options.js';
import { openJournalReadOnly, tornLineWarnings } from '../journal-reading.js';
import type { SessionFlags } from '../session.js';

export async function showLog(file: string, flags: SessionFlags, output: Output): Promise<void> {
  const runbook = await loadOrExit(file, flags, output, 'read');
  const journal = await openJournalReadOnly(runbook, flags);
  for (const line of tornLineWarnings(journal, false)) output.err(line);
  if (!journal.exists) {
    output.err(`no journal yet at ${journal.location}`);
    return;
  }
  for (const event of journal.events) output.out(flags.json ? JSON.stringify(event) : describeEvent(event));
}
