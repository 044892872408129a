/** One journal line: its fixed serialisation and its hash (the link the next line records in `prev`). */
import { hash } from 'node:crypto';
import type { JournalEvent } from './events.js';

/**
 * sha256 hex of the line's exact text, without its "\n", as UTF-8. The one-shot
 * `crypto.hash` is about ten times faster than a Hash object per line, which is what makes
 * reading a 100,000-event journal fast.
 */
export function hashLine(line: string): string {
  return hash('sha256', line, 'hex');
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
