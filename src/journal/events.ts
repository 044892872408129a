/**
 * Journal events (docs/running.md, "Locks, signals, journal damage"). One JSON object per line:
 * `{v, seq, ts, type, step?, attempt?, by, data, prev}`; `prev` is the sha256 of the
 * previous line's exact text, so an edited, deleted or reordered line is detected.
 */
import type { Step } from '../runbook/types.js';

export const JOURNAL_FORMAT = 1;

export type StepPhase = 'precheck' | 'action' | 'verify';

/** Where a check ran: a step's precheck or verify, a bake's watch, a rollback's verify. */
export type CheckPhase = 'precheck' | 'verify' | 'watch' | 'rollback-verify';

/** One value a metric check compared (what actions/types calls a CheckObservation). */
export interface CheckObservationData {
  /** Which check, for people: `cloudwatchMetric AWS/ApplicationELB TargetResponseTime p99`. */
  check: string;
  /** The value compared; null when there was none (no datapoints, an empty query result). */
  value: number | null;
  max?: number;
  min?: number;
  /** The window the value covers, for CloudWatch metrics: `last 5m`. */
  window?: string;
  ok: boolean;
}

/**
 * Route 53 / ELBv2 state as journaled (the same shape as actions/traffic TrafficSnapshot,
 * declared here so the journal depends on nothing).
 */
export interface TrafficSnapshotData {
  kind: 'route53' | 'elbv2';
  /**
   * Stable identity of what is changed, so the drift guard can find the previous step that
   * touched the same thing: `route53:<zoneId>:<name>:<type>` (name lower-case with the
   * trailing dot), `elbv2:listener:<arn>` or `elbv2:rule:<arn>`.
   */
  target: string;
  /** For people: `app.example.com. A in Z123` / `listener app/web/...`. */
  label: string;
  /**
   * Current weight per key: Route 53 set identifier; ELBv2 target group ARN. All the
   * weighted entries of the target, not only those a step names.
   */
  weights: Record<string, number>;
  /** For ELBv2: target group ARN -> name, for messages. */
  names?: Record<string, string>;
  /**
   * The full state as AWS returned it, JSON-serialisable: Route 53 the complete
   * ResourceRecordSets of the weighted sets (alias targets, TTL, health checks...);
   * ELBv2 the complete action list. A derived rollback puts its weights back (other fields stay as they are live).
   */
  state: unknown;
}

/** The weights a step or rollback left on a traffic target: what the drift guard expects next. */
export interface TrafficLeft {
  target: string;
  label: string;
  weights: Record<string, number>;
}

/** The data of each event type. */
export interface EventData {
  /** First event of every journal: which runbook it belongs to. */
  'journal.created': { runbook: string; file: string };
  'run.started': { command: string; runbook: string; file: string; options: Record<string, unknown> };
  'run.finished': { command: string; outcome: string };
  /** Intent, written and fsync'ed before anything of the step runs. */
  'step.started': { digest: string; definition: Step; host: string; resumed?: boolean };
  /** The action's child process (after spawn), so a resume can find it still running. */
  'step.spawned': { pid: number; pgid: number; host: string; phase: StepPhase | 'rollback' };
  /** Traffic steps: the live state just before the change, durable before the change is sent. */
  /** `intended`: the weights the step is about to set, so a later drift guard recognises them if the step fails after sending its change. */
  'step.captured': TrafficSnapshotData & { intended?: Record<string, number> };
  'step.succeeded': { durationMs: number; recovered?: boolean; markedDone?: boolean; traffic?: TrafficLeft };
  /** `traffic`: what a traffic step left when it failed after its change (its verify failed). */
  'step.failed': { phase: StepPhase | 'drift'; reason: string; exitCode?: number; timedOut?: boolean; tail?: string[]; traffic?: TrafficLeft };
  /** `leftRunning`: a signal stopped cutover while it waited for an orphaned command of the step (or its rollback), which it left running. */
  'step.interrupted': { signal?: string; reason: string; leftRunning?: { pid: number; pgid: number; host: string } };
  'step.skipped': { reason: string };
  /**
   * `restores`: a traffic rollback's intent, the weights it is about to set (durable before the
   * change is sent), so the drift guard recognises them if the rollback dies after sending it.
   */
  'rollback.started': { digest: string; reason: string; restores?: TrafficLeft };
  'rollback.succeeded': { durationMs: number; traffic?: TrafficLeft; recovered?: boolean };
  'rollback.failed': { phase: 'action' | 'verify'; reason: string; exitCode?: number; tail?: string[] };
  /** An operator (or a flag standing in for one) chose something; `by` says who. */
  decision: { prompt: string; choice: string; note?: string };
  'changes.accepted': { digestBefore: string; digestAfter: string };
  /** A torn last line (crash mid-write) was cut off before appending. */
  'journal.repaired': { line: number; droppedBytes: number };
  /**
   * S3 journals: this command took over an expired lease (its holder stopped renewing it:
   * killed, or cut off from S3), or, `why: 'holder-gone'`, the lease of a holder on the same
   * machine whose process is gone (expiredAt: when that lease would have run out).
   * `previousHolder` is absent when the lease did not say.
   */
  'lock.takeover': {
    lock: string;
    previousHolder?: { user: string; host: string; pid: number; command: string; since: string; ci?: string };
    expiredAt: string;
    why?: 'expired' | 'holder-gone';
  };
  approval: { digest: string; note?: string; expiresAt?: string };
  'bake.watch': { ok: boolean; summary: string };
  /**
   * What the metric checks of one evaluation saw (cloudwatchAlarm, cloudwatchMetric,
   * prometheus), written right after it, for every phase: the value against its threshold.
   * Checks without a value (shell, http) write none.
   */
  'check.observed': { phase: CheckPhase; ok: boolean; observations: CheckObservationData[] };
  /**
   * A `notify:` webhook answered 2xx about `event` (runbook/notify.ts NOTIFY_EVENTS).
   * `webhook` is its position in `notify:` (1-based) and `name` its name: never its URL,
   * which may be a secret. `step` is in data, not the envelope: a notification changes no step.
   */
  'notify.sent': NotifyData & { status: number };
  /** A webhook could not be told, after `attempts` tries; the migration went on regardless. */
  'notify.failed': NotifyData & { reason: string; status?: number };
  /**
   * `cutover rehearse` (rehearsal journals only): the outcome of rehearsing one step, for the
   * digest it had. The rehearsal gate of `run` reads these.
   */
  'rehearsal.step': { digest: string; verdict: RehearsalVerdict; phases: RehearsalPhases; reason?: string };
}

export interface NotifyData {
  webhook: number;
  name?: string;
  event: string;
  step?: string;
  attempts: number;
}

/**
 * passed: every phase passed and something proved the rollback worked (its rollback.verify,
 * the step's verify failing after it, or traffic state equal to the capture).
 * rollback-unverified: every phase passed, but nothing could tell whether the rollback undid the step.
 * irreversible: `rollback: none`; the action and verify passed, there is no rollback to test.
 * failed: a phase failed.
 */
export type RehearsalVerdict = 'passed' | 'rollback-unverified' | 'irreversible' | 'failed';

/**
 * inconclusive: only for verifyAfterRollback, when the step's verify still passes after the
 * rollback (it cannot tell whether the rollback undid the step).
 */
export type RehearsalPhaseStatus = 'passed' | 'failed' | 'inconclusive';

export interface RehearsalPhase {
  status: RehearsalPhaseStatus;
  durationMs: number;
  reason?: string;
}

/** A phase is absent when it does not apply to the step or was not reached. */
export interface RehearsalPhases {
  precheck?: RehearsalPhase;
  /** The action (for traffic steps: capture, drift guard and the change). */
  forward?: RehearsalPhase;
  verify?: RehearsalPhase;
  rollback?: RehearsalPhase;
  rollbackVerify?: RehearsalPhase;
  /** The step's verify run once more after the rollback: passed means it failed, as it should. */
  verifyAfterRollback?: RehearsalPhase;
  /** Traffic steps: live state read again after the rollback equals the capture (weights and full state). */
  stateRestored?: RehearsalPhase;
  /** Precheck and action again. */
  reapply?: RehearsalPhase;
  reverify?: RehearsalPhase;
}

export type EventType = keyof EventData;

export interface JournalEventOf<T extends EventType> {
  v: typeof JOURNAL_FORMAT;
  seq: number;
  ts: string;
  type: T;
  step?: string;
  attempt?: number;
  /** user@host, or the CI job. */
  by: string;
  data: EventData[T];
  /** sha256 hex of the previous line; null for the first line. */
  prev: string | null;
}

export type JournalEvent = { [T in EventType]: JournalEventOf<T> }[EventType];

/** What a caller supplies; the journal adds v, seq, ts, by and prev. */
export type NewEvent = { [T in EventType]: { type: T; step?: string; attempt?: number; data: EventData[T] } }[EventType];

/**
 * Every event type, one key each: `satisfies` makes tsc fail when a type of EventData is
 * missing here (or one here is not in EventData), so the list cannot drift from the union.
 */
const EVENT_TYPE_KEYS = {
  'journal.created': true,
  'run.started': true,
  'run.finished': true,
  'step.started': true,
  'step.spawned': true,
  'step.captured': true,
  'step.succeeded': true,
  'step.failed': true,
  'step.interrupted': true,
  'step.skipped': true,
  'rollback.started': true,
  'rollback.succeeded': true,
  'rollback.failed': true,
  decision: true,
  'changes.accepted': true,
  'journal.repaired': true,
  'lock.takeover': true,
  approval: true,
  'bake.watch': true,
  'rehearsal.step': true,
  'check.observed': true,
  'notify.sent': true,
  'notify.failed': true,
} as const satisfies Record<EventType, true>;

export const EVENT_TYPES = Object.keys(EVENT_TYPE_KEYS) as readonly EventType[];
