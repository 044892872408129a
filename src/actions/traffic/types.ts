/**
 * The contract between the engine and the Route 53 / ELBv2 drivers. The engine never sees
 * SDK types: it journals snapshots (plain JSON), compares weights for the drift guard, and
 * asks a driver to apply new weights or to put back the weights of a captured snapshot.
 */
import type { AwsClients } from '../../aws/clients.js';
import { describeAwsError } from '../../aws/errors.js';
import type { TrafficSnapshotData } from '../../journal/events.js';
import type { Clock } from '../../support/clock.js';

/**
 * What a driver reads and restores; the same plain-JSON shape the journal stores in
 * step.captured (declared there, so the journal depends on nothing).
 */
export type TrafficSnapshot = TrafficSnapshotData;

export interface TrafficContext {
  clients: AwsClients;
  clock: Clock;
  signal: AbortSignal;
  /** Route 53 GetChange polling until INSYNC. Tests use a fake clock, so nothing sleeps. */
  syncPollIntervalMs: number;
  syncTimeoutMs: number;
  /** Progress lines for the terminal ("waiting for INSYNC (C123)"), never secrets. */
  onProgress?: (line: string) => void;
}

/** A failure a user can act on: the message says what happened and what to check. */
export class TrafficError extends Error {
  constructor(
    message: string,
    /** AWS error name when it came from AWS (NoSuchHostedZone, ValidationError, ...). */
    readonly code?: string,
  ) {
    super(message);
    this.name = 'TrafficError';
  }
}

/**
 * A failed AWS call (or a TrafficError thrown inside it) as a TrafficError: the one-line
 * message of aws/errors.ts saying what cutover was doing, with the AWS error name as code.
 */
export function trafficFailure(error: unknown, doing: string): TrafficError {
  if (error instanceof TrafficError) return error;
  const described = describeAwsError(error, doing);
  return new TrafficError(described.message, described.code);
}

export interface TrafficDriver<A> {
  /** Read-only: resolve names (zone, target groups) and read the live state the action would change. */
  read(action: A, ctx: TrafficContext): Promise<TrafficSnapshot>;
  /**
   * Change only the weights the action names (everything else in `before.state` kept as is),
   * in one API call; wait until applied; read back and check the weights. Returns the
   * snapshot read back. Throws TrafficError.
   */
  apply(action: A, before: TrafficSnapshot, ctx: TrafficContext): Promise<TrafficSnapshot>;
  /**
   * The complete weights after applying the action to `before` (keys as in snapshots:
   * runbook names resolved to set identifiers / target group ARNs). Throws TrafficError when
   * the action names a set identifier or target group that `before` does not have, listing
   * the ones that exist. Pure: used by plan's live diff and the post-change check.
   */
  desired(action: A, before: TrafficSnapshot): Record<string, number>;
  /**
   * Read the live state of the same target as `snapshot` (drift check before a rollback,
   * rehearsal comparison). A target whose weighted entries are gone is a state too (no
   * weights), not an error: the drift guard and `structuralChanges` show it.
   */
  reread(snapshot: TrafficSnapshot, ctx: TrafficContext): Promise<TrafficSnapshot>;
  /**
   * A derived rollback: read the live state, and set each weighted entry back to
   * `captured.weights[key]`, every other field as it is live (alias target, TTL, health
   * check; other actions, stickiness, rule conditions). Only entries whose weight differs are
   * sent, in one change; then wait (Route 53: INSYNC), read back and check the weights equal
   * the capture. Refuses (TrafficError, nothing sent) when `structuralChanges` finds any.
   * Returns the snapshot read back. Throws TrafficError.
   */
  restore(captured: TrafficSnapshot, ctx: TrafficContext): Promise<TrafficSnapshot>;
  /** Pure: see structure.ts. */
  structuralChanges(captured: TrafficSnapshot, live: TrafficSnapshot): string[];
}
