/**
 * The migration's state model: one pure fold from journal events to the state of every
 * step (state, attempts, captures, what it may have left applied, bake windows, watches),
 * what each traffic target was last left at, and the approvals and whether an attempt used
 * them. Every command reads this (status, plan, run --dry-run, report, the engine); the
 * "what happens next" decision built on it is engine/next.ts.
 *
 * Single-pass (one Map lookup per event), so a journal of 100,000 events replays in
 * milliseconds. A step left `running` (started, no outcome) is what a crash leaves behind:
 * replay reports it as it is; only the engine, holding the lock, may conclude it was
 * interrupted.
 */
import type { JournalEvent, StepPhase, TrafficLeft, TrafficSnapshotData } from './events.js';
import type { Step } from '../runbook/types.js';

export type StepState = 'pending' | 'running' | 'succeeded' | 'failed' | 'interrupted' | 'skipped' | 'rolling-back' | 'rolled-back' | 'rollback-failed';

/** Done for `run`: never runs again. A rolled-back step is not done, so `run` does it again. */
export function isDone(state: StepState): boolean {
  return state === 'succeeded' || state === 'skipped';
}

export interface SpawnedChild {
  pid: number;
  pgid: number;
  host: string;
  phase: StepPhase | 'rollback';
}

/**
 * What a step's runs may have left applied, since its last successful rollback:
 * none: nothing ran (never started, skipped before running, failed its precheck or drift guard);
 * applied: it succeeded; unknown: it started and did not succeed (failed in its action or
 * verify, interrupted, still running), so it may have changed something.
 */
export type StepEffect = 'none' | 'applied' | 'unknown';

/** The newest state of a traffic target the journal knows (see `trafficNote`). */
export interface TargetExpectation {
  left: TrafficLeft;
  /** For messages: which step (or rollback) left it. */
  by: string;
  /** The step (or rollback) whose event this is. */
  step?: string;
  /**
   * A step captured the target and then ended without saying what it left (the change
   * failed, or the process died): its change may or may not have gone through, so its
   * intended weights are as expected as `left`.
   */
  unconfirmed?: { by: string; step?: string; weights: Record<string, number> };
  /** Earlier unconfirmed changes still possible (a step that died after its capture, then its rollback died too). */
  earlier?: Record<string, number>[];
  seq: number;
}

export interface StepRecord {
  id: string;
  state: StepState;
  effect: StepEffect;
  /** The phase of the last step.failed since the last step.started. */
  failedPhase?: StepPhase | 'drift';
  /** Skipped after it had failed (its failed run's effect stays as it was). */
  skippedAfterFailure?: boolean;
  /**
   * Traffic steps: the first capture since the step was last rolled back, which a derived
   * rollback restores. A retried step captures again before each attempt, and a later
   * capture may hold an earlier attempt's half-applied change; the first one is what was
   * there before the step.
   */
  restoreCapture?: TrafficSnapshotData;
  /** Succeeded with a bake: when its bake window closes (epoch ms). */
  bakeEndsAt?: number;
  /** From the last step.started: the definition that ran, which rollback must use. */
  definition?: Step;
  digest?: string;
  /** How many times the step was started (step.started events), over all runs. */
  attempts: number;
  /** The last step.captured since the last step.started; a derived rollback restores it. */
  captured?: TrafficSnapshotData;
  /** Traffic steps: the weights the step's last success left (the drift guard's expectation before its rollback). */
  trafficLeft?: TrafficLeft;
  /** ts of the last step.started. */
  startedAt?: string;
  /** ts of the outcome of the last run (succeeded, failed, interrupted or skipped). */
  finishedAt?: string;
  /** From step.succeeded, otherwise finishedAt - startedAt. */
  durationMs?: number;
  /** Who made the last state change. */
  by?: string;
  /** The last child spawned since the last step.started (a rollback's too). */
  child?: SpawnedChild;
  /** Reason of the last failed, interrupted or rollback.failed since the last step.started. */
  failure?: string;
  rollback?: { digest: string; reason: string; startedAt: string; finishedAt?: string; durationMs?: number };
  /** The last bake.watch since the last step.started (a new run starts a new bake). */
  lastWatch?: { ok: boolean; summary: string; ts: string; seq: number };
  /** seq of the last event about this step. */
  lastSeq: number;
  /** The effect before the current attempt started: a precheck or drift failure changed nothing more. */
  effectBeforeAttempt: StepEffect;
}

export interface RunRecord {
  seq: number;
  command: string;
  by: string;
  startedAt: string;
  options: Record<string, unknown>;
  /** Absent when the run never finished (killed, crashed, or still running). */
  finished?: { ts: string; outcome: string };
}

export interface DecisionRecord {
  seq: number;
  ts: string;
  by: string;
  step?: string;
  prompt: string;
  choice: string;
  note?: string;
}

export interface ApprovalRecord {
  seq: number;
  ts: string;
  by: string;
  step: string;
  digest: string;
  note?: string;
  expiresAt?: string;
  /** The attempt that consumed it: the first start of the step with the approved digest after it. */
  usedBy?: { attempt: number; seq: number; ts: string };
  /** Unused when a rollback started: what the approver looked at has changed, so it no longer counts. */
  revokedBy?: { seq: number; ts: string; step?: string };
}

export interface ChangesAcceptedRecord {
  seq: number;
  ts: string;
  by: string;
  step?: string;
  digestBefore: string;
  digestAfter: string;
}

/** One delivery to a `notify:` webhook (notify.sent / notify.failed). */
export interface NotificationRecord {
  seq: number;
  ts: string;
  ok: boolean;
  webhook: number;
  name?: string;
  event: string;
  step?: string;
  attempts: number;
  status?: number;
  reason?: string;
}

export interface JournalState {
  /** From journal.created; undefined for an empty event list. */
  runbook?: string;
  /** Every step seen, in first-seen order. Steps never mentioned are absent: they are pending. */
  steps: Map<string, StepRecord>;
  runs: RunRecord[];
  decisions: DecisionRecord[];
  approvals: ApprovalRecord[];
  changesAccepted: ChangesAcceptedRecord[];
  repairs: { seq: number; ts: string; line: number; droppedBytes: number }[];
  /** Webhook deliveries, oldest first; they never change a step. */
  notifications: NotificationRecord[];
  /** Per traffic target (`route53:...`, `elbv2:...`): what the journal last says it was left at. */
  targets: Map<string, TargetExpectation>;
  /** 0 when there are no events. */
  lastSeq: number;
}

/** The state of a step, `pending` when the journal never mentions it. */
export function stepState(state: JournalState, id: string): StepState {
  return state.steps.get(id)?.state ?? 'pending';
}

export function replay(events: readonly JournalEvent[]): JournalState {
  const state: JournalState = {
    steps: new Map(),
    runs: [],
    decisions: [],
    approvals: [],
    changesAccepted: [],
    repairs: [],
    notifications: [],
    targets: new Map(),
    lastSeq: 0,
  };
  for (const event of events) apply(state, event);
  return state;
}

/**
 * What one event says about the state of a traffic target, if anything: what a step or
 * rollback left (a success, or a step whose verify failed after the change), or what a step
 * captured right before a change whose outcome is not journaled yet, or a rollback's intended
 * weights (on top of what was known before it). The newest note on a target is what the
 * drift guard expects live.
 */
export function noteTraffic(targets: Map<string, TargetExpectation>, event: JournalEvent): void {
  if (event.type === 'rollback.started') {
    const restores = event.data.restores;
    const known = restores && targets.get(restores.target);
    if (restores) {
      const unconfirmed = { by: `the rollback of step ${event.step ?? '?'}`, step: event.step, weights: restores.weights };
      const earlier = known ? [...(known.earlier ?? []), ...(known.unconfirmed ? [known.unconfirmed.weights] : [])] : [];
      targets.set(
        restores.target,
        known
          ? { ...known, unconfirmed, ...(earlier.length > 0 ? { earlier } : {}), seq: event.seq }
          : { left: restores, by: unconfirmed.by, step: event.step, unconfirmed, seq: event.seq },
      );
    }
    return;
  }
  const note = trafficNote(event);
  if (note) targets.set(note.left.target, note);
}

function trafficNote(event: JournalEvent): TargetExpectation | undefined {
  const step = event.step;
  const seq = event.seq;
  switch (event.type) {
    case 'step.succeeded':
      return event.data.traffic && { left: event.data.traffic, by: `step ${step ?? '?'}`, step, seq };
    case 'step.failed':
      return event.data.traffic && { left: event.data.traffic, by: `step ${step ?? '?'} (which then failed)`, step, seq };
    case 'rollback.succeeded':
      return event.data.traffic && { left: event.data.traffic, by: `the rollback of step ${step ?? '?'}`, step, seq };
    case 'step.captured': {
      const { target, label, weights, intended } = event.data;
      const note: TargetExpectation = { left: { target, label, weights }, by: `step ${step ?? '?'} captured it`, step, seq };
      return intended ? { ...note, unconfirmed: { by: `step ${step ?? '?'}`, step, weights: intended } } : note;
    }
    default:
      return undefined;
  }
}

/** Is this approval still waiting to be used, for this digest, at `now`? */
export function approvalUsable(approval: ApprovalRecord, digest: string, now: number): boolean {
  return (
    approval.usedBy === undefined &&
    approval.revokedBy === undefined &&
    approval.digest === digest &&
    (approval.expiresAt === undefined || Date.parse(approval.expiresAt) > now)
  );
}

function apply(state: JournalState, event: JournalEvent): void {
  state.lastSeq = event.seq;
  noteTraffic(state.targets, event);
  const { ts, by, seq } = event;
  switch (event.type) {
    case 'journal.created':
      state.runbook = event.data.runbook;
      return;
    case 'journal.repaired':
      state.repairs.push({ seq, ts, line: event.data.line, droppedBytes: event.data.droppedBytes });
      return;
    case 'run.started':
      state.runs.push({ seq, command: event.data.command, by, startedAt: ts, options: event.data.options });
      return;
    case 'run.finished': {
      const run = state.runs.at(-1);
      if (run && !run.finished) run.finished = { ts, outcome: event.data.outcome };
      return;
    }
    case 'decision':
      state.decisions.push({ seq, ts, by, step: event.step, prompt: event.data.prompt, choice: event.data.choice, note: event.data.note });
      return;
    case 'changes.accepted':
      state.changesAccepted.push({ seq, ts, by, step: event.step, digestBefore: event.data.digestBefore, digestAfter: event.data.digestAfter });
      return;
    case 'notify.sent':
    case 'notify.failed': {
      const { webhook, name, event: what, step, attempts } = event.data;
      const outcome =
        event.type === 'notify.sent'
          ? { ok: true, status: event.data.status }
          : { ok: false, reason: event.data.reason, ...(event.data.status !== undefined ? { status: event.data.status } : {}) };
      // Returns before the step record below even if a hand-written line has `step`: a notification changes no step.
      state.notifications.push({
        seq,
        ts,
        webhook,
        ...(name !== undefined ? { name } : {}),
        event: what,
        ...(step !== undefined ? { step } : {}),
        attempts,
        ...outcome,
      });
      return;
    }
    default:
      break;
  }
  if (event.step === undefined) return;
  const step = record(state, event.step);
  step.lastSeq = seq;
  switch (event.type) {
    case 'step.started':
      // A new run of the step: forget what belonged to the previous one.
      step.state = 'running';
      step.effectBeforeAttempt = step.effect;
      step.effect = 'unknown';
      step.failedPhase = undefined;
      step.skippedAfterFailure = undefined;
      step.bakeEndsAt = undefined;
      for (const approval of state.approvals) {
        if (approval.step === step.id && approval.usedBy === undefined && approval.digest === event.data.digest)
          approval.usedBy = { attempt: event.attempt ?? step.attempts + 1, seq, ts };
      }
      step.definition = event.data.definition;
      step.digest = event.data.digest;
      step.startedAt = ts;
      step.finishedAt = undefined;
      step.durationMs = undefined;
      step.captured = undefined;
      step.trafficLeft = undefined;
      step.lastWatch = undefined;
      step.child = undefined;
      step.failure = undefined;
      step.rollback = undefined;
      step.by = by;
      step.attempts += 1;
      return;
    case 'step.spawned':
      step.child = { pid: event.data.pid, pgid: event.data.pgid, host: event.data.host, phase: event.data.phase };
      return;
    case 'step.captured':
      step.captured = event.data;
      step.restoreCapture ??= event.data;
      return;
    case 'step.succeeded': {
      finish(step, 'succeeded', ts, by, event.data.durationMs);
      // Recovered on resume or marked done: nothing measured how long it took.
      if (event.data.recovered || event.data.markedDone) step.durationMs = undefined;
      step.trafficLeft = event.data.traffic;
      step.effect = 'applied';
      const bakeMs = step.definition?.bakeMs;
      if (bakeMs !== undefined) step.bakeEndsAt = Date.parse(ts) + bakeMs;
      return;
    }
    case 'step.failed':
      finish(step, 'failed', ts, by);
      step.failure = event.data.reason;
      step.failedPhase = event.data.phase;
      // A precheck or the drift guard stopped it before its action: this attempt changed nothing.
      if (event.data.phase === 'precheck' || event.data.phase === 'drift') step.effect = step.effectBeforeAttempt;
      return;
    case 'step.interrupted':
      // An interrupted rollback leaves the step rolling-back: the rollback is what is unfinished.
      if (step.state === 'rolling-back') step.by = by;
      else finish(step, 'interrupted', ts, by);
      step.failure = event.data.reason;
      return;
    case 'step.skipped':
      step.skippedAfterFailure = step.state === 'failed' || step.state === 'interrupted' || step.state === 'running';
      finish(step, 'skipped', ts, by);
      // A skip is not timed: an earlier start would give a meaningless duration.
      step.durationMs = undefined;
      return;
    case 'rollback.started':
      for (const approval of state.approvals) {
        if (approval.usedBy === undefined && approval.revokedBy === undefined) approval.revokedBy = { seq, ts, step: step.id };
      }
      step.state = 'rolling-back';
      step.by = by;
      step.rollback = { digest: event.data.digest, reason: event.data.reason, startedAt: ts };
      return;
    case 'rollback.succeeded':
      step.state = 'rolled-back';
      step.by = by;
      step.effect = 'none';
      step.effectBeforeAttempt = 'none';
      step.restoreCapture = undefined;
      step.bakeEndsAt = undefined;
      if (step.rollback) {
        step.rollback.finishedAt = ts;
        step.rollback.durationMs = event.data.durationMs;
      }
      return;
    case 'rollback.failed':
      step.state = 'rollback-failed';
      step.by = by;
      step.failure = event.data.reason;
      if (step.rollback) step.rollback.finishedAt = ts;
      return;
    case 'approval':
      state.approvals.push({ seq, ts, by, step: event.step, digest: event.data.digest, note: event.data.note, expiresAt: event.data.expiresAt });
      return;
    case 'bake.watch':
      step.lastWatch = { ok: event.data.ok, summary: event.data.summary, ts, seq };
      return;
  }
}

function record(state: JournalState, id: string): StepRecord {
  let step = state.steps.get(id);
  if (!step) {
    step = { id, state: 'pending', effect: 'none', effectBeforeAttempt: 'none', attempts: 0, lastSeq: 0 };
    state.steps.set(id, step);
  }
  return step;
}

function finish(step: StepRecord, to: StepState, ts: string, by: string, durationMs?: number): void {
  step.state = to;
  step.by = by;
  step.finishedAt = ts;
  step.durationMs = durationMs ?? (step.startedAt ? Math.max(0, Date.parse(ts) - Date.parse(step.startedAt)) : undefined);
}

/** What a derived rollback of `stepId` would restore now (StepRecord.restoreCapture). */
export function restoreCaptureOf(events: readonly JournalEvent[], stepId: string): TrafficSnapshotData | undefined {
  return replay(events).steps.get(stepId)?.restoreCapture;
}
