/**
 * Verifies a journal's text: every line a well-formed event, seq 1,2,3…, each `prev` the
 * hash of the line before, journal.created first. Pure, so `journal push/pull` can check
 * a copy before trusting it. The only tolerated damage is a torn last line: the text
 * does not end with "\n" and its last line does not parse, which is what a crash in the
 * middle of an append leaves. Such a line was never acknowledged, so it is ignored.
 */
import { JournalError } from './errors.js';
import type { JournalEvent } from './events.js';
import { checkEventShape } from './event-shape.js';
import { hashLine } from './line.js';

export const DAMAGED_ADVICE = 'the journal cannot be trusted — restore it from a copy or start a new journal with --journal';

export interface TornLine {
  /** 1-based line number of the torn line. */
  line: number;
  /** Its length in bytes (approximate if it ends inside a multi-byte character). */
  bytes: number;
}

export interface ChainResult {
  events: JournalEvent[];
  /** Hash of the last complete line: the next event's `prev`. */
  head: string;
  /** Byte length of the trusted prefix (everything but a torn line). */
  validBytes: number;
  torn?: TornLine;
  /**
   * The last line is a complete, verified event without its "\n" (an editor may strip
   * it). It is kept; a writer must add the "\n" before appending.
   */
  unterminated: boolean;
}

/** Throws JournalError (kind 'damaged', with the line) on anything but a torn last line. */
export function verifyChain(text: string): ChainResult {
  if (text.length === 0) {
    // Never "no journal yet": the file store writes the first line together with the file,
    // so an empty journal was emptied by something else, and treating it as new would run
    // every completed step again.
    throw new JournalError(
      'damaged',
      'the journal is empty, but cutover never leaves an empty journal, so it was truncated by something else',
      'restore it from a copy; if you are certain nothing ran yet, delete the file',
      1,
    );
  }
  const lines = text.split('\n');
  const terminated = text.endsWith('\n');
  let count = terminated ? lines.length - 1 : lines.length;
  let tailValue: unknown;
  let torn: TornLine | undefined;
  if (!terminated) {
    const tail = lines[count - 1] ?? '';
    try {
      tailValue = JSON.parse(tail);
    } catch {
      torn = { line: count, bytes: Buffer.byteLength(tail, 'utf8') };
      count -= 1;
    }
  }
  if (count === 0) {
    throw new JournalError(
      'damaged',
      'the journal has no complete line, only a torn one',
      'restore it from a copy; if you are certain nothing ran yet, delete the file',
      1,
    );
  }

  const events: JournalEvent[] = new Array<JournalEvent>(count);
  let head: string | null = null;
  for (let index = 0; index < count; index += 1) {
    const line = lines[index] ?? '';
    const lineNo = index + 1;
    const damaged = (problem: string) => new JournalError('damaged', problem, DAMAGED_ADVICE, lineNo);
    let value: unknown;
    if (!terminated && index === count - 1 && !torn) {
      value = tailValue;
    } else {
      if (line.length === 0) throw damaged('the line is empty');
      try {
        value = JSON.parse(line);
      } catch {
        throw damaged('the line is not valid JSON');
      }
    }
    const shape = checkEventShape(value, lineNo);
    if (!shape.ok) throw damaged(shape.problem);
    const event = shape.event;
    if (event.prev !== head) {
      throw damaged(
        head === null
          ? 'the first line must have `prev: null` (lines were removed from the start of the journal)'
          : `the hash chain is broken: \`prev\` does not match line ${lineNo - 1} (that line was edited, or lines were deleted or reordered)`,
      );
    }
    if (index === 0 && event.type !== 'journal.created') {
      throw damaged(`the first event must be journal.created, not ${event.type} (this is not a cutover journal, or its start was cut off)`);
    }
    if (index > 0 && event.type === 'journal.created') throw damaged('journal.created may only be the first event');
    events[index] = event;
    head = hashLine(line);
  }

  const prefix = torn ? text.slice(0, text.length - (lines[count] ?? '').length) : text;
  return {
    events,
    head: head as string,
    validBytes: torn ? Buffer.byteLength(prefix, 'utf8') : Buffer.byteLength(text, 'utf8'),
    torn,
    unterminated: !terminated && !torn,
  };
}
