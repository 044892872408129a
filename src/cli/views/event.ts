/** One journal event as a line for people: `cutover log`, and the newest events of `status --watch`. */
import type { JournalEvent } from '../../journal/events.js';

export function describeEvent(event: JournalEvent): string {
  const head = `${event.ts}  #${event.seq}  ${event.by}  ${event.type}${event.step ? ` ${event.step}` : ''}${event.attempt && event.attempt > 1 ? ` (attempt ${event.attempt})` : ''}`;
  const data = event.data as unknown as Record<string, unknown>;
  const shown = Object.entries(data)
    .filter(([key, value]) => key !== 'definition' && key !== 'tail' && value !== undefined)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  return shown ? `${head}: ${shown}` : head;
}
