/**
 * The contract between the engine and the Route 53 / ELBv2 drivers. The engine never sees
 * SDK types: it journals snapshots (plain JSON), compares weights for the drift guard, and
 * asks a driver to apply new weights or to restore a captured snapshot.
 */
import type { AwsClients } from '../../aws/clients.js';
import type { Clock } from '../../support/clock.js';

export interface TrafficSnapshot {
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
   * Current weight per key: Route 53 set identifier; ELBv2 target group ARN.
   * Only the weighted entries this target has (all of them, not only those the step names).
   */
  weights: Record<string, number>;
  /** For ELBv2: target group ARN -> name, for messages. */
  names?: Record<string, string>;
  /**
   * The full state as AWS returned it, JSON-serialisable: Route 53 the complete
   * ResourceRecordSets of the weighted sets (alias targets, TTL, health checks...);
   * ELBv2 the complete action list (listener default actions or rule actions).
   * `restore` puts exactly this back.
   */
  state: unknown;
}

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
  /** Read the live state of the same target as `snapshot` (drift check before a rollback, rehearsal comparison). */
  reread(snapshot: TrafficSnapshot, ctx: TrafficContext): Promise<TrafficSnapshot>;
  /** Put `captured.state` back exactly; wait; read back and check it equals the capture. Throws TrafficError. */
  restore(captured: TrafficSnapshot, ctx: TrafficContext): Promise<TrafficSnapshot>;
}
