/**
 * The migration report's model: a pure function from a journal's events (and optionally a
 * rehearsal journal's, and what is known of the runbook) to one plain, JSON-serialisable
 * object that the HTML, Markdown and terminal renderings draw from. No I/O, no clock: the
 * caller passes `generatedAt` / `now`.
 *
 * Secrets: the journal is masked when it is written (`***`), and nothing here unmasks
 * anything; titles from the runbook should be masked by the caller (the CLI masks the whole
 * model with the runbook's masker once more, as defence in depth).
 */
import { watchMetricSeries } from './watch-metrics.js';
import type { WatchMetricSeries } from './watch-metrics.js';
import type { JournalEvent, RehearsalPhases, RehearsalVerdict, StepPhase, TrafficLeft } from '../journal/events.js';
import { hashLine, serializeEvent } from '../journal/line.js';
import { replay } from '../journal/replay.js';
import type { StepState } from '../journal/replay.js';
import type { Step } from '../runbook/types.js';
import { describeAction } from '../runbook/describe.js';

export const REPORT_MODEL_VERSION = 1;

// ---------------------------------------------------------------------------------------
// Input

export interface ReportRunbookInfo {
  name: string;
  description?: string;
  file?: string;
  /** sha256 of the runbook file's bytes, as `sha256:<hex>`. */
  fileDigest?: string;
  /** The steps in runbook order, with their current digests (from a load or the outline cache). */
  steps?: { id: string; title?: string; digest?: string; group?: { id: string; item: string }; unresolved?: string[] }[];
}

export interface ReportInput {
  events: readonly JournalEvent[];
  /** Events of the rehearsal journal (`cutover rehearse`), when there is one. */
  rehearsalEvents?: readonly JournalEvent[];
  runbook?: ReportRunbookInfo;
  /** Where the journals were read from (path or URL), for the reader. */
  journalLocation?: string;
  rehearsalLocation?: string;
  /** ISO time the report was made; recorded as is. */
  generatedAt?: string;
  /** ISO time that counts as "now" for open items (a bake still running); default: the last event. */
  now?: string;
}

// ---------------------------------------------------------------------------------------
// Output

/** What happened overall, from the step states (and the last run's outcome). */
export type ReportOutcome = 'not-started' | 'completed' | 'in-progress' | 'partial' | 'failed' | 'interrupted' | 'rolled-back' | 'rollback-failed';

export type TimelineKind = 'run' | 'step' | 'rollback' | 'bake' | 'watch' | 'approval' | 'decision';

export type TimelineOutcome =
  /** step, rollback, run */
  | 'succeeded'
  | 'failed'
  | 'interrupted'
  | 'skipped'
  /** Started, nothing after it yet (still running, or cutover was killed). */
  | 'unfinished'
  /** run: ended waiting for an approval or a bake. */
  | 'waiting'
  /** bake: passed / still open at `now` / ended early by a rollback or a new run of the step / a watch failed. */
  | 'passed'
  | 'open'
  | 'cut-short'
  | 'watch-failed'
  /** watch */
  | 'ok'
  /** approval, decision */
  | 'recorded';

export interface TimelineItem {
  kind: TimelineKind;
  /** The step, or undefined for runs and decisions about no step. */
  step?: string;
  attempt?: number;
  start: string;
  /** Undefined for points (approval, decision, watch, skip). */
  end?: string;
  /** For open items, `end` is where the chart stops drawing (now or the last event), not an end. */
  open?: boolean;
  durationMs?: number;
  outcome: TimelineOutcome;
  /** Who started it / who recorded it. */
  by: string;
  /** Who ended it, when someone else did (a resume on another machine). */
  endedBy?: string;
  /** One line for people: `run (attempt 2)`, `rollback: operator chose rollback`, `approved: looked at it`. */
  label: string;
  /** The failure reason, the decision's prompt, the watch's summary... */
  detail?: string;
  seq: number;
}

export interface RunItem {
  seq: number;
  command: string;
  by: string;
  startedAt: string;
  finishedAt?: string;
  /** run.finished's outcome; undefined when the run never finished (killed, crashed, or still running). */
  outcome?: string;
  options: Record<string, unknown>;
}

export interface TrafficKey {
  /** Route 53 set identifier, or ELBv2 target group ARN. */
  key: string;
  /** For people: the set identifier, or the target group's name. */
  name: string;
}

export type TrafficPointPhase = 'before' | 'after' | 'restored';

export interface TrafficPoint {
  ts: string;
  seq: number;
  step: string;
  attempt?: number;
  by: string;
  /** before: captured just before the step changed it; after: what the step left; restored: what its rollback left. */
  phase: TrafficPointPhase;
  /** The step's success was recovered on resume (the change had been sent before cutover stopped). */
  recovered?: boolean;
  weights: Record<string, number>;
  /** Percent of traffic per key (weight / sum * 100); null for every key when all weights are 0 on ELBv2. */
  shares: Record<string, number | null>;
  /** Every weight is 0 (Route 53 then answers every set equally, which is what `shares` shows). */
  allZero?: boolean;
}

export interface TrafficSeries {
  target: string;
  kind: 'route53' | 'elbv2';
  label: string;
  keys: TrafficKey[];
  steps: string[];
  points: TrafficPoint[];
}

export type FailureKind = 'step' | 'rollback' | 'interrupted' | 'watch';

export interface FailureItem {
  kind: FailureKind;
  step: string;
  attempt?: number;
  ts: string;
  by: string;
  phase?: StepPhase | 'drift' | 'rollback-action' | 'rollback-verify';
  reason: string;
  exitCode?: number;
  timedOut?: boolean;
  signal?: string;
  /** The last lines of output, as journaled (already masked). */
  tail: string[];
  /** What came next for this step: the operator's choices and the next attempt, if any. */
  decisions: { ts: string; by: string; choice: string }[];
  next?: {
    what: 'retried' | 'rolled-back' | 'skipped' | 'recovered' | 'marked-done' | 'approved';
    ts: string;
    by: string;
    attempt?: number;
    outcome?: TimelineOutcome;
  };
  seq: number;
}

export interface DecisionItem {
  seq: number;
  ts: string;
  by: string;
  step?: string;
  attempt?: number;
  prompt: string;
  choice: string;
  note?: string;
}

export interface ApprovalItem {
  seq: number;
  ts: string;
  by: string;
  step: string;
  digest: string;
  note?: string;
  expiresAt?: string;
  /** An attempt of the step with the approved digest consumed it (an approval authorises one attempt). */
  used: boolean;
  usedBy?: { attempt: number; seq: number; ts: string };
  /** A rollback started before it was used: it no longer counts. */
  revokedBy?: { seq: number; ts: string; step?: string };
}

export interface RehearsalEvidence {
  step: string;
  ts: string;
  by: string;
  digest: string;
  verdict: RehearsalVerdict;
  phases: RehearsalPhases;
  reason?: string;
  /**
   * same: the rehearsed digest is the one the step ran with in this journal (or, if it has not
   * run, the runbook's current one); different: it is not; unknown: nothing to compare with.
   */
  definition: 'same' | 'different' | 'unknown';
  /** Rehearsals of this step in the rehearsal journal, oldest first. */
  history: { ts: string; by: string; digest: string; verdict: RehearsalVerdict }[];
}

export interface StepSummary {
  id: string;
  title?: string;
  inRunbook: boolean;
  inJournal: boolean;
  state: StepState;
  /** How many times it was started (step.started), over every run. */
  attempts: number;
  /** The digest it last ran with, and the runbook's current one. */
  digest?: string;
  currentDigest?: string;
  /** Ran with another definition than the runbook's current one. */
  changed: boolean;
  /** The vars without a value its current definition uses: whether it changed is not known. */
  unchecked?: string[];
  /** One line: what the step does (`route53 app.example.com. A in Z...: onprem=90, aws=10`), from its journaled definition. */
  action?: string;
  actionKind?: Step['action']['kind'];
  /** `rollback: none` reason. */
  irreversible?: string;
  bakeMs?: number;
  firstStartedAt?: string;
  finishedAt?: string;
  /** Duration of its last run. */
  durationMs?: number;
  /** Time spent in all its runs and rollbacks. */
  busyMs: number;
  operators: string[];
  failures: number;
  rollbacks: number;
  /** Succeeded at the first attempt; never failed, interrupted or rolled back; no failed watch. */
  clean: boolean;
  rehearsal?: RehearsalEvidence;
  /** Steps of a group: the group and the item (from the runbook). */
  group?: { id: string; item: string };
}

/** One item of a group: its steps, in runbook order, and how many are done (succeeded or skipped). */
export interface ReportItem {
  group: string;
  item: string;
  steps: string[];
  done: number;
  total: number;
  /** The item's steps' states, worst first (failed, rolled back...); `succeeded` when all are done. */
  state: StepState;
}

export interface ReportTotals {
  startedAt?: string;
  endedAt?: string;
  /** From the first to the last event (or to the end of a bake still open at `now`). */
  durationMs: number;
  /** Time during which a step or a rollback was running (overlaps counted once). */
  busyMs: number;
  steps: number;
  byState: Partial<Record<StepState, number>>;
  /** Steps without incident: see StepSummary.clean. */
  cleanSteps: number;
  stepRuns: number;
  /** Step runs after the first, over all steps. */
  retries: number;
  /** step.failed events. */
  failures: number;
  interruptions: number;
  rollbacks: number;
  rollbacksFailed: number;
  watchesFailed: number;
  decisions: number;
  approvals: number;
  /** Traffic changes applied (after points), and restored by rollbacks. */
  trafficChanges: number;
  trafficRestores: number;
  runs: number;
  operators: string[];
}

/** A delivery to a `notify:` webhook (notify.sent / notify.failed); the URL is never journaled. */
export interface NotificationItem {
  seq: number;
  ts: string;
  /** Its name, or its position in notify: (#1, #2...). */
  webhook: string;
  event: string;
  step?: string;
  sent: boolean;
  attempts: number;
  status?: number;
  reason?: string;
}

export interface ReportModel {
  version: typeof REPORT_MODEL_VERSION;
  generatedAt?: string;
  runbook: {
    name: string;
    description?: string;
    file?: string;
    fileDigest?: string;
    /** sha256 over the ordered step ids and digests: changes whenever a step's definition does. */
    definitionDigest?: string;
  };
  journal: {
    location?: string;
    events: number;
    lastSeq: number;
    /** sha256 of the last line: the chain head, which a later journal must extend. */
    head?: string;
    firstTs?: string;
    lastTs?: string;
    repairs: { seq: number; ts: string; line: number; droppedBytes: number }[];
  };
  outcome: ReportOutcome;
  /** The last run's outcome as journaled (`completed`, `waiting_approval`...). */
  lastRunOutcome?: string;
  totals: ReportTotals;
  /** Lane order for the timeline: runbook order, then steps only the journal knows. */
  steps: StepSummary[];
  /** Runbooks with groups: progress per item of each group, in runbook order. */
  items?: ReportItem[];
  runs: RunItem[];
  timeline: TimelineItem[];
  traffic: TrafficSeries[];
  /** Values of metric watches over the bake windows (check.observed, phase watch). */
  watchMetrics: WatchMetricSeries[];
  failures: FailureItem[];
  decisions: DecisionItem[];
  approvals: ApprovalItem[];
  rehearsal?: {
    location?: string;
    events: number;
    firstTs?: string;
    lastTs?: string;
    /** Newest rehearsal per step, runbook order. */
    steps: RehearsalEvidence[];
  };
  /** S3 journals: expired leases taken over (their holder was killed or cut off). */
  lockTakeovers: { seq: number; ts: string; by: string; lock: string; previousHolder?: string; expiredAt: string }[];
  /** Things the reader should know (a torn line cut off, a lease taken over, steps that left the runbook, ...). */
  notes: string[];
  /** Webhook deliveries, oldest first; absent when the journal has none. */
  notifications?: NotificationItem[];
}

// ---------------------------------------------------------------------------------------

interface OpenSpan {
  start: JournalEvent;
  attempt?: number;
  definition?: Step;
  digest?: string;
}

/**
 * What the timeline needs per step while it folds the events. The step's state, attempts,
 * digest, definition and durations are not kept here: they come from the one state model
 * (journal/replay.ts), so the report and `status` cannot disagree.
 */
interface StepWork {
  id: string;
  title?: string;
  firstStartedAt?: string;
  busyMs: number;
  operators: Set<string>;
  failures: number;
  interruptions: number;
  rollbacks: number;
  watchFailed: boolean;
  run?: OpenSpan;
  rollback?: OpenSpan;
  bake?: { item: TimelineItem; plannedEnd: number };
  /** Run item closed by step.interrupted: a later recovered success belongs to it. */
  lastRunItem?: TimelineItem;
}

export function buildReportModel(input: ReportInput): ReportModel {
  const events = input.events;
  const first = events[0];
  const last = events.at(-1);
  const nowMs = input.now !== undefined ? Date.parse(input.now) : last ? Date.parse(last.ts) : 0;
  const journalRunbook = events.find((e) => e.type === 'journal.created');
  const name = input.runbook?.name ?? (journalRunbook?.type === 'journal.created' ? journalRunbook.data.runbook : 'unknown');

  const replayed = replay(events);
  const steps = new Map<string, StepWork>();
  const work = (id: string): StepWork => {
    let found = steps.get(id);
    if (!found) {
      found = { id, busyMs: 0, operators: new Set(), failures: 0, interruptions: 0, rollbacks: 0, watchFailed: false };
      steps.set(id, found);
    }
    return found;
  };
  for (const step of input.runbook?.steps ?? []) work(step.id).title = step.title;

  const timeline: TimelineItem[] = [];
  const runs: RunItem[] = [];
  const decisions: DecisionItem[] = [];
  const approvals: ApprovalItem[] = [];
  const failures: FailureItem[] = [];
  const repairs: ReportModel['journal']['repairs'] = [];
  const lockTakeovers: ReportModel['lockTakeovers'] = [];
  const traffic = new Map<string, TrafficSeries>();
  const notes: string[] = [];
  let openRun: { run: RunItem; item: TimelineItem } | undefined;
  let previousTs = first?.ts;

  const closeRun = (ts: string, outcome: string | undefined, endedBy?: string) => {
    if (!openRun) return;
    const { run, item } = openRun;
    run.finishedAt = ts;
    if (outcome !== undefined) run.outcome = outcome;
    item.end = ts;
    item.durationMs = span(item.start, ts);
    item.outcome = outcome === undefined ? 'unfinished' : runOutcome(outcome);
    item.label = `${run.command}${outcome ? `: ${outcome.replace(/_/g, ' ')}` : ' (no run.finished: cutover stopped)'}`;
    if (endedBy !== undefined && endedBy !== run.by) item.endedBy = endedBy;
    openRun = undefined;
  };

  /** `event`: the outcome, or where the chart ends a run that has none. */
  const closeStepRun = (step: StepWork, event: Pick<JournalEvent, 'ts' | 'by'>, outcome: TimelineOutcome, detail?: string, durationMs?: number) => {
    const open = step.run;
    if (!open) return undefined;
    step.run = undefined;
    const measured = durationMs ?? span(open.start.ts, event.ts);
    const item: TimelineItem = {
      kind: 'step',
      step: step.id,
      attempt: open.attempt,
      start: open.start.ts,
      end: event.ts,
      durationMs: measured,
      outcome,
      by: open.start.by,
      ...(event.by !== open.start.by ? { endedBy: event.by } : {}),
      label: `run${open.attempt !== undefined ? ` (attempt ${open.attempt})` : ''}: ${outcome}`,
      ...(detail !== undefined ? { detail } : {}),
      seq: open.start.seq,
    };
    step.busyMs += span(open.start.ts, event.ts);
    timeline.push(item);
    step.lastRunItem = item;
    return item;
  };

  const closeRollback = (step: StepWork, event: Pick<JournalEvent, 'ts' | 'by'>, outcome: TimelineOutcome, detail?: string) => {
    const open = step.rollback;
    if (!open) return;
    step.rollback = undefined;
    const reason = open.start.type === 'rollback.started' ? open.start.data.reason : '';
    timeline.push({
      kind: 'rollback',
      step: step.id,
      attempt: open.attempt,
      start: open.start.ts,
      end: event.ts,
      durationMs: span(open.start.ts, event.ts),
      outcome,
      by: open.start.by,
      ...(event.by !== open.start.by ? { endedBy: event.by } : {}),
      label: `rollback: ${outcome}${reason ? ` (${reason})` : ''}`,
      ...(detail !== undefined ? { detail } : {}),
      seq: open.start.seq,
    });
    step.busyMs += span(open.start.ts, event.ts);
  };

  /** A bake ends early when the step is rolled back or run again before it passed. */
  const cutBake = (step: StepWork, event: JournalEvent) => {
    const bake = step.bake;
    if (!bake) return;
    step.bake = undefined;
    if (Date.parse(event.ts) < bake.plannedEnd) {
      bake.item.end = event.ts;
      bake.item.durationMs = span(bake.item.start, event.ts);
      bake.item.open = false;
      if (bake.item.outcome !== 'watch-failed') bake.item.outcome = 'cut-short';
      bake.item.label = `bake: ended early by ${event.type === 'rollback.started' ? 'a rollback' : 'a new run'}`;
    }
  };

  const addTraffic = (
    event: JournalEvent,
    left: { target: string; label: string; weights: Record<string, number> },
    phase: TrafficPointPhase,
    kind?: 'route53' | 'elbv2',
    names?: Record<string, string>,
    recovered?: boolean,
  ) => {
    const targetKind = kind ?? (left.target.startsWith('elbv2:') ? 'elbv2' : 'route53');
    let series = traffic.get(left.target);
    if (!series) {
      series = { target: left.target, kind: targetKind, label: left.label, keys: [], steps: [], points: [] };
      traffic.set(left.target, series);
    }
    for (const key of Object.keys(left.weights)) {
      const name = names?.[key] ?? readableKey(key);
      const known = series.keys.find((k) => k.key === key);
      if (!known) series.keys.push({ key, name });
      else if (names?.[key]) known.name = names[key];
    }
    if (event.step !== undefined && !series.steps.includes(event.step)) series.steps.push(event.step);
    const sum = Object.values(left.weights).reduce((a, b) => a + b, 0);
    const count = Object.keys(left.weights).length;
    const allZero = sum === 0;
    const shares: Record<string, number | null> = {};
    for (const [key, weight] of Object.entries(left.weights)) {
      // Route 53 answers all sets equally when every weight is 0; an ELBv2 forward needs a non-zero weight.
      shares[key] = allZero ? (targetKind === 'route53' && count > 0 ? 100 / count : null) : (weight / sum) * 100;
    }
    series.points.push({
      ts: event.ts,
      seq: event.seq,
      step: event.step ?? '',
      ...(event.attempt !== undefined ? { attempt: event.attempt } : {}),
      by: event.by,
      phase,
      ...(recovered ? { recovered: true } : {}),
      weights: { ...left.weights },
      shares,
      ...(allZero ? { allZero: true } : {}),
    });
  };

  for (const event of events) {
    // Where a command that stopped without a word ended: its last event. A lease takeover or
    // a repair is written by the next command, before its run.started.
    const gapEnd = previousTs;
    if (event.type !== 'lock.takeover' && event.type !== 'journal.repaired') previousTs = event.ts;
    switch (event.type) {
      case 'journal.created':
      case 'step.spawned':
      case 'rehearsal.step':
        continue;
      case 'journal.repaired':
        repairs.push({ seq: event.seq, ts: event.ts, line: event.data.line, droppedBytes: event.data.droppedBytes });
        notes.push(
          `Line ${event.data.line} of the journal was cut off mid-write by a crash (${event.data.droppedBytes} bytes) and removed at ${event.ts}; the events before it are intact.`,
        );
        continue;
      case 'lock.takeover': {
        const held = event.data.previousHolder;
        const previousHolder = held
          ? `${held.user}@${held.host}${held.ci ? ` (${held.ci})` : ''}, pid ${held.pid}, ${held.command} since ${held.since}`
          : undefined;
        lockTakeovers.push({
          seq: event.seq,
          ts: event.ts,
          by: event.by,
          lock: event.data.lock,
          ...(previousHolder ? { previousHolder } : {}),
          expiredAt: event.data.expiredAt,
        });
        notes.push(
          event.data.why === 'holder-gone'
            ? `At ${event.ts} ${event.by} took over the lease of the journal${previousHolder ? ` held by ${previousHolder}` : ''}: that process was no longer running on the same machine (its lease would have run until ${event.data.expiredAt}).`
            : `At ${event.ts} ${event.by} took over the expired lease of the journal${previousHolder ? ` held by ${previousHolder}` : ''} (expired at ${event.data.expiredAt}): that command stopped renewing it (killed, or cut off from S3).`,
        );
        continue;
      }
      case 'run.started': {
        // Only one command holds the lock: whatever is still open belongs to a cutover that
        // stopped (killed, crashed) somewhere after the last event before this one.
        if (gapEnd !== undefined) {
          closeRun(gapEnd, undefined);
          for (const step of steps.values()) {
            if (step.run) {
              closeStepRun(step, { ts: gapEnd, by: step.run.start.by }, 'interrupted', 'cutover stopped while the step ran (no outcome journaled)');
            }
            if (step.rollback)
              closeRollback(step, { ts: gapEnd, by: step.rollback.start.by }, 'interrupted', 'cutover stopped during the rollback (no outcome journaled)');
          }
        }
        const run: RunItem = { seq: event.seq, command: event.data.command, by: event.by, startedAt: event.ts, options: event.data.options };
        runs.push(run);
        const item: TimelineItem = { kind: 'run', start: event.ts, outcome: 'unfinished', by: event.by, label: event.data.command, seq: event.seq };
        timeline.push(item);
        openRun = { run, item };
        continue;
      }
      case 'run.finished':
        closeRun(event.ts, event.data.outcome, event.by);
        continue;
      case 'decision':
        decisions.push({
          seq: event.seq,
          ts: event.ts,
          by: event.by,
          step: event.step,
          attempt: event.attempt,
          prompt: event.data.prompt,
          choice: event.data.choice,
          note: event.data.note,
        });
        timeline.push({
          kind: 'decision',
          ...(event.step !== undefined ? { step: event.step } : {}),
          ...(event.attempt !== undefined ? { attempt: event.attempt } : {}),
          start: event.ts,
          outcome: 'recorded',
          by: event.by,
          label: `decision: ${event.data.choice}`,
          detail: event.data.note ? `${event.data.prompt} (${event.data.note})` : event.data.prompt,
          seq: event.seq,
        });
        if (event.step !== undefined) work(event.step).operators.add(event.by);
        continue;
      case 'changes.accepted': {
        const prompt = `definition changed since it ran (${event.data.digestBefore || 'none'} -> ${event.data.digestAfter})`;
        decisions.push({ seq: event.seq, ts: event.ts, by: event.by, step: event.step, prompt, choice: 'accept changes' });
        timeline.push({
          kind: 'decision',
          ...(event.step !== undefined ? { step: event.step } : {}),
          start: event.ts,
          outcome: 'recorded',
          by: event.by,
          label: 'decision: accept changes',
          detail: prompt,
          seq: event.seq,
        });
        continue;
      }
      default:
        break;
    }
    if (event.step === undefined) continue;
    const step = work(event.step);
    switch (event.type) {
      case 'step.started':
        cutBake(step, event);
        // A start while a run is open: the earlier one was found unfinished without a record of it.
        if (step.run) closeStepRun(step, event, 'unfinished', 'no outcome journaled before the next start');
        step.run = { start: event, attempt: event.attempt, definition: event.data.definition, digest: event.data.digest };
        step.firstStartedAt ??= event.ts;
        step.operators.add(event.by);
        continue;
      case 'step.captured':
        addTraffic(event, event.data, 'before', event.data.kind, event.data.names);
        continue;
      case 'step.succeeded': {
        const data = event.data;
        const note = data.recovered ? 'recovered on resume: its verify passed' : data.markedDone ? 'marked done by the operator' : undefined;
        let item = closeStepRun(step, event, 'succeeded', note, data.recovered || data.markedDone ? undefined : data.durationMs);
        if (!item) {
          // A recovered / marked-done success after the run was closed as interrupted: a point.
          item = {
            kind: 'step',
            step: step.id,
            attempt: event.attempt,
            start: event.ts,
            end: event.ts,
            durationMs: 0,
            outcome: 'succeeded',
            by: event.by,
            label: `run${event.attempt !== undefined ? ` (attempt ${event.attempt})` : ''}: ${note ?? 'succeeded'}`,
            ...(note ? { detail: note } : {}),
            seq: event.seq,
          };
          timeline.push(item);
        }
        step.operators.add(event.by);
        if (data.traffic) addTraffic(event, data.traffic as TrafficLeft, 'after', undefined, undefined, data.recovered === true);
        const bakeMs = replayed.steps.get(step.id)?.definition?.bakeMs;
        if (bakeMs !== undefined && bakeMs > 0) {
          const plannedEnd = Date.parse(event.ts) + bakeMs;
          const isOpen = plannedEnd > nowMs;
          const bake: TimelineItem = {
            kind: 'bake',
            step: step.id,
            attempt: event.attempt,
            start: event.ts,
            end: new Date(plannedEnd).toISOString(),
            durationMs: bakeMs,
            outcome: isOpen ? 'open' : 'passed',
            ...(isOpen ? { open: true } : {}),
            by: event.by,
            label: isOpen ? 'bake: still open' : 'bake: passed',
            seq: event.seq,
          };
          timeline.push(bake);
          step.bake = { item: bake, plannedEnd };
        }
        continue;
      }
      case 'step.failed': {
        const data = event.data;
        closeStepRun(step, event, 'failed', data.reason);
        step.failures += 1;
        step.operators.add(event.by);
        failures.push({
          kind: 'step',
          step: step.id,
          attempt: event.attempt,
          ts: event.ts,
          by: event.by,
          phase: data.phase,
          reason: data.reason,
          ...(data.exitCode !== undefined ? { exitCode: data.exitCode } : {}),
          ...(data.timedOut ? { timedOut: true } : {}),
          tail: data.tail ?? [],
          decisions: [],
          seq: event.seq,
        });
        continue;
      }
      case 'step.interrupted': {
        const data = event.data;
        step.interruptions += 1;
        step.operators.add(event.by);
        failures.push({
          kind: 'interrupted',
          step: step.id,
          attempt: event.attempt,
          ts: event.ts,
          by: event.by,
          reason: data.reason,
          ...(data.signal ? { signal: data.signal } : {}),
          tail: [],
          decisions: [],
          seq: event.seq,
        });
        // An interrupted rollback leaves the step rolling-back: the rollback is what is unfinished.
        if (step.rollback) closeRollback(step, event, 'interrupted', data.reason);
        else closeStepRun(step, event, 'interrupted', data.reason);
        continue;
      }
      case 'step.skipped':
        closeStepRun(step, event, 'skipped', event.data.reason);
        timeline.push({
          kind: 'step',
          step: step.id,
          attempt: event.attempt,
          start: event.ts,
          outcome: 'skipped',
          by: event.by,
          label: 'skipped',
          detail: event.data.reason,
          seq: event.seq,
        });
        step.operators.add(event.by);
        continue;
      case 'rollback.started':
        cutBake(step, event);
        if (step.rollback) closeRollback(step, event, 'unfinished', 'no outcome journaled before the next rollback');
        step.rollback = { start: event, attempt: event.attempt, digest: event.data.digest };
        step.rollbacks += 1;
        step.operators.add(event.by);
        continue;
      case 'rollback.succeeded':
        closeRollback(step, event, 'succeeded');
        step.operators.add(event.by);
        if (event.data.traffic) addTraffic(event, event.data.traffic, 'restored');
        continue;
      case 'rollback.failed': {
        const data = event.data;
        closeRollback(step, event, 'failed', data.reason);
        step.operators.add(event.by);
        failures.push({
          kind: 'rollback',
          step: step.id,
          attempt: event.attempt,
          ts: event.ts,
          by: event.by,
          phase: data.phase === 'verify' ? 'rollback-verify' : 'rollback-action',
          reason: data.reason,
          ...(data.exitCode !== undefined ? { exitCode: data.exitCode } : {}),
          tail: data.tail ?? [],
          decisions: [],
          seq: event.seq,
        });
        continue;
      }
      case 'approval':
        approvals.push({
          seq: event.seq,
          ts: event.ts,
          by: event.by,
          step: step.id,
          digest: event.data.digest,
          note: event.data.note,
          expiresAt: event.data.expiresAt,
          used: false,
        });
        timeline.push({
          kind: 'approval',
          step: step.id,
          start: event.ts,
          outcome: 'recorded',
          by: event.by,
          label: 'approval',
          detail: [event.data.note, event.data.expiresAt ? `expires ${event.data.expiresAt}` : undefined].filter(Boolean).join('; ') || undefined,
          seq: event.seq,
        });
        step.operators.add(event.by);
        continue;
      case 'bake.watch':
        timeline.push({
          kind: 'watch',
          step: step.id,
          attempt: event.attempt,
          start: event.ts,
          outcome: event.data.ok ? 'ok' : 'failed',
          by: event.by,
          label: `watch: ${event.data.ok ? 'ok' : 'failed'}`,
          detail: event.data.summary,
          seq: event.seq,
        });
        if (!event.data.ok) {
          step.watchFailed = true;
          if (step.bake) {
            step.bake.item.outcome = 'watch-failed';
            step.bake.item.label = 'bake: a watch failed';
          }
          failures.push({
            kind: 'watch',
            step: step.id,
            attempt: event.attempt,
            ts: event.ts,
            by: event.by,
            reason: event.data.summary,
            tail: [],
            decisions: [],
            seq: event.seq,
          });
        }
        continue;
    }
  }

  // Whatever is still open at the end of the journal: drawn up to now.
  const endTs = last?.ts;
  const drawTo = new Date(Math.max(nowMs, endTs ? Date.parse(endTs) : 0)).toISOString();
  if (openRun) {
    openRun.item.end = drawTo;
    openRun.item.open = true;
    openRun.item.label = `${openRun.run.command} (no run.finished yet: still running, or cutover stopped)`;
  }
  for (const step of steps.values()) {
    if (step.run) {
      timeline.push({
        kind: 'step',
        step: step.id,
        attempt: step.run.attempt,
        start: step.run.start.ts,
        end: drawTo,
        open: true,
        outcome: 'unfinished',
        by: step.run.start.by,
        label: 'run: no outcome yet (still running, or cutover stopped)',
        seq: step.run.start.seq,
      });
      step.busyMs += span(step.run.start.ts, drawTo);
    }
    if (step.rollback) {
      timeline.push({
        kind: 'rollback',
        step: step.id,
        attempt: step.rollback.attempt,
        start: step.rollback.start.ts,
        end: drawTo,
        open: true,
        outcome: 'unfinished',
        by: step.rollback.start.by,
        label: 'rollback: no outcome yet (still running, or cutover stopped)',
        seq: step.rollback.start.seq,
      });
      step.busyMs += span(step.rollback.start.ts, drawTo);
    }
  }
  timeline.sort((a, b) => Date.parse(a.start) - Date.parse(b.start) || a.seq - b.seq);

  // What followed each failure (events indexed by step: a journal can hold 100,000 events).
  const byStep = new Map<string, JournalEvent[]>();
  for (const event of events) {
    if (event.step === undefined) continue;
    let list = byStep.get(event.step);
    if (!list) byStep.set(event.step, (list = []));
    list.push(event);
  }
  const itemAt = new Map(timeline.filter((t) => t.kind === 'step' || t.kind === 'rollback').map((t) => [`${t.kind}:${t.seq}`, t]));
  for (const failure of failures) {
    const later = (byStep.get(failure.step) ?? []).filter((e) => e.seq > failure.seq);
    const stop = later.find(
      (e) =>
        e.type === 'step.started' ||
        e.type === 'rollback.started' ||
        e.type === 'step.skipped' ||
        e.type === 'step.succeeded' ||
        (failure.kind === 'watch' && e.type === 'approval'),
    );
    failure.decisions = later
      .filter((e) => e.type === 'decision' && (stop === undefined || e.seq < stop.seq))
      .map((e) => ({ ts: e.ts, by: e.by, choice: e.type === 'decision' ? e.data.choice : '' }));
    if (!stop) continue;
    switch (stop.type) {
      case 'step.started': {
        const item = itemAt.get(`step:${stop.seq}`);
        failure.next = { what: 'retried', ts: stop.ts, by: stop.by, attempt: stop.attempt, ...(item ? { outcome: item.outcome } : {}) };
        break;
      }
      case 'rollback.started': {
        const item = itemAt.get(`rollback:${stop.seq}`);
        failure.next = { what: 'rolled-back', ts: stop.ts, by: stop.by, ...(item ? { outcome: item.outcome } : {}) };
        break;
      }
      case 'step.skipped':
        failure.next = { what: 'skipped', ts: stop.ts, by: stop.by };
        break;
      case 'step.succeeded':
        failure.next = { what: stop.data.markedDone ? 'marked-done' : 'recovered', ts: stop.ts, by: stop.by, outcome: 'succeeded' };
        break;
      case 'approval':
        failure.next = { what: 'approved', ts: stop.ts, by: stop.by };
        break;
      default:
        break;
    }
  }

  for (const approval of approvals) {
    const record = replayed.approvals.find((a) => a.seq === approval.seq);
    approval.used = record?.usedBy !== undefined;
    if (record?.usedBy) approval.usedBy = record.usedBy;
    if (record?.revokedBy) approval.revokedBy = record.revokedBy;
  }

  // Steps: runbook order first, then the journal's others.
  const runbookSteps = input.runbook?.steps;
  const inRunbook = new Set((runbookSteps ?? []).map((s) => s.id));
  // An empty digest is an unknown one (a var without a value: see `unchecked`).
  const current = new Map((runbookSteps ?? []).map((s) => [s.id, s.digest || undefined]));
  const unresolved = new Map((runbookSteps ?? []).flatMap((s) => (s.unresolved?.length ? [[s.id, s.unresolved] as const] : [])));
  const groupOf = new Map((runbookSteps ?? []).flatMap((s) => (s.group ? [[s.id, s.group] as const] : [])));
  const rehearsal = input.rehearsalEvents ? rehearsalEvidence(input.rehearsalEvents, (id) => replayed.steps.get(id)?.digest ?? current.get(id)) : undefined;
  const summaries: StepSummary[] = [...steps.values()].map((step) => {
    const record = replayed.steps.get(step.id);
    const state = record?.state ?? 'pending';
    const attempts = record?.attempts ?? 0;
    const definition = record?.definition;
    const digest = record?.digest;
    const currentDigest = current.get(step.id);
    const clean = state === 'succeeded' && attempts === 1 && step.failures === 0 && step.interruptions === 0 && step.rollbacks === 0 && !step.watchFailed;
    const evidence = rehearsal?.get(step.id);
    return {
      id: step.id,
      ...((step.title ?? definition?.title) ? { title: step.title ?? definition?.title } : {}),
      inRunbook: runbookSteps ? inRunbook.has(step.id) : true,
      inJournal: state !== 'pending' || step.operators.size > 0,
      state,
      attempts,
      ...(digest ? { digest } : {}),
      ...(currentDigest ? { currentDigest } : {}),
      changed: digest !== undefined && currentDigest !== undefined && digest !== currentDigest,
      ...(unresolved.has(step.id) && digest !== undefined ? { unchecked: unresolved.get(step.id) } : {}),
      ...(definition ? { action: oneLine(describeAction(definition.action)), actionKind: definition.action.kind } : {}),
      ...(definition?.rollback.kind === 'none' ? { irreversible: definition.rollback.reason } : {}),
      ...(definition?.bakeMs !== undefined ? { bakeMs: definition.bakeMs } : {}),
      ...(step.firstStartedAt ? { firstStartedAt: step.firstStartedAt } : {}),
      ...(record?.finishedAt ? { finishedAt: record.finishedAt } : {}),
      ...(record?.durationMs !== undefined ? { durationMs: record.durationMs } : {}),
      busyMs: step.busyMs,
      operators: [...step.operators],
      failures: step.failures,
      rollbacks: step.rollbacks,
      clean,
      ...(evidence ? { rehearsal: evidence } : {}),
      ...(groupOf.has(step.id) ? { group: groupOf.get(step.id) } : {}),
    };
  });
  const sortedSteps = runbookSteps ? [...summaries.filter((s) => s.inRunbook), ...summaries.filter((s) => !s.inRunbook)] : summaries;
  for (const step of sortedSteps) {
    if (!step.inRunbook) notes.push(`Step ${step.id} is in the journal but no longer in the runbook (it still matters for a rollback).`);
  }

  const byState: Partial<Record<StepState, number>> = {};
  for (const step of sortedSteps.filter((s) => s.inRunbook)) byState[step.state] = (byState[step.state] ?? 0) + 1;
  const trafficSeries = [...traffic.values()];
  const operators = [...new Set(events.filter((e) => e.type !== 'journal.created').map((e) => e.by))];
  const timed = timeline.flatMap((t) => [Date.parse(t.start), ...(t.end ? [Date.parse(t.end)] : [])]);
  const startMs = first ? Date.parse(first.ts) : undefined;
  const endMs = timed.length > 0 ? Math.max(...timed, endTs ? Date.parse(endTs) : 0) : endTs ? Date.parse(endTs) : undefined;
  const lastRun = runs.at(-1);

  const totals: ReportTotals = {
    ...(first ? { startedAt: first.ts } : {}),
    ...(endMs !== undefined ? { endedAt: new Date(endMs).toISOString() } : {}),
    durationMs: startMs !== undefined && endMs !== undefined ? Math.max(0, endMs - startMs) : 0,
    busyMs: unionMs(
      timeline
        .filter((t) => (t.kind === 'step' || t.kind === 'rollback') && t.end !== undefined)
        .map((t) => [Date.parse(t.start), Date.parse(t.end as string)]),
    ),
    steps: runbookSteps ? runbookSteps.length : sortedSteps.length,
    byState,
    cleanSteps: sortedSteps.filter((s) => s.clean && s.inRunbook).length,
    stepRuns: sortedSteps.reduce((n, s) => n + s.attempts, 0),
    retries: sortedSteps.reduce((n, s) => n + Math.max(0, s.attempts - 1), 0),
    failures: failures.filter((f) => f.kind === 'step').length,
    interruptions: failures.filter((f) => f.kind === 'interrupted').length,
    rollbacks: sortedSteps.reduce((n, s) => n + s.rollbacks, 0),
    rollbacksFailed: failures.filter((f) => f.kind === 'rollback').length,
    watchesFailed: failures.filter((f) => f.kind === 'watch').length,
    decisions: decisions.length,
    approvals: approvals.length,
    trafficChanges: trafficSeries.reduce((n, s) => n + s.points.filter((p) => p.phase === 'after').length, 0),
    trafficRestores: trafficSeries.reduce((n, s) => n + s.points.filter((p) => p.phase === 'restored').length, 0),
    runs: runs.length,
    operators,
  };

  const rehearsalEvents = input.rehearsalEvents;
  const head = chainHead(events);
  const notifications = notificationItems(events);
  return {
    version: REPORT_MODEL_VERSION,
    ...(input.generatedAt !== undefined ? { generatedAt: input.generatedAt } : {}),
    runbook: {
      name,
      ...(input.runbook?.description !== undefined ? { description: input.runbook.description } : {}),
      ...(input.runbook?.file !== undefined ? { file: input.runbook.file } : {}),
      ...(input.runbook?.fileDigest !== undefined ? { fileDigest: input.runbook.fileDigest } : {}),
      ...(runbookSteps && runbookSteps.every((s) => s.digest !== undefined)
        ? { definitionDigest: definitionDigest(runbookSteps as { id: string; digest: string }[]) }
        : {}),
    },
    journal: {
      ...(input.journalLocation !== undefined ? { location: input.journalLocation } : {}),
      events: events.length,
      lastSeq: last?.seq ?? 0,
      ...(head !== undefined ? { head } : {}),
      ...(first ? { firstTs: first.ts } : {}),
      ...(last ? { lastTs: last.ts } : {}),
      repairs,
    },
    outcome: overallOutcome(
      sortedSteps.filter((s) => s.inRunbook || s.state !== 'pending'),
      events.length > 0,
    ),
    ...(lastRun?.outcome !== undefined ? { lastRunOutcome: lastRun.outcome } : {}),
    totals,
    steps: sortedSteps,
    ...(groupOf.size > 0 ? { items: itemsOf(sortedSteps) } : {}),
    runs,
    timeline,
    traffic: trafficSeries,
    watchMetrics: watchMetricSeries(events, (stepId, attempt) => {
      const bake = timeline.find((t) => t.kind === 'bake' && t.step === stepId && t.attempt === attempt);
      return bake ? { start: bake.start, ...(bake.end !== undefined ? { end: bake.end } : {}) } : undefined;
    }),
    failures,
    decisions,
    approvals,
    ...(rehearsalEvents
      ? {
          rehearsal: {
            ...(input.rehearsalLocation !== undefined ? { location: input.rehearsalLocation } : {}),
            events: rehearsalEvents.length,
            ...(rehearsalEvents[0] ? { firstTs: rehearsalEvents[0].ts } : {}),
            ...(rehearsalEvents.at(-1) ? { lastTs: rehearsalEvents.at(-1)?.ts } : {}),
            steps: sortedSteps.flatMap((s) => (s.rehearsal ? [s.rehearsal] : [])),
          },
        }
      : {}),
    lockTakeovers,
    notes,
    ...(notifications.length > 0 ? { notifications } : {}),
  };
}

function notificationItems(events: readonly JournalEvent[]): NotificationItem[] {
  return events.flatMap((event): NotificationItem[] => {
    if (event.type !== 'notify.sent' && event.type !== 'notify.failed') return [];
    const { webhook, name, event: what, step, attempts } = event.data;
    const sent = event.type === 'notify.sent';
    const status = event.data.status;
    return [
      {
        seq: event.seq,
        ts: event.ts,
        webhook: name ?? `#${webhook}`,
        event: what,
        ...(step !== undefined ? { step } : {}),
        sent,
        attempts,
        ...(status !== undefined ? { status } : {}),
        ...(event.type === 'notify.failed' ? { reason: event.data.reason } : {}),
      },
    ];
  });
}

const ITEM_STATE_ORDER: StepState[] = ['rollback-failed', 'failed', 'interrupted', 'rolling-back', 'running', 'rolled-back', 'pending', 'skipped', 'succeeded'];

function itemsOf(steps: readonly StepSummary[]): ReportItem[] {
  const items = new Map<string, ReportItem & { states: StepState[] }>();
  for (const step of steps) {
    if (!step.group || !step.inRunbook) continue;
    const key = `${step.group.id}\u0000${step.group.item}`;
    const item = items.get(key) ?? { group: step.group.id, item: step.group.item, steps: [], done: 0, total: 0, state: 'pending', states: [] };
    item.steps.push(step.id);
    item.total++;
    if (step.state === 'succeeded' || step.state === 'skipped') item.done++;
    item.states.push(step.state);
    items.set(key, item);
  }
  return [...items.values()].map(({ states, ...item }) => {
    const worst = ITEM_STATE_ORDER.find((state) => states.includes(state) && state !== 'pending' && state !== 'skipped' && state !== 'succeeded');
    const state: StepState = worst ?? (item.done === item.total ? 'succeeded' : 'pending');
    return { ...item, state };
  });
}

/** Newest rehearsal.step per step, compared with the digest the step ran with (or has now). */
function rehearsalEvidence(events: readonly JournalEvent[], digestOf: (step: string) => string | undefined): Map<string, RehearsalEvidence> {
  const result = new Map<string, RehearsalEvidence>();
  for (const event of events) {
    if (event.type !== 'rehearsal.step' || event.step === undefined) continue;
    const history = [...(result.get(event.step)?.history ?? []), { ts: event.ts, by: event.by, digest: event.data.digest, verdict: event.data.verdict }];
    const digest = digestOf(event.step);
    result.set(event.step, {
      step: event.step,
      ts: event.ts,
      by: event.by,
      digest: event.data.digest,
      verdict: event.data.verdict,
      phases: event.data.phases,
      ...(event.data.reason !== undefined ? { reason: event.data.reason } : {}),
      definition: digest === undefined ? 'unknown' : digest === event.data.digest ? 'same' : 'different',
      history,
    });
  }
  return result;
}

function overallOutcome(steps: StepSummary[], any: boolean): ReportOutcome {
  if (!any || steps.every((s) => s.state === 'pending')) return 'not-started';
  const has = (state: StepState) => steps.some((s) => s.state === state);
  if (has('rollback-failed')) return 'rollback-failed';
  if (has('failed')) return 'failed';
  if (has('running') || has('rolling-back')) return 'in-progress';
  if (has('interrupted')) return 'interrupted';
  if (steps.every((s) => s.state === 'succeeded' || s.state === 'skipped')) return 'completed';
  if (has('rolled-back') && !has('succeeded')) return 'rolled-back';
  return 'partial';
}

/** run.finished's outcome (engine/outcome.ts) as a timeline outcome. */
function runOutcome(outcome: string): TimelineOutcome {
  if (outcome.startsWith('waiting')) return 'waiting';
  if (outcome === 'interrupted') return 'interrupted';
  if (/fail|refused|stopped_at_irreversible/.test(outcome)) return 'failed';
  return 'succeeded';
}

function span(from: string, to: string): number {
  return Math.max(0, Date.parse(to) - Date.parse(from));
}

function unionMs(intervals: [number, number][]): number {
  const sorted = intervals.filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b)).sort((x, y) => x[0] - y[0]);
  let total = 0;
  let current: [number, number] | undefined;
  for (const [a, b] of sorted) {
    if (current && a <= current[1]) current[1] = Math.max(current[1], b);
    else {
      if (current) total += current[1] - current[0];
      current = [a, b];
    }
  }
  if (current) total += current[1] - current[0];
  return total;
}

/** How an approval was used, for people: `by attempt 2 at ...`, `revoked by a rollback of dns-25 at ...`, `not (yet)`. */
export function approvalUse(approval: Pick<ApprovalItem, 'usedBy' | 'revokedBy'>, time: (iso: string) => string): string {
  if (approval.usedBy) return `used by attempt ${approval.usedBy.attempt} at ${time(approval.usedBy.ts)}`;
  if (approval.revokedBy)
    return `revoked by ${approval.revokedBy.step ? `the rollback of ${approval.revokedBy.step}` : 'a rollback'} at ${time(approval.revokedBy.ts)}`;
  return 'not (yet)';
}

/** `arn:aws:elasticloadbalancing:...:targetgroup/aws/2453ed029918f21f` -> `aws`. */
export function readableKey(key: string): string {
  const match = /:targetgroup\/([^/]+)\//.exec(key);
  return match?.[1] ?? key;
}

function oneLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const first = lines[0] ?? '';
  return lines.length > 1 ? `${first} …` : first;
}

function definitionDigest(steps: { id: string; digest: string }[]): string {
  return `sha256:${hashLine(steps.map((s) => `${s.id} ${s.digest}`).join('\n'))}`;
}

/**
 * The hash of the last line, when the events serialise back to the exact lines they were read
 * from (checked on the line before: its hash must be the last line's `prev`).
 */
function chainHead(events: readonly JournalEvent[]): string | undefined {
  const last = events.at(-1);
  if (!last) return undefined;
  const before = events.at(-2);
  if (before && hashLine(serializeEvent(before)) !== last.prev) return undefined;
  return hashLine(serializeEvent(last));
}
