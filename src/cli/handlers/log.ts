import type { JournalEvent } from '../../journal/events.js';
import type { Output } from '../output.js';
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

export function describeEvent(event: JournalEvent): string {
  const head = `${event.ts}  #${event.seq}  ${event.by}  ${event.type}${event.step ? ` ${event.step}` : ''}${event.attempt && event.attempt > 1 ? ` (attempt ${event.attempt})` : ''}`;
  const data = event.data as unknown as Record<string, unknown>;
  const shown = Object.entries(data)
    .filter(([key, value]) => key !== 'definition' && key !== 'tail' && value !== undefined)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  return shown ? `${head}: ${shown}` : head;
}
