/**
 * What a Route 53 snapshot holds (`TrafficSnapshot.state`), and reading it back checked: a
 * snapshot may come from a journal written by an older version. Free of the AWS SDK at run
 * time (its types are erased), so the structural comparison can use it without the driver.
 */
import type { ResourceRecordSet } from '@aws-sdk/client-route-53';
import type { RecordType } from '../../runbook/types.js';
import { TrafficError, type TrafficSnapshot } from './types.js';

/** Enough to re-read and to restore without any lookup. */
export interface Route53State {
  /** Bare id (`Z123`), without `/hostedzone/`. */
  zoneId: string;
  /** Lower case with the trailing dot. */
  name: string;
  type: RecordType;
  /** The weighted record sets exactly as ListResourceRecordSets returned them, sorted by SetIdentifier. */
  recordSets: ResourceRecordSet[];
}

export function stateOf(snapshot: TrafficSnapshot): Route53State {
  const state = snapshot.state as Partial<Route53State> | null;
  if (
    snapshot.kind !== 'route53' ||
    !state ||
    typeof state.zoneId !== 'string' ||
    typeof state.name !== 'string' ||
    typeof state.type !== 'string' ||
    !Array.isArray(state.recordSets)
  ) {
    throw new TrafficError(
      `${snapshot.label}: the captured Route 53 state is incomplete (no zone id, name, type or record sets); cannot re-read or restore it`,
    );
  }
  return state as Route53State;
}
