/** One journal line: its fixed serialisation and its hash (the link the next line records in `prev`). */
import { createHash } from 'node:crypto';
import type { JournalEvent } from './events.js';

/** sha256 hex of the line's exact text, without its "\n", as UTF-8. */
export function hashLine(line: string): string {
  return createHash('sha256').update(line, 'utf8').digest('hex');
}

/**
 * Fixed key order so journals read the same everywhere (the hash covers the text, so
 * order never affects verification, only diffs and eyes). JSON.stringify escapes every
 * newline, so the result is always a single line.
 */
export function serializeEvent(event: JournalEvent): string {
  const { v, seq, ts, type, step, attempt, by, data, prev } = event;
  return JSON.stringify({ v, seq, ts, type, step, attempt, by, data, prev });
}
