/**
 * The ELBv2 half of the fake: the AWS query protocol (form POST to `/`, `Action=...&Version=2015-12-01`).
 *
 * Supported: DescribeListeners, ModifyListener, DescribeRules, ModifyRule, DescribeTargetGroups,
 * DescribeTargetHealth. Writes are checked and stored the way AWS does:
 * - a forward action naming only TargetGroupArn gets ForwardConfig {[arn, Weight 1], stickiness off};
 *   a ForwardConfig with one group gets its TargetGroupArn; stickiness defaults to {Enabled: false};
 * - authenticate-oidc/cognito get AWS's defaults (Scope openid, SessionCookieName
 *   AWSELBAuthSessionCookie, SessionTimeout 604800, OnUnauthenticatedRequest authenticate);
 * - an OIDC ClientSecret is kept in the state but never returned (unless `leakClientSecret`
 *   plays an endpoint that does), and a Modify without it needs UseExistingClientSecret: true
 *   (which is not stored);
 * - several actions need Order, unique; exactly one forward/redirect/fixed-response, last;
 *   forwarded target groups must exist (TargetGroupNotFound), at most 5, weights 0..999,
 *   TargetGroupArn next to a ForwardConfig only for the same single group.
 */
import type { Action as ElbAction, AuthenticateOidcActionConfig, TargetGroupTuple, TargetHealthDescription } from '@aws-sdk/client-elastic-load-balancing-v2';
import { FakeAwsError, queryResponseXml, type FakeAwsState, type FakeListener, type FakeReply, type FakeRule, type FakeTargetGroup } from './server.js';
import { coerceScalar, type XmlShapes } from './xml.js';

const VERSION = '2015-12-01';

const SHAPES: XmlShapes = {
  lists: {},
  maps: new Set(['AuthenticationRequestExtraParams']),
  numbers: new Set(['Order', 'Weight', 'DurationSeconds', 'Port', 'SessionTimeout', 'PageSize']),
  booleans: new Set(['Enabled', 'UseExistingClientSecret', 'IsDefault']),
};

/** List members that the SDK sends as `Name=` when empty. */
const LIST_FIELDS = new Set([
  'DefaultActions',
  'Actions',
  'Conditions',
  'Values',
  'TargetGroups',
  'ListenerArns',
  'RuleArns',
  'Names',
  'TargetGroupArns',
  'Targets',
  'Certificates',
  'AlpnPolicy',
  'Transforms',
]);

/** Members whose name is numeric elsewhere but a string here. */
const STRING_IN_PARENT: Record<string, ReadonlySet<string>> = { RedirectConfig: new Set(['Port']) };

// ---------------------------------------------------------------------------------------------
// Query parsing: `DefaultActions.member.1.ForwardConfig.TargetGroups.member.2.Weight=10` -> objects

type Raw = string | { [key: string]: Raw };

function finalise(raw: Raw, name: string, parent: string): unknown {
  if (typeof raw === 'string') {
    if (raw === '' && LIST_FIELDS.has(name)) return [];
    if (STRING_IN_PARENT[parent]?.has(name)) return raw;
    return coerceScalar(name, raw, SHAPES);
  }
  const keys = Object.keys(raw);
  const byIndex = (object: Raw) => (typeof object === 'string' ? [] : Object.entries(object).sort(([a], [b]) => Number(a) - Number(b)));
  if (keys.length === 1 && keys[0] === 'member') {
    return byIndex(raw.member!).map(([, item]) => finalise(item, 'member', name));
  }
  if (keys.length === 1 && keys[0] === 'entry' && SHAPES.maps.has(name)) {
    const map: Record<string, unknown> = {};
    for (const [, entry] of byIndex(raw.entry!)) {
      if (typeof entry === 'string') continue;
      map[typeof entry.key === 'string' ? entry.key : ''] = typeof entry.value === 'string' ? entry.value : '';
    }
    return map;
  }
  return Object.fromEntries(keys.map((key) => [key, finalise(raw[key]!, key, name)]));
}

/** The form body as the SDK command input it was serialised from (without Action and Version). */
export function parseQueryInput(form: URLSearchParams): Record<string, unknown> {
  const root: { [key: string]: Raw } = {};
  for (const [key, value] of form) {
    if (key === 'Action' || key === 'Version') continue;
    const segments = key.split('.');
    let node = root;
    segments.forEach((segment, i) => {
      if (i === segments.length - 1) {
        node[segment] = value;
        return;
      }
      let child = node[segment];
      if (child === undefined || typeof child === 'string') node[segment] = child = {};
      node = child;
    });
  }
  return finalise(root, '', '') as Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------
// Action normalisation and checks

const ACTION_TYPES = new Set(['forward', 'redirect', 'fixed-response', 'authenticate-oidc', 'authenticate-cognito', 'jwt-validation']);
const TERMINAL = new Set(['forward', 'redirect', 'fixed-response']);
const AUTH_DEFAULTS = {
  Scope: 'openid',
  SessionCookieName: 'AWSELBAuthSessionCookie',
  SessionTimeout: 604800,
  OnUnauthenticatedRequest: 'authenticate',
} as const;

function invalid(message: string): FakeAwsError {
  return new FakeAwsError('ValidationError', message);
}

type Mode = 'initial' | 'write';

function normaliseForward(action: ElbAction, state: FakeAwsState, mode: Mode): void {
  const tuples: TargetGroupTuple[] = action.ForwardConfig?.TargetGroups ?? [];
  if (mode === 'write') {
    if (!action.TargetGroupArn && tuples.length === 0)
      throw invalid('A forward action needs a TargetGroupArn or a ForwardConfig with at least one target group');
    if (action.TargetGroupArn && tuples.length > 1) throw invalid('You cannot specify a TargetGroupArn and a ForwardConfig with more than one target group');
    if (action.TargetGroupArn && tuples.length === 1 && tuples[0]!.TargetGroupArn !== action.TargetGroupArn) {
      throw invalid('The TargetGroupArn and the target group in ForwardConfig must be the same');
    }
    if (tuples.length > 5) throw invalid('A forward action can have at most 5 target groups');
    const arns = tuples.map((t) => t.TargetGroupArn);
    if (new Set(arns).size !== arns.length) throw invalid('A target group can appear only once in a forward action');
    for (const tuple of tuples) {
      if (!tuple.TargetGroupArn) throw invalid('Every target group in ForwardConfig needs a TargetGroupArn');
      if (tuple.Weight !== undefined && (!Number.isInteger(tuple.Weight) || tuple.Weight < 0 || tuple.Weight > 999)) {
        throw invalid(`Target group weight ${tuple.Weight} is not in the range 0..999`);
      }
    }
    for (const arn of [action.TargetGroupArn, ...arns]) {
      if (arn && !state.targetGroups.some((g) => g.arn === arn)) throw new FakeAwsError('TargetGroupNotFound', `Target groups '${arn}' not found`);
    }
    const stickiness = action.ForwardConfig?.TargetGroupStickinessConfig;
    if (stickiness?.Enabled && (stickiness.DurationSeconds === undefined || stickiness.DurationSeconds < 1 || stickiness.DurationSeconds > 604800)) {
      throw invalid('Target group stickiness needs a DurationSeconds between 1 and 604800 when enabled');
    }
  }
  if (tuples.length === 0 && action.TargetGroupArn) {
    action.ForwardConfig = { ...action.ForwardConfig, TargetGroups: [{ TargetGroupArn: action.TargetGroupArn, Weight: 1 }] };
  }
  if (tuples.length === 1 && !action.TargetGroupArn) action.TargetGroupArn = tuples[0]!.TargetGroupArn;
  if (action.ForwardConfig) action.ForwardConfig.TargetGroupStickinessConfig ??= { Enabled: false };
}

function normaliseOidc(config: AuthenticateOidcActionConfig, existing: ElbAction[], mode: Mode): void {
  if (mode === 'write') {
    for (const field of ['Issuer', 'AuthorizationEndpoint', 'TokenEndpoint', 'UserInfoEndpoint', 'ClientId'] as const) {
      if (!config[field]) throw invalid(`AuthenticateOidcConfig.${field} is required`);
    }
    if (!config.ClientSecret) {
      if (!config.UseExistingClientSecret) throw invalid('AuthenticateOidcConfig.ClientSecret is required unless UseExistingClientSecret is true');
      const previous = existing.find((a) => a.Type === 'authenticate-oidc');
      if (!previous) throw invalid('UseExistingClientSecret is true but there is no existing authenticate-oidc action');
      const secret = previous.AuthenticateOidcConfig?.ClientSecret;
      if (secret !== undefined) config.ClientSecret = secret;
    }
  }
  delete config.UseExistingClientSecret;
  Object.assign(config, { ...AUTH_DEFAULTS, ...config });
}

/** Actions as AWS stores them, or a ValidationError (write mode only) for a list AWS refuses. */
export function normaliseActions(raw: unknown, existing: ElbAction[], state: FakeAwsState, mode: Mode, field: string): ElbAction[] {
  if (!Array.isArray(raw) || (mode === 'write' && raw.length === 0)) throw invalid(`1 validation error detected: ${field} must contain at least one action`);
  const actions = JSON.parse(JSON.stringify(raw)) as ElbAction[];
  if (mode === 'write') {
    for (const action of actions) {
      if (!action.Type || !ACTION_TYPES.has(action.Type)) throw invalid(`Action type '${action.Type}' must be one of ${[...ACTION_TYPES].join(', ')}`);
      if (action.Order !== undefined && (!Number.isInteger(action.Order) || action.Order < 1 || action.Order > 50000))
        throw invalid(`Action order ${action.Order} is not in the range 1..50000`);
      if (actions.length > 1 && action.Order === undefined) throw invalid('Order must be specified for every action when there is more than one');
      const config = {
        redirect: action.RedirectConfig,
        'fixed-response': action.FixedResponseConfig,
        'authenticate-oidc': action.AuthenticateOidcConfig,
        'authenticate-cognito': action.AuthenticateCognitoConfig,
      }[action.Type as string];
      if (action.Type !== 'forward' && action.Type !== 'jwt-validation' && config === undefined) throw invalid(`A ${action.Type} action needs its config`);
    }
    const orders = actions.map((a) => a.Order);
    if (new Set(orders).size !== orders.length) throw invalid('Action orders must be unique');
    const sorted = [...actions].sort((a, b) => (a.Order ?? 0) - (b.Order ?? 0));
    const terminals = sorted.filter((a) => TERMINAL.has(a.Type!));
    if (terminals.length !== 1) throw invalid(`There must be exactly one forward, redirect or fixed-response action, found ${terminals.length}`);
    if (!TERMINAL.has(sorted[sorted.length - 1]!.Type!)) throw invalid(`A ${terminals[0]!.Type} action must be the last action`);
  }
  for (const action of actions) {
    if (action.Type === 'forward') normaliseForward(action, state, mode);
    if (action.AuthenticateOidcConfig) normaliseOidc(action.AuthenticateOidcConfig, existing, mode);
    if (action.AuthenticateCognitoConfig) {
      if (mode === 'write') {
        for (const field of ['UserPoolArn', 'UserPoolClientId', 'UserPoolDomain'] as const) {
          if (!action.AuthenticateCognitoConfig[field]) throw invalid(`AuthenticateCognitoConfig.${field} is required`);
        }
      }
      Object.assign(action.AuthenticateCognitoConfig, { ...AUTH_DEFAULTS, ...action.AuthenticateCognitoConfig });
    }
  }
  return actions;
}

export function normaliseElbv2State(state: FakeAwsState): void {
  for (const listener of state.listeners) listener.defaultActions = normaliseActions(listener.defaultActions, [], state, 'initial', 'DefaultActions');
  for (const rule of state.rules) rule.actions = normaliseActions(rule.actions, [], state, 'initial', 'Actions');
}

// ---------------------------------------------------------------------------------------------
// Output

/** What the Describe and Modify calls return: never the client secret (unless the state says to leak it). */
function publicActions(actions: ElbAction[], state: FakeAwsState): ElbAction[] {
  return actions.map((action) => {
    if (!action.AuthenticateOidcConfig || state.leakClientSecret) return action;
    const { ClientSecret: _secret, ...config } = action.AuthenticateOidcConfig;
    return { ...action, AuthenticateOidcConfig: config };
  });
}

function listenerXml(listener: FakeListener, state: FakeAwsState): Record<string, unknown> {
  return {
    ListenerArn: listener.arn,
    LoadBalancerArn: listener.loadBalancerArn,
    Port: listener.port,
    Protocol: listener.protocol,
    DefaultActions: publicActions(listener.defaultActions, state),
  };
}

function ruleXml(rule: FakeRule, state: FakeAwsState): Record<string, unknown> {
  return {
    RuleArn: rule.arn,
    Priority: rule.priority ?? (rule.isDefault ? 'default' : undefined),
    Conditions: rule.conditions ?? [],
    Actions: publicActions(rule.actions, state),
    IsDefault: rule.isDefault ?? false,
  };
}

function targetGroupXml(group: FakeTargetGroup): Record<string, unknown> {
  return {
    TargetGroupArn: group.arn,
    TargetGroupName: group.name,
    Protocol: group.protocol,
    Port: group.port,
    VpcId: group.vpcId,
    TargetType: group.targetType,
    LoadBalancerArns: group.loadBalancerArns ?? [],
  };
}

// ---------------------------------------------------------------------------------------------
// Operations

function strings(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.map(String) : undefined;
}

function required(input: Record<string, unknown>, name: string): string {
  const value = input[name];
  if (typeof value !== 'string' || value === '')
    throw invalid(`1 validation error detected: Value null at '${name}' failed to satisfy constraint: Member must not be null`);
  return value;
}

function findListener(state: FakeAwsState, arn: string): FakeListener {
  const listener = state.listeners.find((l) => l.arn === arn);
  if (!listener) throw new FakeAwsError('ListenerNotFound', `One or more listeners not found`);
  return listener;
}

function findRule(state: FakeAwsState, arn: string): FakeRule {
  const rule = state.rules.find((r) => r.arn === arn);
  if (!rule) throw new FakeAwsError('RuleNotFound', `One or more rules not found`);
  return rule;
}

function findTargetGroup(state: FakeAwsState, arn: string): FakeTargetGroup {
  const group = state.targetGroups.find((g) => g.arn === arn);
  if (!group) throw new FakeAwsError('TargetGroupNotFound', `Target groups '${arn}' not found`);
  return group;
}

function describeListeners(state: FakeAwsState, input: Record<string, unknown>): Record<string, unknown> {
  const arns = strings(input.ListenerArns);
  const loadBalancer = input.LoadBalancerArn as string | undefined;
  let listeners: FakeListener[];
  if (arns && arns.length > 0) listeners = arns.map((arn) => findListener(state, arn));
  else if (loadBalancer !== undefined) listeners = state.listeners.filter((l) => l.loadBalancerArn === loadBalancer);
  else listeners = state.listeners;
  return { Listeners: listeners.map((l) => listenerXml(l, state)) };
}

function modifyListener(state: FakeAwsState, input: Record<string, unknown>): Record<string, unknown> {
  const listener = findListener(state, required(input, 'ListenerArn'));
  const actions =
    input.DefaultActions === undefined ? undefined : normaliseActions(input.DefaultActions, listener.defaultActions, state, 'write', 'DefaultActions');
  // A Network Load Balancer forwards to one target group (AWS's ValidationError, word for word).
  if (actions && listener.arn.includes(':listener/net/') && actions.some((a) => (a.ForwardConfig?.TargetGroups?.length ?? 0) > 1)) {
    throw invalid("You cannot specify multiple target groups in a single action with a load balancer of type 'network'");
  }
  if (actions) listener.defaultActions = actions;
  if (typeof input.Port === 'number') listener.port = input.Port;
  if (typeof input.Protocol === 'string') listener.protocol = input.Protocol;
  return { Listeners: [listenerXml(listener, state)] };
}

function describeRules(state: FakeAwsState, input: Record<string, unknown>): Record<string, unknown> {
  const arns = strings(input.RuleArns);
  const listenerArn = input.ListenerArn as string | undefined;
  let rules: FakeRule[];
  if (arns && arns.length > 0) rules = arns.map((arn) => findRule(state, arn));
  else if (listenerArn !== undefined) {
    findListener(state, listenerArn);
    rules = state.rules.filter((r) => r.listenerArn === listenerArn);
  } else throw invalid('You must specify either listener ARN or rule ARNs');
  return { Rules: rules.map((r) => ruleXml(r, state)) };
}

function modifyRule(state: FakeAwsState, input: Record<string, unknown>): Record<string, unknown> {
  const rule = findRule(state, required(input, 'RuleArn'));
  const actions = input.Actions === undefined ? undefined : normaliseActions(input.Actions, rule.actions, state, 'write', 'Actions');
  if (actions) rule.actions = actions;
  if (Array.isArray(input.Conditions)) rule.conditions = input.Conditions as FakeRule['conditions'];
  return { Rules: [ruleXml(rule, state)] };
}

function describeTargetGroups(state: FakeAwsState, input: Record<string, unknown>): Record<string, unknown> {
  const arns = strings(input.TargetGroupArns);
  const names = strings(input.Names);
  const loadBalancer = input.LoadBalancerArn as string | undefined;
  let groups: FakeTargetGroup[] = state.targetGroups;
  if (arns && arns.length > 0) groups = arns.map((arn) => findTargetGroup(state, arn));
  else if (names && names.length > 0) {
    groups = names.map((name) => {
      const group = state.targetGroups.find((g) => g.name === name);
      if (!group) throw new FakeAwsError('TargetGroupNotFound', `One or more target groups not found`);
      return group;
    });
  } else if (loadBalancer !== undefined) groups = state.targetGroups.filter((g) => g.loadBalancerArns?.includes(loadBalancer));
  return { TargetGroups: groups.map(targetGroupXml) };
}

function describeTargetHealth(state: FakeAwsState, input: Record<string, unknown>): Record<string, unknown> {
  const group = findTargetGroup(state, required(input, 'TargetGroupArn'));
  const health = group.health ?? [];
  const targets = input.Targets as { Id?: string; Port?: number }[] | undefined;
  if (!targets || targets.length === 0) return { TargetHealthDescriptions: health };
  const descriptions: TargetHealthDescription[] = targets.map(
    (target) =>
      health.find((d) => d.Target?.Id === target.Id && (target.Port === undefined || d.Target?.Port === target.Port)) ?? {
        Target: { Id: target.Id, Port: target.Port },
        TargetHealth: { State: 'unused', Reason: 'Target.NotRegistered', Description: 'Target is not registered to the target group' },
      },
  );
  return { TargetHealthDescriptions: descriptions };
}

const OPERATIONS: Record<string, (state: FakeAwsState, input: Record<string, unknown>) => Record<string, unknown>> = {
  DescribeListeners: describeListeners,
  ModifyListener: modifyListener,
  DescribeRules: describeRules,
  ModifyRule: modifyRule,
  DescribeTargetGroups: describeTargetGroups,
  DescribeTargetHealth: describeTargetHealth,
};

export function handleElbv2(state: FakeAwsState, action: string, input: Record<string, unknown>, requestId: string, version: string | null): FakeReply {
  const operation = OPERATIONS[action];
  if (!operation || version !== VERSION) throw new FakeAwsError('InvalidAction', `Could not find operation ${action} for version ${version ?? '(none)'}`);
  return { body: queryResponseXml(action, operation(state, input), requestId, SHAPES) };
}
