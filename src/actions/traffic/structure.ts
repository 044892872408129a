/**
 * The rule of a derived rollback: it puts back the weights captured before the step, every
 * other field stays as it is live, and a structural change (a set or target group added or
 * removed, the forward action gone) is drift that stops the rollback: putting back weights
 * over it would be impossible or wrong.
 *
 * Pure and free of the AWS SDK, so the engine can ask synchronously, from the rollback's
 * drift guard and from the plan and preview paths, without loading a driver.
 */
import { elbv2StructuralChanges } from './elbv2-structure.js';
import { route53StructuralChanges } from './route53-structure.js';
import { TrafficError, type TrafficSnapshot } from './types.js';

/**
 * Human-readable differences between the capture and the live state of the same target that
 * are not weights and stop a weights-only restore, e.g. `weighted set "canary" added`. Empty
 * when only weights and fields a restore keeps (TTL, alias target, stickiness...) differ.
 * Throws TrafficError when the two snapshots are not of the same target, or a snapshot has
 * no usable state (as a restore would).
 */
export function structuralChanges(captured: TrafficSnapshot, live: TrafficSnapshot): string[] {
  if (captured.kind !== live.kind || captured.target !== live.target) {
    throw new TrafficError(`internal error: compared the capture of ${captured.label} with the live state of ${live.label}`);
  }
  return captured.kind === 'route53' ? route53StructuralChanges(captured, live) : elbv2StructuralChanges(captured, live);
}

/** Why a rollback stops over structural changes, and what to do: for the drivers' refusal and the engine's messages. */
export function describeStructuralChanges(label: string, changes: readonly string[]): string {
  return (
    `${label} changed since the step captured it in a way a rollback cannot undo (${changes.join('; ')}); ` +
    'find out who changed it; a rollback only puts weights back, so undo that change by hand and roll back again, or set the weights by hand'
  );
}

/** Defence in depth for the drivers' restore: the engine checks first, a restore refuses anyway. */
export function refuseStructuralChanges(captured: TrafficSnapshot, live: TrafficSnapshot): void {
  const changes = structuralChanges(captured, live);
  if (changes.length > 0) throw new TrafficError(describeStructuralChanges(captured.label, changes));
}
