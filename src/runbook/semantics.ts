/**
 * Rules that need more than one field: step ids, rollbacks, variables, weights. They run
 * on the raw data even when the schema found problems, so every problem is reported at
 * once; each guards against the shapes the schema would also reject.
 */
import type { Diagnostic, Severity } from './diagnostics.js';
import { findReferences, isWholeReference } from './interpolate.js';
import { positionInScalar, positionOf } from './source.js';
import type { PathSegment, YamlSource } from './source.js';
import { closest } from './suggest.js';
import type { VarValue } from './variables.js';
import { expandWith, foreachItemsOf, groupStepId } from './foreach.js';
import type { ForeachItem } from './foreach.js';
import type { Reference } from './interpolate.js';
import { MAX_DURATION_MS, parseDuration } from './duration.js';
import { ELBV2_MAX_WEIGHT, ID_PATTERN, MAX_NAME_LENGTH, ROUTE53_MAX_WEIGHT, STEP_KEYS } from './schema.js';
import { checkMetricChecks } from './metric-semantics.js';
import { checkShellScripts } from './shell-check.js';
import { ownValue } from '../support/own.js';

export interface SemanticContext {
  /** Resolved value of every declared var (undefined: declared without a value). */
  vars: Map<string, VarValue | undefined>;
  /** The vars declared `secret: true`. */
  secretVars?: ReadonlySet<string>;
  env: Record<string, string | undefined>;
  /**
   * validate checks the file; resolve (plan, run) also needs every value to exist; read
   * (status, log, report, approve) needs only the values that locate the journal and name
   * the steps (`journal:`, `aws:`, foreach lists): a step that uses a var without a value
   * gets an unknown digest instead (resolve.ts).
   */
  mode: 'validate' | 'resolve' | 'read';
  strict: boolean;
}

type Raw = Record<string, unknown>;
const TRAFFIC_KINDS = ['route53', 'elbv2'];
const ACTION_KEYS = ['sh', 'exec', 'manual', 'wait', ...TRAFFIC_KINDS];
const ID_RE = new RegExp(ID_PATTERN);

export function checkSemantics(source: YamlSource, context: SemanticContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  const report = (path: readonly PathSegment[], rule: string, message: string, part: 'key' | 'value' = 'value', severity: Severity = 'error') => {
    const { line, col } = positionOf(source, path, part);
    out.push({ file: source.file, line, col, severity, rule, message });
  };
  const root = asRecord(source.data);
  if (!root) return out;

  // A YAML escape ("\0", "\x00", "\u0000") puts a NUL into a value, which no command can carry.
  if (JSON.stringify(root).includes('\\u0000'))
    visitNul(root, [], (path, isKey) =>
      report(
        path,
        'nul-in-value',
        'this text contains a NUL byte (a YAML escape such as "\\0"), which no command or environment variable can carry; remove it',
        isKey ? 'key' : 'value',
      ),
    );

  checkReferences(source, root.env, ['env'], new Set(), context, out);
  // Where the journal is, and how to reach it: every command uses these values.
  const locating = context.mode === 'read' ? { ...context, mode: 'resolve' as const } : context;
  checkReferences(source, root.aws, ['aws'], new Set(), locating, out);
  checkReferences(source, root.journal, ['journal'], new Set(), locating, out);
  checkReferences(source, root.notify, ['notify'], new Set(), context, out);

  const steps = Array.isArray(root.steps) ? root.steps : [];
  const seenIds = new Map<string, string>();
  const defaults = asRecord(root.defaults) ?? {};
  for (const key of ['precheck', 'verify', 'watch']) {
    if (defaults[key] === undefined) continue;
    checkHttpPatterns(defaults[key], ['defaults', key], report);
    checkIntervals(defaults[key], ['defaults', key], report);
    checkMetricChecks(defaults[key], ['defaults', key], report);
    checkTypedValues(defaults[key], ['defaults', key], undefined, context, report);
    checkReferences(source, defaults[key], ['defaults', key], new Set(), context, out);
  }
  const shared: StepChecks = { source, context, report, out, seenIds, defaults };
  steps.forEach((rawEntry, index) => {
    const entry = asRecord(rawEntry);
    if (!entry) return;
    if ('group' in entry) {
      checkGroup(entry, index, shared);
      return;
    }
    const at = (...rest: PathSegment[]) => ['steps', index, ...rest];
    const items = foreachItems(entry.foreach, context);
    if (items?.problem) report(at('foreach', items.name, ...(items.problemItem !== undefined ? [items.problemItem] : [])), 'foreach', items.problem);
    // Without its list the step has no ids at all: every command but validate needs it.
    if (items?.withoutValue)
      report(
        at('foreach', items.name),
        'var-without-value',
        varWithoutValue(items.withoutValue, true),
        'value',
        context.mode === 'validate' ? 'warning' : 'error',
      );
    const ids = typeof entry.id === 'string' ? checkId(entry.id, entry, items, at, report) : [];
    checkStep(entry, at, items, ids, `step ${index + 1}`, shared);
  });
  // A value from a var is checked once per foreach item: say it once.
  const seen = new Set<string>();
  return out.filter((d) => {
    const key = `${d.line}:${d.col}:${d.rule}:${d.message}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
}

interface StepChecks {
  source: YamlSource;
  context: SemanticContext;
  report: Reporter;
  out: Diagnostic[];
  /** Every expanded id so far, and which step gave it (for the duplicate message). */
  seenIds: Map<string, string>;
  defaults: Raw;
}

/** The rules of one step (or step template, or step of a group), given the ids it expands to. */
function checkStep(
  step: Raw,
  at: (...rest: PathSegment[]) => PathSegment[],
  items: ForeachItems | undefined,
  ids: { id: string; where: PathSegment[] }[],
  name: string,
  shared: StepChecks,
): void {
  const { source, context, report, out, defaults } = shared;
  for (const { id, where } of ids) {
    const first = shared.seenIds.get(id);
    if (first === name) {
      report(where, 'duplicate-id', `the foreach items repeat, which gives step id "${id}" twice; list each item once`);
    } else if (first !== undefined) {
      report(where, 'duplicate-id', `duplicate step id "${id}" (also used by ${first}); step ids must be unique`);
    } else {
      shared.seenIds.set(id, name);
    }
  }

  checkGate(step, at, defaults, report);
  checkRollback(step, at, report);
  checkTraffic(step.run, at('run'), report);
  if (isRecord(step.rollback)) {
    checkTraffic(step.rollback, at('rollback'), report);
    if (isRecord(step.rollback.run)) checkTraffic(step.rollback.run, at('rollback', 'run'), report);
  }
  for (const key of ['precheck', 'verify', 'watch']) {
    checkHttpPatterns(step[key], at(key), report);
    checkIntervals(step[key], at(key), report);
    checkMetricChecks(step[key], at(key), report);
  }
  if (isRecord(step.rollback)) {
    checkHttpPatterns(step.rollback.verify, at('rollback', 'verify'), report);
    checkIntervals(step.rollback.verify, at('rollback', 'verify'), report);
    checkMetricChecks(step.rollback.verify, at('rollback', 'verify'), report);
  }
  for (const item of items?.items ?? [undefined]) checkTypedValues(step, at(), item, context, report);

  const verify = step.verify ?? defaults.verify;
  if (context.strict && verify === undefined) {
    report(at('id'), 'no-verify', `step "${String(step.id)}" has no verify; add a check that proves the step worked (--strict)`);
  }
  // validate only: run and plan do not repeat it on every load.
  if (context.mode === 'validate' && rollbackNeverVerified(step, verify)) {
    report(
      at('rollback'),
      'unverifiable-rollback',
      `the rollback of step "${String(step.id)}" can never be verified: it has no rollback.verify, and no verify that would fail once it is undone ("cutover rehearse" reports it as "rollback unverified"); add "verify:" under "rollback:"`,
      'key',
      'warning',
    );
  }
  if (step.watch !== undefined && step.bake === undefined) {
    report(at('watch'), 'watch-without-bake', 'watch checks run during the bake window; add "bake: <duration>" to this step', 'key', 'warning');
  }

  checkShellScripts(step, at, (path, index, length, message) => {
    const { line, col } = positionInScalar(source, path, index, length);
    out.push({ file: source.file, line, col, severity: 'error', rule: 'shell-context', message });
  });

  const scope = itemScope(items);
  for (const [key, value] of Object.entries(step)) {
    if (key === 'foreach') continue;
    checkReferences(source, value, at(key), scope, context, out);
  }
}

/**
 * `group: <id>` with `foreach:` and `steps:`: every step for one item, then the next item.
 * Each step of it becomes <group>-<label>-<step>, the label being the item (a scalar) or
 * the group's `label:` template (required for mapping items).
 */
function checkGroup(group: Raw, index: number, shared: StepChecks): void {
  const { report, context } = shared;
  const at = (...rest: PathSegment[]) => ['steps', index, ...rest];
  const label = typeof group.label === 'string' ? group.label : undefined;
  const items = foreachItems(group.foreach, context, label);
  if (items?.problem) report(at('foreach', items.name, ...(items.problemItem !== undefined ? [items.problemItem] : [])), 'foreach', items.problem);
  if (items?.mapping && label === undefined) {
    report(
      at('group'),
      'group-label',
      `the items of group "${String(group.group)}" are mappings: add "label:" with what each item adds to its step ids, such as label: "\${${items.name}.${[...items.fields][0] ?? 'name'}}"`,
      'key',
    );
  }
  const labelOk = label === undefined || checkLabel(label, items, at('label'), report);
  const groupId = typeof group.group === 'string' ? group.group : undefined;
  // Each item's label must make valid, short ids; the ids themselves are checked per step below.
  const labels = items?.items && labelOk && (label !== undefined || !items.mapping) ? items.items.map((item) => item.value) : undefined;
  const itemPath = (i: number) => (items?.literal ? at('foreach', items.name, i) : label !== undefined ? at('label') : at('foreach', items?.name ?? 'foreach'));
  const badLabel = new Set<number>();
  labels?.forEach((value, i) => {
    if (!ID_RE.test(value)) {
      badLabel.add(i);
      report(
        itemPath(i),
        'foreach-id',
        `item ${i + 1} of group "${groupId ?? '?'}" is labelled "${value}", which cannot be part of a step id; labels are lowercase letters, digits and dashes`,
      );
    }
    const twice = labels.indexOf(value);
    if (twice !== i) {
      badLabel.add(i);
      report(
        itemPath(i),
        'duplicate-id',
        `items ${twice + 1} and ${i + 1} of group "${groupId ?? '?'}" have the same label "${value}", which would give their steps the same ids; each item needs its own label`,
      );
    }
  });
  const steps = Array.isArray(group.steps) ? group.steps : [];
  steps.forEach((rawStep, j) => {
    const step = asRecord(rawStep);
    if (!step) return;
    const stepAt = (...rest: PathSegment[]) => at('steps', j, ...rest);
    const ids: { id: string; where: PathSegment[] }[] = [];
    if (groupId !== undefined && typeof step.id === 'string' && labels) {
      labels.forEach((value, i) => {
        if (badLabel.has(i)) return;
        const id = groupStepId(groupId, value, step.id as string);
        if (id.length > MAX_NAME_LENGTH) {
          report(
            itemPath(i),
            'id-length',
            `step id "${id.slice(0, 40)}…" (group "${groupId}", item ${i + 1}, step "${String(step.id)}") is ${id.length} characters long; ids name the step logs, so they are limited to ${MAX_NAME_LENGTH}`,
          );
          return;
        }
        ids.push({ id, where: stepAt('id') });
      });
    }
    checkStep(step, stepAt, items, ids, `step ${j + 1} of group "${groupId ?? '?'}"`, shared);
  });
}

/** A label names the item in step ids: only the item's own references, never a var (it would change the journal's keys between runs). */
function checkLabel(label: string, items: ForeachItems | undefined, path: PathSegment[], report: Reporter): boolean {
  const name = items?.name;
  const other = findReferences(label).find(
    (reference) => reference.kind !== 'var' || name === undefined || (reference.name !== name && !reference.name.startsWith(`${name}.`)),
  );
  if (other) {
    const text = label.slice(other.index, other.index + other.length);
    report(
      path,
      'id-reference',
      `label "${label}" may not contain "${text}"; a label becomes part of step ids, so the only references allowed in one are the group's item ("\${${name ?? 'item'}}" or "\${${name ?? 'item'}.field}")`,
    );
  }
  return other === undefined;
}

/** A step without `run:` is check-only (a gate): it needs a check, and has nothing to roll back. */
function checkGate(step: Raw, at: (...rest: PathSegment[]) => PathSegment[], defaults: Raw, report: Reporter): void {
  // A misspelled key ("rnu") is reported by the schema, with its "did you mean".
  if (step.run !== undefined || !('id' in step) || Object.keys(step).some((key) => !STEP_KEYS.includes(key))) return;
  const undo = ['rollback', 'irreversible'].find((key) => step[key] !== undefined);
  if (undo !== undefined) {
    // Something to undo means something is done: the run was forgotten, not a gate meant.
    report(
      at(),
      'missing-run',
      `missing required key "run": step "${String(step.id)}" has "${undo}:" but no "run:"; add what it does (only a check-only step, a gate, goes without "run:", and it has nothing to undo)`,
      'value',
    );
    return;
  }
  const checks = ['precheck', 'verify'].some((key) => step[key] !== undefined || defaults[key] !== undefined);
  if (!checks) {
    report(
      at('id'),
      'missing-run',
      `step "${String(step.id)}" has no "run:"; add what it does, or, for a check-only step (a gate), a "verify:" or "precheck:" that decides whether the run goes on`,
    );
  }
}

/** Ids key the journal: fixed names, valid and unique once foreach has expanded them. Returns the expanded ids (the duplicates are checked by the caller). */
function checkId(
  template: string,
  step: Raw,
  items: ForeachItems | undefined,
  at: (...rest: PathSegment[]) => PathSegment[],
  report: Reporter,
): { id: string; where: PathSegment[] }[] {
  const itemName = items?.name;
  const isItem = (reference: Reference) =>
    reference.kind === 'var' && itemName !== undefined && (items?.mapping ? reference.name.startsWith(`${itemName}.`) : reference.name === itemName);
  const references = findReferences(template);
  const hasItem = references.some(isItem);
  if (itemName !== undefined && !hasItem) {
    const wanted = items?.mapping ? `a field of the item, such as "\${${itemName}.${[...items.fields][0] ?? 'key'}}"` : `"\${${itemName}}"`;
    report(at('id'), 'foreach-id', `step id "${template}" must contain ${wanted} so each expanded step gets its own id`);
  }
  // Only the foreach item may vary an id; a var would change the journal's keys between runs.
  const other = references.find((reference) => !isItem(reference));
  if (other) {
    const text = template.slice(other.index, other.index + other.length);
    const allowed =
      itemName !== undefined
        ? `"\${${itemName}${items?.mapping ? '.field' : ''}}", the item of its foreach`
        : 'the item of a foreach (id: deploy-${app} with foreach: {app: [...]})';
    report(
      at('id'),
      'id-reference',
      `step id "${template}" may not contain "${text}"; ids key the journal, so the only reference allowed in one is ${allowed}`,
    );
  }
  // Without the item in the id, every expanded id is the template: reported above, once.
  const expanded = hasItem && !other ? items?.items : undefined;
  const itemAt = (i: number) => (items?.literal ? at('foreach', items.name, i) : at('foreach', items?.name ?? 'foreach'));
  const ids = expanded ? expanded.map((item) => expandWith(template, item)) : [template];
  const out: { id: string; where: PathSegment[] }[] = [];
  ids.forEach((id, i) => {
    if (expanded && !ID_RE.test(id)) {
      // The schema checked the template; each item must also make a valid id.
      const item = expanded[i] as ForeachItem;
      report(
        itemAt(i),
        'foreach-id',
        `foreach item ${item.fields ? `${i + 1} (${item.value})` : `"${item.value}"`} makes step id "${id}", which is not a valid id; items used in an id must be lowercase letters, digits and dashes`,
      );
      return;
    }
    if (id.length > MAX_NAME_LENGTH) {
      report(
        expanded && items?.literal ? itemAt(i) : at('id'),
        'id-length',
        `step id "${id.slice(0, 40)}…" is ${id.length} characters long; ids name the step logs, so they are limited to ${MAX_NAME_LENGTH}`,
      );
      return;
    }
    out.push({ id, where: at('id') });
  });
  return out;
}

function checkRollback(step: Raw, at: (...rest: PathSegment[]) => PathSegment[], report: Reporter): void {
  const run = step.run;
  const isTraffic = isRecord(run) && TRAFFIC_KINDS.some((kind) => kind in run);
  const rollback = step.rollback;
  const reason = step.irreversible;
  if (rollback === 'none') {
    if (reason === undefined) {
      report(at('rollback'), 'rollback-none-reason', `"rollback: none" needs a reason: add "irreversible: <why this step cannot be undone>"`);
    }
    return;
  }
  if (rollback === undefined) {
    if (reason === undefined && !isTraffic && run !== undefined) {
      report(
        at('id'),
        'missing-rollback',
        `step "${String(step.id)}" has no rollback; add "rollback:" with how to undo it, or "rollback: none" with "irreversible: <reason>"`,
      );
    }
    return;
  }
  if (reason !== undefined) {
    report(
      at('irreversible'),
      'irreversible-with-rollback',
      'a step with a rollback is not irreversible; remove "irreversible" or set "rollback: none"',
      'key',
    );
  }
  // {run, verify} without run (an action mapping has its own kind's key instead).
  if (isRecord(rollback) && !('run' in rollback) && !ACTION_KEYS.some((kind) => kind in rollback) && !isTraffic) {
    const what = 'verify' in rollback ? 'only has "verify"' : 'is empty';
    report(at('rollback'), 'rollback-without-run', `this rollback ${what}; add "run:" with how to undo the step (only route53/elbv2 steps derive it)`);
  }
}

/**
 * An explicit rollback of a non-traffic step, with neither `rollback.verify` nor the step's
 * `verify` (which a rehearsal runs after the rollback, expecting it to fail). Traffic steps
 * are checked against the captured state; `rollback: none` has nothing to check.
 */
function rollbackNeverVerified(step: Raw, verify: unknown): boolean {
  const run = step.run;
  const rollback = step.rollback;
  if (isRecord(run) && TRAFFIC_KINDS.some((kind) => kind in run)) return false;
  if (rollback === undefined || rollback === 'none' || verify !== undefined) return false;
  return !(isRecord(rollback) && rollback.verify !== undefined);
}

type Reporter = (path: readonly PathSegment[], rule: string, message: string, part?: 'key' | 'value', severity?: Severity) => void;

/**
 * No check of Route 53 weights that are all 0: a step names only the sets it changes, and
 * whether the weights after it are all 0 depends on the live sets it does not name, which
 * only the run-time check (on the merged weights) can see.
 */
function checkTraffic(action: unknown, path: PathSegment[], report: Reporter): void {
  if (!isRecord(action)) return;
  const elbv2 = asRecord(action.elbv2);
  if (elbv2) {
    const hasListener = elbv2.listener !== undefined;
    const hasRule = elbv2.rule !== undefined;
    if (hasListener === hasRule) {
      report(
        [...path, 'elbv2'],
        'elbv2-target',
        hasListener ? 'give either "listener" or "rule", not both' : 'elbv2 needs "listener: <arn>" (default action) or "rule: <arn>"',
        'key',
      );
    }
  }
}

/** `interval` only spaces the attempts of `retryFor`; alone it does nothing, which is surely not what was meant. */
function checkIntervals(check: unknown, path: PathSegment[], report: Reporter): void {
  const checks = Array.isArray(check) ? check : [check];
  checks.forEach((item, i) => {
    if (!isRecord(item) || item.interval === undefined || item.retryFor !== undefined) return;
    const at = Array.isArray(check) ? [...path, i, 'interval'] : [...path, 'interval'];
    report(at, 'interval-without-retry', '"interval" has no effect without "retryFor: <duration>" next to it (how long to keep trying)', 'key', 'warning');
  });
}

function checkHttpPatterns(check: unknown, path: PathSegment[], report: Reporter): void {
  const checks = Array.isArray(check) ? check : [check];
  checks.forEach((item, i) => {
    const http = isRecord(item) ? asRecord(item.http) : undefined;
    if (!http || typeof http.bodyMatches !== 'string') return;
    try {
      new RegExp(http.bodyMatches);
    } catch (error) {
      const at = Array.isArray(check) ? [...path, i, 'http', 'bodyMatches'] : [...path, 'http', 'bodyMatches'];
      report(at, 'bad-regex', `bodyMatches is not a valid regular expression: ${(error as Error).message}`);
    }
  });
}

interface ForeachItems {
  name: string;
  /** Undefined when the values are not known (a problem, or a list var without a value). */
  items?: ForeachItem[];
  problem?: string;
  /** The item the problem is about, in a literal list. */
  problemItem?: number;
  /** A list written in the runbook (positions per item), not a list variable. */
  literal: boolean;
  /** The items are mappings: their fields are read as ${name.field}. */
  mapping: boolean;
  fields: Set<string>;
  /** The list var, when it has no value. */
  withoutValue?: string;
}

function foreachItems(rawForeach: unknown, context: SemanticContext, label?: string): ForeachItems | undefined {
  const foreach = asRecord(rawForeach);
  if (!foreach) return undefined;
  const [entry] = Object.entries(foreach);
  if (!entry) return undefined;
  const [name, raw] = entry;
  const none = { name, literal: Array.isArray(raw), mapping: false, fields: new Set<string>() };
  if (context.vars.has(name)) return { ...none, problem: `foreach item "${name}" has the name of a variable; pick another name` };
  if (name === 'env') return { ...none, problem: 'a foreach item cannot be called "env": ${env.NAME} reads the environment; pick another name' };
  if (Array.isArray(raw)) {
    const mappings = raw.filter(isRecord);
    if (mappings.length === 0) return { ...none, items: foreachItemsOf(name, raw, () => undefined, label) };
    if (mappings.length !== raw.length) return { ...none, problem: 'foreach items are all scalars or all mappings, not a mix' };
    // Every item has the same fields, so a reference to one means the same in every expanded step.
    const fields = new Set(mappings.flatMap((item) => Object.keys(item)));
    const info = { ...none, mapping: true, fields };
    for (const [i, item] of mappings.entries()) {
      const missing = [...fields].find((field) => !(field in item));
      if (missing !== undefined)
        return { ...info, problemItem: i, problem: `foreach item ${i + 1} has no "${missing}"; give every item the same keys (${[...fields].join(', ')})` };
      const bad = Object.entries(item).find(([, value]) => typeof value === 'object' && value !== null);
      if (bad) return { ...info, problemItem: i, problem: `"${bad[0]}" of foreach item ${i + 1} is not a scalar; a field is a string, a number or true/false` };
    }
    return { ...info, items: foreachItemsOf(name, raw, () => undefined, label) };
  }
  if (typeof raw === 'string') {
    const match = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(raw);
    if (!match) return { ...none, problem: 'foreach takes a list or a single list variable, as "${name}"' };
    const varName = match[1] as string;
    if (!context.vars.has(varName)) return { ...none, problem: unknownVarMessage(varName, context) };
    if (context.secretVars?.has(varName)) {
      return {
        ...none,
        problem: `variable "${varName}" is secret, and foreach makes each item part of a step id, which status, the journal and its cache show in clear; iterate over a list that is not secret (use the secret inside the step)`,
      };
    }
    const value = context.vars.get(varName);
    if (value === undefined) return { ...none, withoutValue: varName };
    if (!Array.isArray(value)) return { ...none, problem: `variable "${varName}" is not a list; foreach needs a list such as [a, b]` };
    if (value.length === 0) return { ...none, problem: `variable "${varName}" is an empty list; foreach needs at least one item` };
    return { ...none, items: foreachItemsOf(name, raw, (list) => context.vars.get(list), label) };
  }
  return none;
}

/** The references a foreach makes available: `${name}` for scalars, `${name.field}` for mappings. */
function itemScope(items: ForeachItems | undefined): ItemScope {
  if (!items) return { names: new Set() };
  return items.mapping
    ? { names: new Set([...items.fields].map((field) => `${items.name}.${field}`)), mapping: items.name, fields: items.fields }
    : { names: new Set([items.name]), scalar: items.name };
}

interface ItemScope {
  names: Set<string>;
  /** The item is a mapping of these fields: "${name}" alone means nothing. */
  mapping?: string;
  fields?: Set<string>;
  scalar?: string;
}

const DURATION_KEYS = new Set(['timeout', 'bake', 'delay', 'wait', 'retryFor', 'interval']);
const WEIGHT_MAX: Record<string, number> = { route53: ROUTE53_MAX_WEIGHT, elbv2: ELBV2_MAX_WEIGHT };

/**
 * Weights and durations given as one reference ("${pct}", "${step.bake}") are typed once
 * their value is known: for each foreach item, and for vars with a value. Checked here,
 * with the position of the field and the item or variable that gave the value.
 */
function checkTypedValues(value: unknown, path: PathSegment[], item: ForeachItem | undefined, context: SemanticContext, report: Reporter, depth = 0): void {
  if (depth > 16) return;
  if (Array.isArray(value)) {
    value.forEach((inner, i) => checkTypedValues(inner, [...path, i], item, context, report, depth + 1));
    return;
  }
  if (!isRecord(value)) return;
  for (const [key, inner] of Object.entries(value)) {
    // Maps of names to text: a key called "timeout" there is not a duration.
    if (key === 'env' || key === 'headers' || key === 'foreach') continue;
    if (key === 'weights' && isRecord(inner)) {
      const max = WEIGHT_MAX[String(path.at(-1))] ?? ELBV2_MAX_WEIGHT;
      const service = path.at(-1) === 'route53' ? 'Route 53' : 'ELBv2';
      for (const [name, weight] of Object.entries(inner)) {
        if (typeof weight !== 'string' || !isWholeReference(weight)) continue;
        const found = referenceValue(weight, item, context);
        if (found === undefined) continue;
        const number = Number(found.value);
        if (found.value.trim() === '' || !Number.isInteger(number) || number < 0 || number > max) {
          report(
            [...path, key, name],
            'bad-weight',
            `weight "${weight}" is ${JSON.stringify(found.value)} (${found.from}); ${service} weights are whole numbers from 0 to ${max}`,
          );
        }
      }
      continue;
    }
    if (DURATION_KEYS.has(key) && typeof inner === 'string' && isWholeReference(inner)) {
      const found = referenceValue(inner, item, context);
      if (found === undefined) continue;
      const ms = parseDuration(found.value);
      if (ms === undefined)
        report(
          [...path, key],
          'bad-duration',
          `${key} "${inner}" is ${JSON.stringify(found.value)} (${found.from}), which is not a duration; write it like 30s, 15m or 1h30m (a unit is required)`,
        );
      else if (ms > MAX_DURATION_MS)
        report([...path, key], 'bad-duration', `${key} "${inner}" is ${found.value} (${found.from}), longer than 365d, the longest duration cutover accepts`);
      continue;
    }
    checkTypedValues(inner, [...path, key], item, context, report, depth + 1);
  }
}

/** The value of a whole-reference field, and where it came from; undefined when not known yet (validate) or reported elsewhere. */
function referenceValue(text: string, item: ForeachItem | undefined, context: SemanticContext): { value: string; from: string } | undefined {
  const [reference] = findReferences(text);
  if (!reference || reference.kind === 'malformed') return undefined;
  const describe = (it: ForeachItem, i?: string) => `foreach item ${it.fields ? it.value : JSON.stringify(it.value)}${i ?? ''}`;
  if (reference.kind === 'env') {
    const value = ownValue(context.env, reference.name);
    return value === undefined ? undefined : { value, from: `environment variable ${reference.name}` };
  }
  if (item && reference.name === item.name && !item.fields) return { value: item.value, from: describe(item) };
  if (item?.fields && reference.name.startsWith(`${item.name}.`)) {
    const value = ownValue(item.fields, reference.name.slice(item.name.length + 1));
    return value === undefined ? undefined : { value, from: describe(item) };
  }
  const value = context.vars.get(reference.name);
  return typeof value === 'string' ? { value, from: `variable "${reference.name}"` } : undefined;
}

function checkReferences(
  source: YamlSource,
  value: unknown,
  path: PathSegment[],
  scopeOrNames: ItemScope | Set<string>,
  context: SemanticContext,
  out: Diagnostic[],
): void {
  const scope = scopeOrNames instanceof Set ? { names: scopeOrNames } : scopeOrNames;
  walkStrings(value, path, (text, at, isKey) => {
    for (const reference of findReferences(text)) {
      // Positions are costly on large runbooks: computed only for a reference with a problem.
      const push = (rule: string, message: string, severity: Severity = 'error') => {
        // A reference in a key is reported at the key (keys may be quoted, so no column inside it).
        const { line, col } = isKey ? positionOf(source, at, 'key') : positionInScalar(source, at, reference.index, reference.length);
        out.push({ file: source.file, line, col, severity, rule, message });
      };
      if (reference.kind === 'malformed') {
        push(
          'bad-reference',
          `"${reference.text}" is not a reference; write \${name} for a var, \${env.NAME} for the environment, or $\${ for a literal "\${"`,
        );
      } else if (reference.kind === 'env') {
        const value = ownValue(context.env, reference.name);
        if (value === undefined) {
          if (context.mode !== 'read')
            push('unset-env', `environment variable ${reference.name} is not set; export it before running`, context.mode === 'validate' ? 'warning' : 'error');
        } else if (value.includes('\u0000')) {
          push('nul-in-value', `environment variable ${reference.name} contains a NUL byte, which no command can carry; fix its value`);
        }
      } else if (scope.names.has(reference.name)) {
        continue;
      } else if (scope.mapping !== undefined && reference.name === scope.mapping) {
        push(
          'mapping-item',
          `foreach item "${scope.mapping}" is a mapping; use one of its fields: ${[...(scope.fields ?? [])].map((field) => `\${${scope.mapping ?? ''}.${field}}`).join(', ')}`,
        );
      } else if (reference.name.includes('.')) {
        const [base = '', field = ''] = reference.name.split('.');
        const message =
          base === scope.mapping
            ? `foreach item "${base}" has no field "${field}"; its fields are ${[...(scope.fields ?? [])].join(', ')}`
            : base === scope.scalar
              ? `foreach item "${base}" is not a mapping, so it has no fields; write \${${base}}`
              : context.vars.has(base)
                ? `variable "${base}" has no fields; \${name.field} reads a field of a foreach item that is a mapping`
                : `"\${${reference.name}}" reads a field of a foreach item, and no foreach here has an item "${base}"`;
        push('unknown-var', message);
      } else if (!context.vars.has(reference.name)) {
        push('unknown-var', unknownVarMessage(reference.name, context, scope.names));
      } else {
        const varValue = context.vars.get(reference.name);
        if (varValue === undefined) {
          if (context.mode !== 'read') push('var-without-value', varWithoutValue(reference.name), context.mode === 'validate' ? 'warning' : 'error');
        } else if (Array.isArray(varValue)) {
          push('list-var-in-string', `variable "${reference.name}" is a list; use it in "foreach: {item: \${${reference.name}}}", not inside a string`);
        }
      }
    }
  });
}

/** A foreach list var cannot come from --var (it sets a string): its message says so (and isListVarWithoutValue recognises it). */
function varWithoutValue(name: string, list = false): string {
  return list
    ? `variable "${name}" has no value; it is a list, which --var cannot set: put it in a --vars-file (${name}: [a, b]) or give it a default`
    : `variable "${name}" has no value; pass --var ${name}=... or give it a default`;
}

/** A var-without-value message about a list var (see varWithoutValue). */
export function isListVarWithoutValue(message: string): boolean {
  return message.includes('; it is a list, which --var cannot set');
}

function unknownVarMessage(name: string, context: SemanticContext, scope: Set<string> = new Set()): string {
  const guess = closest(name, [...context.vars.keys(), ...scope]);
  const hint = guess ? `did you mean "\${${guess}}"? ` : '';
  return `unknown variable "${name}"; ${hint}declare it under "vars:", use \${env.${name}} for the environment, or write $\${${name}} to pass it to the shell literally`;
}

/** Every string value, and the keys of `weights:` mappings (the only keys that take references). */
function walkStrings(value: unknown, path: PathSegment[], visit: (text: string, path: PathSegment[], isKey: boolean) => void, depth = 0): void {
  if (depth > 64) return;
  if (typeof value === 'string') visit(value, path, false);
  else if (Array.isArray(value)) value.forEach((item, i) => walkStrings(item, [...path, i], visit, depth + 1));
  else if (isRecord(value)) {
    const weightKeys = path.at(-1) === 'weights';
    for (const [key, item] of Object.entries(value)) {
      if (weightKeys) visit(key, [...path, key], true);
      walkStrings(item, [...path, key], visit, depth + 1);
    }
  }
}

function visitNul(value: unknown, path: PathSegment[], found: (path: PathSegment[], isKey: boolean) => void, depth = 0): void {
  if (depth > 64) return;
  if (typeof value === 'string') {
    if (value.includes('\u0000')) found(path, false);
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => visitNul(item, [...path, i], found, depth + 1));
  } else if (isRecord(value)) {
    for (const [key, item] of Object.entries(value)) {
      if (key.includes('\u0000')) found([...path, key], true);
      visitNul(item, [...path, key], found, depth + 1);
    }
  }
}

function isRecord(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asRecord(value: unknown): Raw | undefined {
  return isRecord(value) ? value : undefined;
}
