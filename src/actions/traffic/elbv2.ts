/**
 * ELBv2 weighted forward actions: a listener's default actions (ModifyListener) or a rule's
 * actions (ModifyRule). AWS replaces the whole action list on Modify*, so every change resends
 * all actions as read (authenticate, fixed-response, Order, stickiness...) with only the
 * forward action's target group weights changed; a restore does the same from the live list
 * with the captured weights.
 *
 * Snapshot weights are keyed by target group ARN (how a forward action's groups and weights
 * are read: elbv2-actions.ts).
 *
 * The SDK is imported lazily; its types are erased at build time.
 */
import type { Action as ElbAction, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Elbv2Action } from '../../runbook/types.js';
import { arnsOf, findForward, forModify, nameFromArn, stateOf, weightsOf, withoutSecrets, withWeights, type Elbv2State } from './elbv2-actions.js';
import { elbv2StructuralChanges } from './elbv2-structure.js';
import { refuseStructuralChanges } from './structure.js';
import { TrafficError, trafficFailure, type TrafficContext, type TrafficDriver, type TrafficSnapshot } from './types.js';

export type { Elbv2State } from './elbv2-actions.js';
export { elbv2StructuralChanges as structuralChanges } from './elbv2-structure.js';

type Target = Elbv2Action['target'];

const sdk = () => import('@aws-sdk/client-elastic-load-balancing-v2');

/** A listener or rule that does not exist, as readActions reports it (the SDK names ELBv2's errors ...Exception). */
const NOT_FOUND = new Set(['ListenerNotFound', 'ListenerNotFoundException', 'RuleNotFound', 'RuleNotFoundException']);

/** Errors after which target group names fall back to the ARN's name segment. */
const PERMISSION_ERRORS = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation']);

export const elbv2Driver: TrafficDriver<Elbv2Action> = {
  async read(action, ctx) {
    const client = await ctx.clients.elbv2();
    const actions = await readActions(client, action.target, ctx);
    const label = labelOf(action.target);
    // Before a change the forward action must exist: there is nothing else to weight.
    const forward = findForward(actions, label);
    if (!forward) throw noForward(label, actions);
    const names = await namesOf(client, arnsOf(forward), {}, ctx);
    const resolved = await resolveNames(client, Object.keys(action.weights), names, ctx);
    return snapshotOf(action.target, actions, { ...names, ...resolved });
  },

  desired(action, before) {
    refuseNetwork(Object.keys(action.weights), before);
    const weights = { ...before.weights };
    for (const [key, weight] of Object.entries(action.weights)) {
      const arn = arnForKey(key, before);
      if (arn === undefined || !(arn in before.weights)) throw notForwarded(key, before);
      weights[arn] = weight;
    }
    return weights;
  },

  async apply(action, before, ctx) {
    const want = elbv2Driver.desired(action, before);
    const state = stateOf(before);
    // Same weights: no Modify call at all, so a re-run of a done step changes nothing.
    if (!sameWeights(want, before.weights)) {
      refuseAllZero(want, before);
      const client = await ctx.clients.elbv2();
      await modify(client, state, withWeights(state.actions, want), `changing the weights of ${before.label}`);
    }
    const after = await elbv2Driver.reread(before, ctx);
    if (!sameWeights(want, after.weights)) {
      throw new TrafficError(
        `${before.label}: the weights read back are ${formatWeights(after.weights, after)}, expected ${formatWeights(want, before)}; check whether something else changed the ${state.kind} at the same time`,
      );
    }
    return after;
  },

  async reread(snapshot, ctx) {
    const state = stateOf(snapshot);
    const client = await ctx.clients.elbv2();
    let actions: ElbAction[];
    try {
      actions = await readActions(client, state, ctx);
    } catch (error) {
      // A deleted listener or rule is a state too: no weights, and a structural change.
      if (error instanceof TrafficError && NOT_FOUND.has(error.code ?? '')) return goneSnapshot(state, snapshot.names ?? {});
      throw error;
    }
    // No forward action is a state too (someone put up a fixed-response page): the drift
    // guard shows it as "no weights", and a rollback stops at it as a structural change.
    const forward = findForward(actions, snapshot.label);
    const known = snapshot.names ?? {};
    const names = forward
      ? await namesOf(
          client,
          arnsOf(forward).filter((arn) => !(arn in known)),
          known,
          ctx,
        )
      : known;
    return snapshotOf(state, actions, names);
  },

  /**
   * One Modify with the live action list and only the forward weights set back to the
   * captured ones: authenticate actions, fixed responses, Order, stickiness and a rule's
   * conditions (not sent at all) stay as they are live.
   */
  async restore(captured, ctx) {
    stateOf(captured);
    const live = await elbv2Driver.reread(captured, ctx);
    refuseStructuralChanges(captured, live);
    if (sameWeights(captured.weights, live.weights)) return live;
    const state = stateOf(live);
    const client = await ctx.clients.elbv2();
    await modify(client, state, withWeights(state.actions, captured.weights), `restoring the weights of ${captured.label}`);
    const after = await elbv2Driver.reread(captured, ctx);
    if (!sameWeights(captured.weights, after.weights)) {
      throw new TrafficError(
        `${captured.label}: the weights read back after the restore are ${formatWeights(after.weights, after)}, expected the captured ${formatWeights(captured.weights, captured)}; check whether something else changed the ${state.kind} at the same time`,
      );
    }
    return after;
  },

  structuralChanges: elbv2StructuralChanges,
};

// --- reading ---------------------------------------------------------------------------

async function readActions(client: ElasticLoadBalancingV2Client, target: Target, ctx: TrafficContext): Promise<ElbAction[]> {
  const { DescribeListenersCommand, DescribeRulesCommand } = await sdk();
  const label = labelOf(target);
  let actions: ElbAction[] | undefined;
  try {
    if (target.kind === 'listener') {
      const out = await client.send(new DescribeListenersCommand({ ListenerArns: [target.arn] }), { abortSignal: ctx.signal });
      actions = out.Listeners?.find((l) => l.ListenerArn === target.arn)?.DefaultActions ?? out.Listeners?.[0]?.DefaultActions;
    } else {
      const out = await client.send(new DescribeRulesCommand({ RuleArns: [target.arn] }), { abortSignal: ctx.signal });
      actions = out.Rules?.find((r) => r.RuleArn === target.arn)?.Actions ?? out.Rules?.[0]?.Actions;
    }
  } catch (error) {
    throw trafficFailure(error, `reading ${label}`);
  }
  if (!actions)
    throw new TrafficError(
      `${label} was not found; check the ${target.kind} ARN (and the region)`,
      target.kind === 'listener' ? 'ListenerNotFound' : 'RuleNotFound',
    );
  // Nothing secret may reach a snapshot: the journal stores it and `cutover log` prints it.
  return withoutSecrets(actions);
}

/** ARN -> name for the given target groups, added to `known`. */
async function namesOf(
  client: ElasticLoadBalancingV2Client,
  arns: string[],
  known: Record<string, string>,
  ctx: TrafficContext,
): Promise<Record<string, string>> {
  if (arns.length === 0) return { ...known };
  const { DescribeTargetGroupsCommand } = await sdk();
  try {
    const out = await client.send(new DescribeTargetGroupsCommand({ TargetGroupArns: arns }), { abortSignal: ctx.signal });
    const names = { ...known };
    for (const group of out.TargetGroups ?? []) {
      if (group.TargetGroupArn && group.TargetGroupName) names[group.TargetGroupArn] = group.TargetGroupName;
    }
    for (const arn of arns) names[arn] ??= nameFromArn(arn);
    return names;
  } catch (error) {
    // Names are only for messages; a policy without DescribeTargetGroups must not block a
    // cutover that names its groups by ARN. The ARN carries the name anyway.
    if (!PERMISSION_ERRORS.has((error as { name?: string }).name ?? '')) throw trafficFailure(error, `looking up target groups ${arns.join(', ')}`);
    return { ...known, ...Object.fromEntries(arns.map((arn) => [arn, nameFromArn(arn)])) };
  }
}

/**
 * The runbook's target group names that are not among the forwarded groups, looked up so an
 * unknown name fails with AWS's TargetGroupNotFound, and a known one not forwarded to gets
 * its ARN (desired() then says it is not in the forward action).
 */
async function resolveNames(
  client: ElasticLoadBalancingV2Client,
  keys: string[],
  known: Record<string, string>,
  ctx: TrafficContext,
): Promise<Record<string, string>> {
  const knownNames = new Set(Object.values(known));
  const missing = keys.filter((key) => !isArn(key) && !knownNames.has(key));
  if (missing.length === 0) return {};
  const { DescribeTargetGroupsCommand } = await sdk();
  try {
    const out = await client.send(new DescribeTargetGroupsCommand({ Names: missing }), { abortSignal: ctx.signal });
    const resolved: Record<string, string> = {};
    for (const group of out.TargetGroups ?? []) {
      if (group.TargetGroupArn && group.TargetGroupName) resolved[group.TargetGroupArn] = group.TargetGroupName;
    }
    const unresolved = missing.filter((name) => !Object.values(resolved).includes(name));
    if (unresolved.length > 0)
      throw new TrafficError(
        `target group ${unresolved.join(', ')} not found; check the target group names in the runbook (and the region)`,
        'TargetGroupNotFound',
      );
    return resolved;
  } catch (error) {
    throw trafficFailure(error, `looking up target group ${missing.join(', ')}`);
  }
}

function snapshotOf(target: Target, actions: ElbAction[], names: Record<string, string>): TrafficSnapshot {
  const forward = findForward(actions, labelOf(target));
  const state: Elbv2State = { kind: target.kind, arn: target.arn, actions };
  return {
    kind: 'elbv2',
    target: `elbv2:${target.kind}:${target.arn}`,
    label: labelOf(target),
    weights: forward ? weightsOf(forward) : {},
    names,
    state,
  };
}

/** What a re-read of a deleted listener or rule returns. */
function goneSnapshot(target: Target, names: Record<string, string>): TrafficSnapshot {
  return { ...snapshotOf(target, [], names), state: { kind: target.kind, arn: target.arn, actions: [], gone: true } satisfies Elbv2State };
}

// --- writing ---------------------------------------------------------------------------

async function modify(client: ElasticLoadBalancingV2Client, state: Elbv2State, actions: ElbAction[], doing: string): Promise<void> {
  const { ModifyListenerCommand, ModifyRuleCommand } = await sdk();
  const sent = forModify(actions);
  try {
    // No abort signal: an interrupted Modify may or may not have been applied; letting the
    // single call finish keeps the journal's "before" and the live state unambiguous.
    if (state.kind === 'listener') await client.send(new ModifyListenerCommand({ ListenerArn: state.arn, DefaultActions: sent }));
    else await client.send(new ModifyRuleCommand({ RuleArn: state.arn, Actions: sent }));
  } catch (error) {
    // The ARN did not say (it always does today); AWS's own words then: "…load balancer of type 'network'".
    if (/type 'network'/.test((error as Error).message ?? '')) throw networkForwardsToOne(state.arn);
    throw trafficFailure(error, doing);
  }
}

// --- helpers ---------------------------------------------------------------------------

function arnForKey(key: string, snapshot: TrafficSnapshot): string | undefined {
  if (isArn(key)) return key;
  const names = Object.entries(snapshot.names ?? {});
  // Prefer a forwarded group when a name appears twice (it cannot in one region, but be safe).
  return (names.find(([arn, name]) => name === key && arn in snapshot.weights) ?? names.find(([, name]) => name === key))?.[0];
}

/** A Network Load Balancer's listener ARN: `…:listener/net/<lb>/<id>/<id>`. */
function isNetwork(arn: string): boolean {
  return /:listener(?:-rule)?\/net\//.test(arn);
}

/**
 * An NLB forward action has one target group and no weights (AWS: "You cannot specify
 * multiple target groups in a single action with a load balancer of type 'network'"):
 * said before anything is sent, with the way to shift traffic that works.
 */
function refuseNetwork(keys: string[], snapshot: TrafficSnapshot): void {
  const arn = stateOf(snapshot).arn;
  if (!isNetwork(arn)) return;
  const forwarded = Object.keys(snapshot.weights);
  if (
    keys.length <= 1 &&
    keys.every((key) => {
      const found = arnForKey(key, snapshot);
      return found !== undefined && forwarded.includes(found);
    })
  )
    return;
  throw networkForwardsToOne(arn, keys);
}

function networkForwardsToOne(arn: string, keys: string[] = []): TrafficError {
  return new TrafficError(
    `listener ${arn} belongs to a Network Load Balancer, which forwards to a single target group and takes no weights${keys.length > 1 ? ` (this step weights ${keys.join(', ')})` : ''}; shift traffic between two load balancers with a route53 step (weighted records), or use an Application Load Balancer`,
  );
}

function notForwarded(key: string, snapshot: TrafficSnapshot): TrafficError {
  const existing = Object.keys(snapshot.weights).map((arn) => `${snapshot.names?.[arn] ?? nameFromArn(arn)} (${arn})`);
  return new TrafficError(
    `target group ${key} is not in the forward action of ${snapshot.label}; it forwards to ${existing.length > 0 ? existing.join(', ') : 'no target group'}`,
  );
}

/**
 * Every forwarded group at weight 0 leaves the forward action no group to send a request to.
 * The API reference documents 0..999 per group and nothing about a forward whose weights
 * are all 0, so cutover does not send one rather than find out what the load balancer does.
 */
function refuseAllZero(weights: Record<string, number>, snapshot: TrafficSnapshot): void {
  const values = Object.values(weights);
  if (values.length === 0 || values.some((w) => w !== 0)) return;
  throw new TrafficError(
    `${snapshot.label}: after this change every target group of the forward action would be at weight 0 (${formatWeights(weights, snapshot)}), leaving no target group to send requests to; keep at least one weight above 0 (to stop all traffic, put a fixed-response action in place by hand)`,
  );
}

function noForward(label: string, actions: ElbAction[]): TrafficError {
  const types = actions.map((a) => a.Type).join(', ') || 'none';
  return new TrafficError(`${label} has no forward action; cutover can only change the weights of a forward action (its actions: ${types})`);
}

function labelOf(target: Target): string {
  const marker = target.kind === 'listener' ? ':listener/' : ':listener-rule/';
  const at = target.arn.indexOf(marker);
  return `${target.kind} ${at >= 0 ? target.arn.slice(at + marker.length) : target.arn}`;
}

function isArn(key: string): boolean {
  return key.startsWith('arn:');
}

function sameWeights(a: Record<string, number>, b: Record<string, number>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => key in b && a[key] === b[key]);
}

function formatWeights(weights: Record<string, number>, snapshot: TrafficSnapshot): string {
  const entries = Object.entries(weights).map(([arn, weight]) => `${snapshot.names?.[arn] ?? nameFromArn(arn)} ${weight}`);
  return entries.length > 0 ? entries.join(', ') : 'none';
}
