/**
 * Valid raw runbook → typed Runbook: defaults applied, foreach expanded, references
 * interpolated (in shell scripts: carried in the environment, see shell-values.ts),
 * durations in milliseconds, digests.
 */
import { parseDuration } from './duration.js';
import { isMetricCheck, resolveMetricCheck } from './resolve-metrics.js';
import { stepDigest } from './digest.js';
import type { DigestInput } from './digest.js';
import { expandWith, foreachItemsOf, groupStepId } from './foreach.js';
import type { ForeachItem } from './foreach.js';
import { findReferences, interpolate } from './interpolate.js';
import { resolveNotify } from './notify.js';
import type { Reference } from './interpolate.js';
import { base64Forms } from '../support/mask.js';
import { ownValue } from '../support/own.js';
import { escapeForDoubleQuotes, literalScript, runnableScript } from './shell-values.js';
import type { ValueReference } from './shell-values.js';
import type { RawAction, RawCheck, RawRollback, RawRunbook, RawSingleCheck, RawStep } from './schema.js';
import type { PathSegment } from './source.js';
import type { Action, Check, CheckRetry, Rollback, ShellAction, SingleCheck, SourcePosition, Step, StepGroup, Runbook } from './types.js';
import type { VarDeclaration } from './variables.js';

export const DEFAULT_TIMEOUT_MS = 30 * 60_000;
const DEFAULT_CHECK_INTERVAL_MS = 10_000;

export interface ResolveContext {
  file: string;
  vars: Map<string, VarDeclaration>;
  env: Record<string, string | undefined>;
  /** Position of each raw step, by index in the file. */
  positions: SourcePosition[];
  /** Position of a step inside a group (['steps', i, 'steps', j]); default: the group's. */
  positionAt?: (path: readonly PathSegment[]) => SourcePosition;
  /** False when only the shape matters (validate): steps get an empty digest, which is most of the cost of a big runbook. */
  digests?: boolean;
  /**
   * Read-only commands (status, log, report, approve) load without the values of vars that
   * have none: a step that uses one gets an empty digest and `unresolved` (its definition
   * cannot be compared with the journal's).
   */
  readOnly?: boolean;
}

/** How references become text: real values for running, placeholders for the digest. */
type Mode = 'run' | 'digest';

export function resolveRunbook(raw: RawRunbook, context: ResolveContext): Runbook {
  const steps: Step[] = [];
  // The runbook's env: reaches every shell step, so changing it changes the steps' digests.
  const runbookEnv = mapValues(raw.env ?? {}, (value) => makeInterpolator(context, undefined, 'digest').text(value));
  const envWithout = context.readOnly ? varsWithoutValue(raw.env ?? {}, context, undefined) : [];
  // Read-only commands (status, log, report, approve): a step using a var without a value has an unknown digest.
  const checked = (step: Step, rawStep: unknown, item: Item): Step => {
    const without = context.readOnly ? [...new Set([...envWithout, ...varsWithoutValue(rawStep, context, item)])].sort() : [];
    return without.length > 0 ? { ...step, digest: '', unresolved: without } : step;
  };
  raw.steps.forEach((entry, index) => {
    const position = context.positions[index] ?? { line: 1, col: 1 };
    if ('group' in entry) {
      // Item after item: every step of the group for one item, then the next item.
      const [name, values] = Object.entries(entry.foreach)[0] ?? ['', []];
      const items = foreachItemsOf(name, values, (list) => context.vars.get(list)?.value, entry.label) ?? [];
      const positions = entry.steps.map((_, j) => context.positionAt?.(['steps', index, 'steps', j]) ?? position);
      items.forEach((item, i) => {
        const group: StepGroup = { id: entry.group, item: item.value, index: i + 1, of: items.length };
        entry.steps.forEach((rawStep, j) => {
          steps.push(
            checked(
              resolveStep(raw, rawStep, item, context, positions[j] ?? position, runbookEnv, { id: groupStepId(entry.group, item.value, rawStep.id), group }),
              rawStep,
              item,
            ),
          );
        });
      });
      return;
    }
    for (const item of foreachItems(entry, context)) {
      steps.push(checked(resolveStep(raw, entry, item, context, position, runbookEnv), entry, item));
    }
  });
  const text = makeInterpolator(context, undefined, 'run');
  // A secret list is masked item by item: each item is what reaches a command or its output.
  const secretVarValues = [...context.vars.values()]
    .filter((v) => v.secret)
    .flatMap((v) => (v.value === undefined ? [] : Array.isArray(v.value) ? v.value : [v.value]));
  const secretEnvNames = raw.secrets ?? [];
  const secretEnvValues = secretEnvNames.map((name) => ownValue(context.env, name)).filter((v): v is string => typeof v === 'string' && v !== '');
  return {
    file: context.file,
    name: raw.name,
    description: raw.description,
    secrets: { envNames: secretEnvNames, values: [...new Set([...secretVarValues, ...secretEnvValues].filter((v) => v !== '').flatMap(maskedForms))] },
    env: mapValues(raw.env ?? {}, text.text),
    aws: {
      region: opt(raw.aws?.region, text.text),
      profile: opt(raw.aws?.profile, text.text),
      endpointUrl: opt(raw.aws?.endpointUrl, text.text),
      changePollIntervalMs: ms(raw.aws?.changePollInterval),
      changeTimeoutMs: ms(raw.aws?.changeTimeout),
    },
    journal: opt(raw.journal, text.text),
    policy: { requireRehearsal: raw.policy?.requireRehearsal === true },
    ...(raw.notify && raw.notify.length > 0 ? { notify: resolveNotify(raw.notify, text.text) } : {}),
    steps,
  };
}

type Item = ForeachItem | undefined;

/** The declared vars without a value that `raw` refers to (the foreach item is not one). */
function varsWithoutValue(raw: unknown, context: ResolveContext, item: Item): string[] {
  return findReferences(JSON.stringify(raw))
    .filter(
      (reference) =>
        reference.kind === 'var' && reference.name !== item?.name && context.vars.has(reference.name) && context.vars.get(reference.name)?.value === undefined,
    )
    .map((reference) => (reference as { name: string }).name);
}

function foreachItems(step: RawStep, context: ResolveContext): Item[] {
  const entry = step.foreach ? Object.entries(step.foreach)[0] : undefined;
  if (!entry) return [undefined];
  const [name, values] = entry;
  return foreachItemsOf(name, values, (list) => context.vars.get(list)?.value) ?? [];
}

/** A step of a group: its id (<group>-<item>-<step>) and where it belongs. */
interface InGroup {
  id: string;
  group: StepGroup;
}

/**
 * A gate (no `run:`) changes nothing, so there is nothing to undo: "rollback: none" that,
 * like an approval's, passes instead of stopping a rollback (engine/execute-rollback.ts).
 */
export const GATE_ROLLBACK_REASON = 'a check-only step changes nothing';

function resolveStep(
  raw: RawRunbook,
  rawStep: RawStep,
  item: Item,
  context: ResolveContext,
  source: SourcePosition,
  runbookEnv: Record<string, string>,
  inGroup?: InGroup,
): Step {
  let carried = false;
  const build = (mode: Mode): Omit<DigestInput, 'runbookEnv'> & Pick<Step, 'title' | 'description' | 'confirm'> => {
    const text = makeInterpolator(context, item, mode, () => (carried = true));
    const action: Action = rawStep.run === undefined ? { kind: 'gate' } : resolveAction(rawStep.run, text);
    const defaults = raw.defaults ?? {};
    const retry = rawStep.retry ?? defaults.retry;
    const precheck = rawStep.precheck ?? defaults.precheck;
    const verify = rawStep.verify ?? defaults.verify;
    // A watch runs during the bake: the default one goes to steps that bake.
    const watch = rawStep.watch ?? (rawStep.bake !== undefined ? defaults.watch : undefined);
    return {
      id: inGroup ? inGroup.id : item ? expandWith(rawStep.id, item) : rawStep.id,
      title: text.text(rawStep.title ?? rawStep.id),
      description: opt(rawStep.description, text.text),
      precheck: opt(precheck, (check) => resolveCheck(check, text)),
      action,
      verify: opt(verify, (check) => resolveCheck(check, text)),
      rollback: action.kind === 'gate' ? { kind: 'none', reason: GATE_ROLLBACK_REASON } : resolveRollback(rawStep.rollback, rawStep.irreversible, action, text),
      timeoutMs: duration(rawStep.timeout, text) ?? ms(defaults.timeout) ?? DEFAULT_TIMEOUT_MS,
      retry: { attempts: retry?.attempts ?? 1, delayMs: duration(retry?.delay, text) ?? 0 },
      confirm: rawStep.confirm ?? defaults.confirm ?? true,
      ...(rawStep.skippable === false ? { skippable: false as const } : {}),
      bakeMs: duration(rawStep.bake, text),
      watch: opt(watch, (check) => resolveCheck(check, text)),
      onFailure: rawStep.onFailure ?? defaults.onFailure ?? 'ask',
    };
  };
  // Left out of the digest: wording (title, description) and whether to ask first (confirm).
  const resolved = build('run');
  const extra = { source, ...(item ? { foreach: { name: item.name, value: item.value } } : {}), ...(inGroup ? { group: inGroup.group } : {}) };
  if (context.digests === false) return { ...resolved, digest: '', ...extra };
  // The digest needs its own resolution only where env or secret references differ from
  // their values, and where a shell script carries values (the digest hashes them written in).
  const { title, description, confirm, ...forDigest } = carried || needsDigestResolution([rawStep, raw.defaults], context) ? build('digest') : resolved;
  void title;
  void description;
  void confirm;
  return { ...resolved, digest: stepDigest({ ...forDigest, runbookEnv }), ...extra };
}

/**
 * Every form a secret can take in what cutover shows or writes, so the masker finds it:
 * as it is; inside a shell-quoted word (each ' becomes '\'', as shellQuote and the log's
 * command line write it); escaped for double quotes (how plan and log headers show a
 * value inside "…"); JSON-escaped (--json output, exec arguments displayed as JSON
 * strings, commands that print JSON), and each of those; each line of a multi-line
 * secret (a PEM key), because command output is masked line by line; and its base64 forms
 * (support/mask.ts). Lines shorter than 4 characters are left out: masking every "ab" in
 * the output would hide more than it protects.
 */
export function maskedForms(secret: string): string[] {
  const inShellQuotes = secret.replaceAll("'", `'\\''`);
  const inDoubleQuotes = escapeForDoubleQuotes(secret);
  const json = (text: string) => JSON.stringify(text).slice(1, -1);
  const lines = secret.includes('\n')
    ? secret
        .split('\n')
        .map((line) => line.replace(/\r$/, ''))
        .filter((line) => line.trim().length >= 4)
    : [];
  return [...new Set([secret, inShellQuotes, inDoubleQuotes, json(secret), json(inShellQuotes), json(inDoubleQuotes), ...lines, ...base64Forms(secret)])];
}

interface Interpolator {
  /** Any field but a shell script: the value as it is. */
  text(text: string): string;
  /** A shell script: the values never become part of it (shell-values.ts). */
  script(text: string, shell: string): { script: string; values?: Record<string, string> };
}

function needsDigestResolution(rawStep: unknown, context: ResolveContext): boolean {
  const text = JSON.stringify(rawStep);
  if (text.includes('${env.')) return true;
  return [...context.vars.values()].some((v) => (v.secret || v.env) && text.includes(`\${${v.name}}`));
}

function makeInterpolator(context: ResolveContext, item: Item, mode: Mode, onCarried: () => void = () => undefined): Interpolator {
  const lookup = (reference: Reference): string | undefined => {
    if (reference.kind === 'malformed') return undefined;
    if (reference.kind === 'env') {
      // Environment values differ per machine; the digest covers the reference, not the value.
      // Own names only: ${env.constructor} is not Object.prototype.constructor.
      return mode === 'digest' ? `\${env.${reference.name}}` : ownValue(context.env, reference.name);
    }
    if (item && reference.name === item.name) return item.value;
    if (item?.fields && reference.name.startsWith(`${item.name}.`)) return ownValue(item.fields, reference.name.slice(item.name.length + 1));
    const declaration = context.vars.get(reference.name);
    // Secrets, and values that differ between environments (staging, production: `env: true`),
    // enter the digest as their reference, so the rehearsal gate matches across environments.
    if (mode === 'digest' && (declaration?.secret || declaration?.env)) return `\${${reference.name}}`;
    return typeof declaration?.value === 'string' ? declaration.value : undefined;
  };
  return {
    text: (text) => interpolate(text, lookup),
    script: (text, shell) => {
      if (mode === 'digest') return { script: literalScript(text, shell, lookup) };
      const { script, values } = runnableScript(text, shell, lookup as (reference: ValueReference) => string | undefined);
      if (Object.keys(values).length === 0) return { script };
      onCarried();
      return { script, values };
    },
  };
}

function shellAction(raw: { sh: string; shell?: string; cwd?: string; env?: Record<string, string> } | string, text: Interpolator): ShellAction {
  if (typeof raw === 'string') return { kind: 'shell', ...text.script(raw, 'sh'), shell: 'sh', env: {} };
  const shell = raw.shell ?? 'sh';
  const { script, values } = text.script(raw.sh, shell);
  return { kind: 'shell', script, shell, cwd: opt(raw.cwd, text.text), env: mapValues(raw.env ?? {}, text.text), ...(values ? { values } : {}) };
}

function resolveAction(raw: RawAction, text: Interpolator): Action {
  if (typeof raw === 'string' || 'sh' in raw) return shellAction(raw, text);
  if ('exec' in raw) return { kind: 'exec', argv: raw.exec.map(text.text), cwd: opt(raw.cwd, text.text), env: mapValues(raw.env ?? {}, text.text) };
  if ('manual' in raw) return { kind: 'manual', instructions: text.text(raw.manual) };
  if ('wait' in raw) return { kind: 'wait', durationMs: duration(raw.wait, text) ?? 0 };
  if ('route53' in raw) {
    const r = raw.route53;
    return {
      kind: 'route53',
      zone: text.text(r.zone),
      name: text.text(r.name),
      type: r.type ?? 'A',
      weights: weightsOf(r.weights, text),
      wait: r.wait ?? true,
      allowAllZero: r.allowAllZero ?? false,
    };
  }
  const e = raw.elbv2;
  const target = e.listener !== undefined ? { kind: 'listener' as const, arn: text.text(e.listener) } : { kind: 'rule' as const, arn: text.text(e.rule ?? '') };
  return { kind: 'elbv2', target, weights: weightsOf(e.weights, text) };
}

/** Weight keys (set identifiers, target group names or ARNs) take references too: `"${new_pool}": 10`, and so do weights: `aws: "${pct}"`. */
function weightsOf(raw: Record<string, number | string>, text: Interpolator): Record<string, number> {
  return Object.fromEntries(
    Object.entries(raw).map(([key, weight]) => [text.text(key), typeof weight === 'number' ? weight : typed(text.text(weight), Number)]),
  );
}

/**
 * A value given as a reference, typed once interpolated (the validator has checked it). In
 * the digest, a value that differs between environments stays its reference, text where a
 * number is expected: the digest hashes it as it is, and nothing runs with it.
 */
function typed(text: string, parse: (text: string) => number | undefined): number {
  const value = parse(text);
  return value === undefined || Number.isNaN(value) ? (text as unknown as number) : value;
}

function duration(raw: string | undefined, text: Interpolator): number | undefined {
  return raw === undefined ? undefined : typed(text.text(raw), parseDuration);
}

function resolveCheck(raw: RawCheck, text: Interpolator): Check {
  return (Array.isArray(raw) ? raw : [raw]).map((single) => resolveSingleCheck(single, text));
}

function resolveSingleCheck(raw: RawSingleCheck, text: Interpolator): SingleCheck {
  if (typeof raw === 'string') return shellAction(raw, text);
  const retry = checkRetry(duration(raw.retryFor, text), duration(raw.interval, text));
  const withRetry = <T extends object>(check: T): T => (retry ? { ...check, retry } : check);
  if ('sh' in raw) return withRetry(shellAction(raw, text));
  if ('exec' in raw) return withRetry({ kind: 'exec', argv: raw.exec.map(text.text), cwd: opt(raw.cwd, text.text), env: mapValues(raw.env ?? {}, text.text) });
  if ('http' in raw) {
    const h = raw.http;
    const status = h.expectStatus ?? 200;
    return withRetry({
      kind: 'http',
      url: text.text(h.url),
      method: h.method ?? 'GET',
      headers: mapValues(h.headers ?? {}, text.text),
      expectStatus: Array.isArray(status) ? status : [status],
      bodyMatches: opt(h.bodyMatches, text.text),
      samples: h.samples ?? 1,
      minSuccess: h.minSuccess ?? 1,
      intervalMs: duration(h.interval, text) ?? 1_000,
      timeoutMs: duration(h.timeout, text) ?? 10_000,
    });
  }
  if (isMetricCheck(raw)) return withRetry(resolveMetricCheck(raw, text.text));
  const t = raw.elbv2TargetHealth;
  return withRetry({ kind: 'elbv2TargetHealth', targetGroup: text.text(t.targetGroup), minHealthy: t.minHealthy ?? 1 });
}

function checkRetry(forMs: number | undefined, intervalMs: number | undefined): CheckRetry | undefined {
  if (forMs === undefined) return undefined;
  return { forMs, intervalMs: intervalMs ?? DEFAULT_CHECK_INTERVAL_MS };
}

function resolveRollback(raw: RawRollback | undefined, irreversible: string | undefined, action: Action, text: Interpolator): Rollback {
  const isTraffic = action.kind === 'route53' || action.kind === 'elbv2';
  if (raw === 'none' || (raw === undefined && irreversible !== undefined)) return { kind: 'none', reason: irreversible ?? '' };
  if (raw === undefined) return { kind: 'derived' };
  if (typeof raw === 'object' && !('sh' in raw) && !('exec' in raw) && !('manual' in raw) && !('wait' in raw) && !('route53' in raw) && !('elbv2' in raw)) {
    const verify = opt(raw.verify, (check) => resolveCheck(check, text));
    if (raw.run === undefined && isTraffic) return verify ? { kind: 'derived', verify } : { kind: 'derived' };
    return { kind: 'action', run: resolveAction(raw.run ?? '', text), ...(verify ? { verify } : {}) };
  }
  return { kind: 'action', run: resolveAction(raw, text) };
}

function ms(duration: string | undefined): number | undefined {
  return duration === undefined ? undefined : parseDuration(duration);
}

function opt<T, R>(value: T | undefined, map: (value: T) => R): R | undefined {
  return value === undefined ? undefined : map(value);
}

function mapValues(record: Record<string, string>, map: (value: string) => string): Record<string, string> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, map(value)]));
}
