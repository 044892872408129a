/**
 * ELBv2 action lists as plain data: the state a snapshot holds, the one forward action and its
 * weights, and the list sent back with only the weights changed. Pure and free of the AWS SDK
 * at run time (its types are erased), so the structural comparison can use it from the plan
 * and preview paths without loading the driver.
 *
 * A plain forward that names one group in `TargetGroupArn` without a ForwardConfig counts as
 * that group with weight 1: it gets all the traffic, which is what weight 1 of 1 means. A
 * ForwardConfig tuple without a Weight is treated the same way (AWS always returns one; this
 * only guards odd endpoints).
 */
import type { Action as ElbAction, TargetGroupTuple } from '@aws-sdk/client-elastic-load-balancing-v2';
import { TrafficError, type TrafficSnapshot } from './types.js';

/** What the journal keeps (snapshot.state): the complete action list as AWS returned it. */
export interface Elbv2State {
  kind: 'listener' | 'rule';
  arn: string;
  actions: ElbAction[];
  /** The listener or rule no longer exists (a re-read found nothing): no actions, no weights. */
  gone?: true;
}

export function stateOf(snapshot: TrafficSnapshot): Elbv2State {
  const state = snapshot.state as Partial<Elbv2State> | undefined;
  if (!state || (state.kind !== 'listener' && state.kind !== 'rule') || typeof state.arn !== 'string' || !Array.isArray(state.actions)) {
    throw new TrafficError(`${snapshot.label}: the snapshot has no ELBv2 action list to work from`);
  }
  return state as Elbv2State;
}

/** The one forward action, or undefined when there is none. Several is not a valid ELBv2 list. */
export function findForward(actions: ElbAction[], label: string): ElbAction | undefined {
  const forwards = actions.filter((a) => a.Type === 'forward');
  if (forwards.length > 1) throw new TrafficError(`${label} has ${forwards.length} forward actions; cutover changes exactly one`);
  return forwards[0];
}

/** The forwarded groups; a plain forward is its one TargetGroupArn at weight 1. */
export function groupsOf(forward: ElbAction): TargetGroupTuple[] {
  const tuples = forward.ForwardConfig?.TargetGroups ?? [];
  if (tuples.length > 0) return tuples;
  return forward.TargetGroupArn ? [{ TargetGroupArn: forward.TargetGroupArn, Weight: 1 }] : [];
}

export function arnsOf(forward: ElbAction): string[] {
  return groupsOf(forward).flatMap((g) => (g.TargetGroupArn ? [g.TargetGroupArn] : []));
}

export function weightsOf(forward: ElbAction): Record<string, number> {
  const weights: Record<string, number> = {};
  for (const group of groupsOf(forward)) if (group.TargetGroupArn) weights[group.TargetGroupArn] = group.Weight ?? 1;
  return weights;
}

/** The action list with only the forward action's weights replaced; everything else as read. */
export function withWeights(actions: ElbAction[], weights: Record<string, number>): ElbAction[] {
  return jsonClean(actions).map((action) => {
    if (action.Type !== 'forward') return action;
    const groups = groupsOf(action).map((g) => ({ ...g, Weight: weights[g.TargetGroupArn ?? ''] ?? g.Weight }));
    const rewritten: ElbAction = { ...action, ForwardConfig: { ...action.ForwardConfig, TargetGroups: groups } };
    // AWS accepts TargetGroupArn next to ForwardConfig only when both name the same single
    // group, so it goes when several groups are forwarded to. A plain forward rewritten into
    // a ForwardConfig keeps it: the one tuple is that same group, which is valid.
    if (groups.length > 1) delete rewritten.TargetGroupArn;
    return rewritten;
  });
}

/**
 * Secret and write-only fields taken out of an action list as read, so a snapshot (which the
 * journal stores and `cutover log` prints) never holds them. AWS's Describe* never returns
 * the OIDC client secret, but AWS-compatible endpoints have been seen to; it is the only
 * secret in the Action shape (API reference: AuthenticateOidcActionConfig, and neither
 * AuthenticateCognitoActionConfig nor JwtValidationActionConfig has one).
 * UseExistingClientSecret is an instruction to Modify*, not state.
 */
export function withoutSecrets(actions: ElbAction[]): ElbAction[] {
  return jsonClean(actions).map((action) => {
    if (!action.AuthenticateOidcConfig) return action;
    const { ClientSecret: _secret, UseExistingClientSecret: _instruction, ...config } = action.AuthenticateOidcConfig;
    return { ...action, AuthenticateOidcConfig: config };
  });
}

/**
 * The list as Modify* takes it. cutover never holds the OIDC client secret, and Modify*
 * needs either the secret or UseExistingClientSecret: true (API reference,
 * AuthenticateOidcActionConfig), so every OIDC action keeps the secret AWS already has. A
 * secret in the list (one an endpoint returned) is not sent back either. No other field of
 * Action is read-only: the API reference uses the same Action shape for Describe and Modify.
 */
export function forModify(actions: ElbAction[]): ElbAction[] {
  return withoutSecrets(actions).map((action) =>
    action.AuthenticateOidcConfig ? { ...action, AuthenticateOidcConfig: { ...action.AuthenticateOidcConfig, UseExistingClientSecret: true } } : action,
  );
}

/** `arn:aws:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<id>` -> name. */
export function nameFromArn(arn: string): string {
  return arn.split(':targetgroup/')[1]?.split('/')[0] || arn;
}

/** A deep copy without undefined members: what the journal stores and what is sent. */
export function jsonClean<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
