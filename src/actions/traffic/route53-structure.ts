/**
 * What a weights-only rollback of a Route 53 weighted group cannot undo: a weighted set added
 * or removed since the capture, or one whose record type changed. Anything else a set holds
 * (alias target, TTL, records, health check) is kept as it is live, so it is not listed.
 */
import type { ResourceRecordSet } from '@aws-sdk/client-route-53';
import { stateOf } from './route53-state.js';
import type { TrafficSnapshot } from './types.js';

export function route53StructuralChanges(captured: TrafficSnapshot, live: TrafficSnapshot): string[] {
  const before = bySetIdentifier(stateOf(captured).recordSets);
  const after = bySetIdentifier(stateOf(live).recordSets);
  const changes: string[] = [];
  for (const [id, set] of before) {
    const now = after.get(id);
    // Deleted, or no longer weighted (a re-read lists only the weighted sets of the name/type).
    if (!now) changes.push(`weighted set "${id}" removed`);
    else if (now.Type !== set.Type) changes.push(`weighted set "${id}" is now of type ${now.Type ?? '?'} (was ${set.Type ?? '?'})`);
  }
  for (const id of after.keys()) if (!before.has(id)) changes.push(`weighted set "${id}" added`);
  return changes;
}

function bySetIdentifier(sets: ResourceRecordSet[]): Map<string, ResourceRecordSet> {
  const sorted = [...sets].sort((a, b) => ((a.SetIdentifier ?? '') < (b.SetIdentifier ?? '') ? -1 : 1));
  return new Map(sorted.map((set) => [set.SetIdentifier ?? '', set]));
}
