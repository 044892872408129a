/**
 * What a weights-only rollback of an ELBv2 forward action cannot undo: the listener or rule
 * gone, the forward action gone (or replaced by another action type), a target group added
 * to or removed from it. Anything else (other actions, their order, stickiness, rule
 * conditions) is kept as it is live, so it is not listed.
 */
import type { Action as ElbAction } from '@aws-sdk/client-elastic-load-balancing-v2';
import { arnsOf, nameFromArn, stateOf } from './elbv2-actions.js';
import type { TrafficSnapshot } from './types.js';

export function elbv2StructuralChanges(captured: TrafficSnapshot, live: TrafficSnapshot): string[] {
  const before = stateOf(captured);
  const after = stateOf(live);
  const what = `the ${before.kind}`;
  if (after.gone) return [`${what} is gone`];
  // A capture has at most one forward action: reading refuses a list with several.
  const [was] = forwards(before.actions);
  const [now, ...extraNow] = forwards(after.actions);
  if (extraNow.length > 0) return [`${what} now has ${extraNow.length + 1} forward actions`];
  if (!was && !now) return [];
  if (!now) return [`the forward action is gone (${what} now has: ${after.actions.map((a) => a.Type).join(', ') || 'no action'})`];
  if (!was) return [`${what} has a forward action it did not have`];
  const name = (arn: string) => live.names?.[arn] ?? captured.names?.[arn] ?? nameFromArn(arn);
  const [wasArns, nowArns] = [arnsOf(was), arnsOf(now)];
  return [
    ...wasArns.filter((arn) => !nowArns.includes(arn)).map((arn) => `target group ${name(arn)} removed from the forward action`),
    ...nowArns.filter((arn) => !wasArns.includes(arn)).map((arn) => `target group ${name(arn)} added to the forward action`),
  ];
}

function forwards(actions: ElbAction[]): ElbAction[] {
  return actions.filter((action) => action.Type === 'forward');
}
