/**
 * What `cutover status` shows, from the journal's replayed state and the runbook's outline:
 * pure, so the full command, `status --watch` and the quick path (launch-status.ts) print
 * the same thing.
 */
import type { JournalState } from '../../journal/replay.js';
import type { LockHolder } from '../../journal/errors.js';
import { describeHolder } from '../../journal/errors.js';
import type { Liveness } from '../../journal/holder-liveness.js';
import { describeRefusal, plainHint, whatNext } from '../../engine/next.js';
import type { Hint } from '../../engine/next.js';
import { formatSpan, notChecked } from '../../report/format.js';
import { formatDuration } from '../../runbook/duration.js';
import type { RunbookOutline } from '../../runbook/outline-cache.js';
import type { Output } from '../output.js';
import { paint } from '../output.js';
import { renderTable } from '../table.js';

export interface StatusRow {
  id: string;
  state: string;
  when?: string;
  by?: string;
  durationMs?: number;
  changed: boolean;
  /** Ran, and its current definition uses these vars without a value: whether it changed is not known. */
  unchecked?: string[];
  /** A succeeded step whose bake has not passed yet. */
  bake?: { until: string; leftMs: number; watch?: { ok: boolean; summary: string; ts: string } };
  /** Steps of a group: the group and the item. */
  group?: { id: string; item: string };
}

/** Progress of one item of a group: its steps done (succeeded or skipped) of all its steps. */
export interface StatusItem {
  group: string;
  item: string;
  done: number;
  total: number;
  /** The first of its steps that is not done (absent when all are). */
  at?: { id: string; state: string };
}

/** Who holds the journal's lock (status reads it, never takes it): see lock-holder.ts. */
export interface StatusLock {
  kind: 'file' | 's3';
  /** The lock file or the lease's URL. */
  location: string;
  /** Undefined when the lock does not say who holds it. */
  holder?: LockHolder;
  /** alive: a process on this machine holds it now; gone: that process is not running; unknown: another machine. */
  liveness: Liveness;
  /** S3 leases: when it runs out unless renewed, and whether it has. */
  expiresAt?: string;
  expired?: boolean;
}

export interface Status {
  runbook: string;
  journal: string;
  steps: StatusRow[];
  /** Present when the runbook has groups: progress per item, in runbook order. */
  items?: StatusItem[];
  next?: string;
  nextAction: string;
  /** Present while the journal is locked. */
  lock?: StatusLock & { running: boolean };
  /** Present once a notify: webhook was tried: deliveries sent and failed, and the last failure. */
  notifications?: StatusNotifications;
}

export interface StatusNotifications {
  sent: number;
  failed: number;
  lastFailure?: { webhook: string; event: string; ts: string; reason: string };
}

/** Webhook deliveries, counted from the journal (notify.sent / notify.failed). */
export function notificationSummary(state: Pick<JournalState, 'notifications'>): StatusNotifications | undefined {
  if (state.notifications.length === 0) return undefined;
  const failed = state.notifications.filter((n) => !n.ok);
  const last = failed.at(-1);
  return {
    sent: state.notifications.length - failed.length,
    failed: failed.length,
    ...(last ? { lastFailure: { webhook: last.name ?? `#${last.webhook}`, event: last.event, ts: last.ts, reason: last.reason ?? '' } } : {}),
  };
}

/** "notifications: 3 sent, 1 failed (last: webhook #1, step-failed at 12:00:05Z: HTTP 503)". */
export function notificationLine(summary: StatusNotifications): string {
  const last = summary.lastFailure;
  return `notifications: ${summary.sent} sent, ${summary.failed} failed${last ? ` (last: webhook ${last.webhook}, ${last.event} at ${last.ts.slice(11, 19)}Z: ${last.reason})` : ''}`;
}

/**
 * Library function: the status of every step, from the journal and, when given, who holds
 * its lock: a step started and without an outcome is running while its holder runs, and
 * interrupted only once that holder is gone.
 */
export function buildStatus(
  runbook: Pick<RunbookOutline, 'name' | 'file'> & { steps: { id: string; digest: string; group?: { id: string; item: string }; unresolved?: string[] }[] },
  state: JournalState,
  journal: string,
  now = Date.now(),
  hint: Hint = plainHint(runbook.file),
  lock?: StatusLock,
): Status {
  const steps = runbook.steps.map((step): StatusRow => {
    const record = state.steps.get(step.id);
    const row: StatusRow = {
      id: step.id,
      state: record?.state ?? 'pending',
      when: record?.finishedAt ?? record?.startedAt,
      by: record?.by,
      durationMs: record?.durationMs,
      // An empty digest is unknown (a var without a value), not a change.
      changed: record?.digest !== undefined && step.digest !== '' && record.digest !== step.digest,
      ...(record?.digest !== undefined && step.unresolved?.length ? { unchecked: step.unresolved } : {}),
      ...(step.group ? { group: { id: step.group.id, item: step.group.item } } : {}),
    };
    const bakeMs = record?.definition?.bakeMs;
    if (record?.state === 'succeeded' && record.finishedAt && bakeMs !== undefined) {
      const endsAt = Date.parse(record.finishedAt) + bakeMs;
      if (endsAt > now)
        row.bake = {
          until: new Date(endsAt).toISOString(),
          leftMs: endsAt - now,
          ...(record.lastWatch ? { watch: { ok: record.lastWatch.ok, summary: record.lastWatch.summary, ts: record.lastWatch.ts } } : {}),
        };
    }
    return row;
  });
  // Steps that ran but are gone from the file still matter for rollback.
  for (const record of state.steps.values()) {
    if (!runbook.steps.some((s) => s.id === record.id))
      steps.push({
        id: record.id,
        state: `${record.state} (not in runbook)`,
        when: record.finishedAt ?? record.startedAt,
        by: record.by,
        durationMs: record.durationMs,
        changed: true,
      });
  }
  const plan = whatNext(runbook.steps, state, {}, now);
  const next = plan.next;
  const run = `"${hint('run')}"`;
  // The holder still runs (this machine: its pid is alive; elsewhere: its lock says so, or its S3 lease is renewed).
  const running = lock !== undefined && lock.holder !== undefined && (lock.liveness === 'alive' || (lock.liveness === 'unknown' && lock.expired !== true));
  const busy = running && lock?.holder ? `${describeHolder(lock.holder)}${lock.liveness === 'unknown' ? ' on another machine' : ''}` : undefined;
  const goneHolder = lock?.holder && !running ? lock : undefined;
  const nextAction = busy
    ? plan.interrupted
      ? `wait: step ${plan.interrupted.step} is running, by ${busy}; "${hint('status')}" shows when it ends${lock?.liveness === 'unknown' ? ` (if that process is gone, "${hint('unlock')}", then "${hint('resume')}")` : ''}`
      : `wait: the journal is locked by ${busy}, which is running; "${hint('status')}" shows what it did`
    : plan.refusal
      ? describeRefusal(plan.refusal, hint)
      : plan.interrupted
        ? `resume: step ${plan.interrupted.step} was interrupted${goneHolder ? interruptedBy(goneHolder, hint) : ''} ("${hint('resume')}")`
        : plan.retry && next
          ? `step ${next} failed: fix the cause and "${hint('resume')}" (it runs again), or "${hint('rollback')}"`
          : plan.bake && next
            ? `wait: ${plan.bake.step} is baking until ${new Date(plan.bake.endsAt).toISOString()} (${formatDuration(Math.ceil((plan.bake.endsAt - now) / 60_000) * 60_000)} left), then ${run} runs ${next}`
            : next
              ? `run ${next}: ${run}`
              : plan.bake
                ? `every step is done; ${plan.bake.step} is baking until ${new Date(plan.bake.endsAt).toISOString()}: ${run} evaluates its watch until then`
                : 'nothing: every step is done';
  // A lock file left by a holder that is gone blocks the next command whatever it is: say so.
  const stale =
    goneHolder && goneHolder.kind === 'file' && !plan.interrupted
      ? ` (first "${hint('unlock')}": the lock of ${goneHolder.holder ? describeHolder(goneHolder.holder) : 'a holder'} that is no longer running is left behind)`
      : '';
  const notifications = notificationSummary(state);
  const items = itemProgress(steps);
  return {
    runbook: runbook.name,
    journal,
    steps,
    ...(items.length > 0 ? { items } : {}),
    next,
    nextAction: `${nextAction}${stale}`,
    ...(lock ? { lock: { ...lock, running } } : {}),
    ...(notifications ? { notifications } : {}),
  };
}

function itemProgress(rows: readonly StatusRow[]): StatusItem[] {
  const items = new Map<string, StatusItem>();
  for (const row of rows) {
    if (!row.group) continue;
    const key = `${row.group.id}\u0000${row.group.item}`;
    const item = items.get(key) ?? { group: row.group.id, item: row.group.item, done: 0, total: 0 };
    item.total++;
    if (row.state === 'succeeded' || row.state === 'skipped') item.done++;
    else item.at ??= { id: row.id, state: row.state };
    items.set(key, item);
  }
  return [...items.values()];
}

/** `move shard-03: 4/6 steps (at move-shard-03-route: failed)`, one line per item of a group. */
export function itemLines(status: Status): string[] {
  return (status.items ?? []).map(
    (item) =>
      `${item.group} ${item.item}: ${item.done}/${item.total} steps${item.at && item.done > 0 ? ` (at ${item.at.id}: ${item.at.state})` : item.at && item.at.state !== 'pending' ? ` (${item.at.id}: ${item.at.state})` : ''}`,
  );
}

function countOthers(status: Status, row: StatusRow): string {
  const same = status.steps.filter((other) => other !== row && other.unchecked?.join(',') === row.unchecked?.join(',')).length;
  return same === 0 ? '' : ` and ${same} more`;
}

/** Why a step whose holder is no longer running is interrupted, and what clears the lock. */
function interruptedBy(lock: StatusLock, hint: Hint): string {
  const who = lock.holder ? describeHolder(lock.holder) : 'its holder';
  if (lock.kind === 's3')
    return lock.expired
      ? `: ${who} stopped renewing its lease, which expired at ${lock.expiresAt ?? '?'}; the next command takes it over`
      : `: ${who} is no longer running; the next command takes its lease over`;
  return `: ${who} is no longer running; its lock is left behind: "${hint('unlock')}" first`;
}

/** The step table of `cutover status` (and of `status --watch`). */
export function statusTable(status: Status, output: Pick<Output, 'color' | 'columns'>): string {
  const color = (state: string) => (state === 'succeeded' ? paint(output, 'green', state) : state.includes('fail') ? paint(output, 'red', state) : state);
  return renderTable(
    ['STEP', 'STATE', 'WHEN', 'BY', 'DURATION', 'BAKE'],
    status.steps.map((row) => [
      row.id + (row.changed ? ' *' : row.unchecked ? ' ?' : ''),
      color(row.state),
      row.when ?? '-',
      row.by ?? '-',
      formatSpan(row.durationMs),
      row.bake
        ? `${formatDuration(Math.ceil(row.bake.leftMs / 60_000) * 60_000)} left${row.bake.watch ? (row.bake.watch.ok ? ', watch ok' : ', WATCH FAILED') : ''}`
        : '-',
    ]),
    // A narrow terminal: BY, then WHEN, then DURATION go first (status --json has them all).
    { maxWidth: output.columns, drop: [3, 2, 4] },
  );
}

/** The whole report: JSON for --json, else title, table and the next action. */
export function statusReport(status: Status, journalExists: boolean, output: Pick<Output, 'color' | 'columns'>, json: boolean): string[] {
  if (json) return [JSON.stringify(status)];
  const lines = [`${paint(output, 'bold', status.runbook)} (${status.journal}${journalExists ? '' : ', no journal yet'})`, statusTable(status, output)];
  if (status.items) lines.push('items (one at a time, each step by step):', ...itemLines(status).map((line) => `  ${line}`));
  if (status.steps.some((row) => row.changed)) lines.push('* changed in the runbook since it ran');
  // One line per set of vars: a runbook-wide `env:` var would otherwise repeat on every step.
  const unchecked = new Map(status.steps.flatMap((row) => (row.unchecked ? [[row.unchecked.join(','), row] as const] : [])));
  for (const row of unchecked.values()) lines.push(`? ${row.id}${countOthers(status, row)}: ${notChecked(row.unchecked ?? [])}`);
  if (status.lock?.running && status.lock.holder) lines.push(`locked: ${describeHolder(status.lock.holder)} is running (${status.lock.location})`);
  if (status.notifications) lines.push(notificationLine(status.notifications));
  lines.push(`next: ${status.nextAction}`);
  return lines;
}
