/**
 * `cutover status --watch`: a live view of a run that is going on elsewhere. Polls the journal
 * read-only (no lock, no writes: the run that holds the lock is not disturbed) and shows the
 * status table, the timeline and the newest events.
 *
 * At a terminal the view is redrawn in place every interval (bake countdowns move) until
 * Ctrl-C, which ends the watch with exit 0. Without a terminal (a CI log, a pipe) a new block
 * is printed only when the journal changed; with --json, one status object per change.
 */
import type { JournalEvent } from '../../journal/events.js';
import { replay } from '../../journal/replay.js';
import { buildReportModel } from '../../report/model.js';
import { renderTextTimeline } from '../../report/text.js';
import { formatDuration } from '../../runbook/duration.js';
import type { RunbookOutline } from '../../runbook/outline-cache.js';
import { journalStoreForReading, readJournalFrom } from '../journal-reading.js';
import type { Output } from '../output.js';
import { paint } from '../output.js';
import { neutralise } from '../terminal-text.js';
import type { SessionFlags } from '../session.js';
import { describeEvent } from '../views/event.js';
import { buildStatus, itemLines, notificationLine, statusTable } from '../views/status.js';
import type { StatusLock } from '../views/status.js';
import { journalAwsSettings, journalTargetFor } from '../journal-backend.js';
import { setLongTimeout } from '../../support/clock.js';
import type { Status } from '../views/status.js';

export interface WatchOptions {
  /** How often the journal is read. */
  intervalMs: number;
  /** Redraw in place (default: stdout is a terminal and not --json). */
  tty?: boolean;
  /** Ends the watch (default: SIGINT / SIGTERM). */
  signal?: AbortSignal;
  /** Terminal size (default: stdout's, else 100 x 40). */
  columns?: number;
  rows?: number;
  now?: () => number;
  /** The runbook's outline, when the caller has it (status.ts); otherwise read as `status` does. */
  outline?: RunbookOutline;
}

const ENTER = '\u001b[?25l\u001b[2J\u001b[H';
const HOME = '\u001b[H';
const CLEAR_LINE = '\u001b[K';
const CLEAR_BELOW = '\u001b[J';
const SHOW_CURSOR = '\u001b[?25h';

export async function watchStatus(file: string, flags: SessionFlags, output: Output, options: WatchOptions): Promise<void> {
  const tty = options.tty ?? (process.stdout.isTTY === true && !flags.json);
  const now = options.now ?? Date.now;
  const runbook = options.outline ?? (await (await import('../outline.js')).outlineOf(file, flags, output));

  const stop = new AbortController();
  const onSignal = () => stop.abort();
  if (!options.signal) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  const signal = options.signal ?? stop.signal;
  let shownSignature: string | undefined;
  let shownSeq = 0;
  let first = true;
  const store = await journalStoreForReading(runbook, flags);
  const { readLockHolder } = await import('../lock-holder.js');
  const target = journalTargetFor(runbook, flags);
  const aws = journalAwsSettings(flags, runbook);
  try {
    while (!signal.aborted) {
      const journal = await readJournalFrom(store, runbook);
      // Who holds the lock (read only), as plain status: a started step is running while its holder runs.
      const lock = await readLockHolder(target, aws);
      const events = journal.events;
      const last = events.at(-1);
      const signature = `${events.length}:${last?.prev ?? ''}:${last?.ts ?? ''}:${lock ? `${lock.location}:${lock.liveness}:${lock.holder?.pid ?? ''}` : ''}`;
      const at = now();
      if (tty) {
        const columns = options.columns ?? process.stdout.columns ?? 100;
        const rows = options.rows ?? process.stdout.rows ?? 40;
        const frame = renderFrame(runbook, journal.location, journal.exists, events, {
          at,
          columns,
          rows,
          intervalMs: options.intervalMs,
          output,
          ...(lock ? { lock } : {}),
        });
        output.out(`${first ? ENTER : HOME}${frame.map((line) => `${line}${CLEAR_LINE}`).join('\n')}${CLEAR_BELOW}`, { screen: true });
        first = false;
      } else if (signature !== shownSignature) {
        const status = buildStatus(runbook, replay(events), journal.location, at, undefined, lock);
        if (flags.json) {
          output.out(
            JSON.stringify({
              type: 'status',
              at: new Date(at).toISOString(),
              lastSeq: last?.seq ?? 0,
              ...status,
              events: events.filter((e) => e.seq > shownSeq),
            }),
          );
        } else {
          output.out(renderBlock(status, journal.exists, events, shownSeq, at, output));
        }
      }
      shownSignature = signature;
      shownSeq = last?.seq ?? 0;
      await sleep(options.intervalMs, signal);
    }
  } finally {
    if (!options.signal) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    if (tty && !first) output.out(SHOW_CURSOR, { screen: true });
  }
}

/** One screen: header, status table, next action, timeline, the newest events; cut to the terminal. */
export function renderFrame(
  runbook: RunbookOutline,
  location: string,
  exists: boolean,
  events: readonly JournalEvent[],
  view: { at: number; columns: number; rows: number; intervalMs: number; output: Pick<Output, 'color'>; lock?: StatusLock },
): string[] {
  const { at, columns, rows, output } = view;
  const status = buildStatus(runbook, replay(events), location, at, undefined, view.lock);
  const lines: string[] = [];
  lines.push(`${paint(output, 'bold', `${runbook.name}`)}  ${location}${exists ? '' : ' (no journal yet: waiting for it)'}`);
  lines.push(
    paint(
      output,
      'dim',
      `watching: ${new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z')}, every ${formatDuration(view.intervalMs)}; Ctrl-C to stop (read-only)`,
    ),
  );
  lines.push('');
  lines.push(...statusTable(status, { ...output, columns }).split('\n'));
  lines.push(...itemLines(status));
  if (status.notifications) lines.push(notificationLine(status.notifications));
  lines.push(`next: ${status.nextAction}`);
  if (events.length > 0) {
    const model = buildReportModel({ events, runbook: { name: runbook.name, steps: runbook.steps }, now: new Date(at).toISOString() });
    lines.push('');
    lines.push(...renderTextTimeline(model, { width: columns, paint: (style, text) => paint(output, style, text) }));
  }
  const room = rows - 1 - lines.length - 2;
  const recent = events.filter((e) => e.type !== 'step.spawned' && e.type !== 'journal.created');
  if (room > 0 && recent.length > 0) {
    lines.push('', paint(output, 'bold', 'latest events'));
    for (const event of recent.slice(-room)) lines.push(describeEvent(event));
  }
  // Written as a screen (cursor controls kept): every line's content is made inert here.
  const fitted = lines.map((line) => fit(neutralise(line), columns));
  if (fitted.length > rows - 1) return [...fitted.slice(0, Math.max(1, rows - 2)), `… ${fitted.length - rows + 2} more lines: enlarge the terminal`];
  return fitted;
}

function renderBlock(status: Status, exists: boolean, events: readonly JournalEvent[], shownSeq: number, at: number, output: Output): string {
  const lines: string[] = [];
  const last = events.at(-1);
  lines.push(
    `== ${new Date(at).toISOString()}  ${status.runbook}: ${exists ? `${events.length} events, last #${last?.seq ?? 0} at ${last?.ts ?? '-'}` : `no journal yet at ${status.journal}`}`,
  );
  lines.push(statusTable(status, output));
  lines.push(...itemLines(status));
  lines.push(`next: ${status.nextAction}`);
  const fresh = events.filter((e) => e.seq > shownSeq && e.type !== 'step.spawned' && e.type !== 'journal.created');
  if (fresh.length > 0) {
    const shown = shownSeq === 0 ? fresh.slice(-10) : fresh;
    lines.push(shownSeq === 0 && fresh.length > shown.length ? `events (the last ${shown.length} of ${fresh.length}):` : 'new events:');
    for (const event of shown) lines.push(`  ${describeEvent(event)}`);
  }
  return `${lines.join('\n')}\n`;
}

// eslint-disable-next-line no-control-regex -- colour codes are exactly what is matched here
const ANSI_SEQUENCE = /^\u001b\[[0-9;?]*[A-Za-z]/;

/** Cuts a line to `columns` visible characters, keeping colour codes whole (and closing them). */
export function fit(line: string, columns: number): string {
  let visible = 0;
  let out = '';
  for (let i = 0; i < line.length;) {
    const escape = ANSI_SEQUENCE.exec(line.slice(i));
    if (escape) {
      out += escape[0];
      i += escape[0].length;
      continue;
    }
    const char = String.fromCodePoint(line.codePointAt(i) as number);
    if (visible >= columns) return `${out}\u001b[0m`;
    out += char;
    visible += 1;
    i += char.length;
  }
  return out;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    // Chained: an --interval over 24.8 days must not fire at once.
    const timer = setLongTimeout(done, ms);
    function done() {
      timer.clear();
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
