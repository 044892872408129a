/**
 * Rules that need more than one field: step ids, rollbacks, variables, weights. They run
 * on the raw data even when the schema found problems, so every problem is reported at
 * once; each guards against the shapes the schema would also reject.
 */
import type { Diagnostic, Severity } from './diagnostics.js';
import { findReferences } from './interpolate.js';
import { positionInScalar, positionOf } from './source.js';
import type { PathSegment, YamlSource } from './source.js';
import { closest } from './suggest.js';
import type { VarValue } from './variables.js';
import { expandItem } from './foreach.js';
import { ID_PATTERN, MAX_NAME_LENGTH } from './schema.js';
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
  if (JSON.stringify(root).includes('\\u0000')) visitNul(root, [], (path, isKey) => report(path, 'nul-in-value', 'this text contains a NUL byte (a YAML escape such as "\\0"), which no command or environment variable can carry; remove it', isKey ? 'key' : 'value'));

  checkReferences(source, root.env, ['env'], new Set(), context, out);
  // Where the journal is, and how to reach it: every command uses these values.
  const locating = context.mode === 'read' ? { ...context, mode: 'resolve' as const } : context;
  checkReferences(source, root.aws, ['aws'], new Set(), locating, out);
  checkReferences(source, root.journal, ['journal'], new Set(), locating, out);

  const steps = Array.isArray(root.steps) ? root.steps : [];
  const seenIds = new Map<string, number>();
  steps.forEach((rawStep, index) => {
    const step = asRecord(rawStep);
    if (!step) return;
    const at = (...rest: PathSegment[]) => ['steps', index, ...rest];
    const items = foreachItems(step, context);
    const itemName = items?.name;
    if (items?.problem) report(at('foreach', items.name), 'foreach', items.problem);
    // Without its list the step has no ids at all: every command but validate needs it.
    if (items?.withoutValue) report(at('foreach', items.name), 'var-without-value', varWithoutValue(items.withoutValue), 'value', context.mode === 'validate' ? 'warning' : 'error');

    if (typeof step.id === 'string') checkId(step.id, step, items, index, seenIds, at, report);

    checkRollback(step, at, report);
    checkTraffic(step.run, at('run'), report);
    if (isRecord(step.rollback)) {
      checkTraffic(step.rollback, at('rollback'), report);
      if (isRecord(step.rollback.run)) checkTraffic(step.rollback.run, at('rollback', 'run'), report);
    }
    for (const key of ['precheck', 'verify', 'watch']) {
      checkHttpPatterns(step[key], at(key), report);
      checkIntervals(step[key], at(key), report);
    }
    if (isRecord(step.rollback)) {
      checkHttpPatterns(step.rollback.verify, at('rollback', 'verify'), report);
      checkIntervals(step.rollback.verify, at('rollback', 'verify'), report);
    }

    if (context.strict && step.verify === undefined) {
      report(at('id'), 'no-verify', `step "${String(step.id)}" has no verify; add a check that proves the step worked (--strict)`);
    }
    // validate only: run and plan do not repeat it on every load.
    if (context.mode === 'validate' && rollbackNeverVerified(step)) {
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

    const scope = new Set(itemName !== undefined ? [itemName] : []);
    for (const [key, value] of Object.entries(step)) {
      if (key === 'foreach') continue;
      checkReferences(source, value, at(key), scope, context, out);
    }
  });
  return out;
}

/** Ids key the journal: fixed names, valid and unique once foreach has expanded them. */
function checkId(template: string, step: Raw, items: ForeachItems | undefined, index: number, seenIds: Map<string, number>, at: (...rest: PathSegment[]) => PathSegment[], report: Reporter): void {
  const itemName = items?.name;
  const hasItem = itemName !== undefined && template.includes(`\${${itemName}}`);
  if (itemName !== undefined && !hasItem) {
    report(at('id'), 'foreach-id', `step id "${template}" must contain "\${${itemName}}" so each expanded step gets its own id`);
  }
  // Only the foreach item may vary an id; a var would change the journal's keys between runs.
  const other = findReferences(template).find((reference) => reference.kind !== 'var' || reference.name !== itemName);
  if (other) {
    const text = template.slice(other.index, other.index + other.length);
    const allowed = itemName !== undefined ? `"\${${itemName}}", the item of its foreach` : 'the item of a foreach (id: deploy-${app} with foreach: {app: [...]})';
    report(at('id'), 'id-reference', `step id "${template}" may not contain "${text}"; ids key the journal, so the only reference allowed in one is ${allowed}`);
  }
  // Without the item in the id, every expanded id is the template: reported above, once.
  const expanded = hasItem && items?.values ? { name: items.name, values: items.values } : undefined;
  const ids = expanded ? expanded.values.map((value) => expandItem(template, expanded.name, value)) : [template];
  if (expanded) {
    // The schema checked the template; each item must also make a valid id.
    const literal = Array.isArray(asRecord(step.foreach)?.[expanded.name]);
    ids.forEach((id, i) => {
      if (ID_RE.test(id)) return;
      const where = literal ? at('foreach', expanded.name, i) : at('foreach', expanded.name);
      report(where, 'foreach-id', `foreach item "${String(expanded.values[i])}" makes step id "${id}", which is not a valid id; items used in an id must be lowercase letters, digits and dashes`);
    });
  }
  ids.forEach((id, i) => {
    if (id.length <= MAX_NAME_LENGTH) return;
    const where = expanded && Array.isArray(asRecord(step.foreach)?.[expanded.name]) ? at('foreach', expanded.name, i) : at('id');
    report(where, 'id-length', `step id "${id.slice(0, 40)}…" is ${id.length} characters long; ids name the step logs, so they are limited to ${MAX_NAME_LENGTH}`);
  });
  for (const id of ids) {
    const first = seenIds.get(id);
    if (first === index) {
      report(at('id'), 'duplicate-id', `the foreach items repeat, which gives step id "${id}" twice; list each item once`);
    } else if (first !== undefined) {
      report(at('id'), 'duplicate-id', `duplicate step id "${id}" (also used by step ${first + 1}); step ids must be unique`);
    } else {
      seenIds.set(id, index);
    }
  }
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
      report(at('id'), 'missing-rollback', `step "${String(step.id)}" has no rollback; add "rollback:" with how to undo it, or "rollback: none" with "irreversible: <reason>"`);
    }
    return;
  }
  if (reason !== undefined) {
    report(at('irreversible'), 'irreversible-with-rollback', 'a step with a rollback is not irreversible; remove "irreversible" or set "rollback: none"', 'key');
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
function rollbackNeverVerified(step: Raw): boolean {
  const run = step.run;
  const rollback = step.rollback;
  if (isRecord(run) && TRAFFIC_KINDS.some((kind) => kind in run)) return false;
  if (rollback === undefined || rollback === 'none' || step.verify !== undefined) return false;
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
      report([...path, 'elbv2'], 'elbv2-target', hasListener ? 'give either "listener" or "rule", not both' : 'elbv2 needs "listener: <arn>" (default action) or "rule: <arn>"', 'key');
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
  values?: string[];
  problem?: string;
  /** The list var, when it has no value. */
  withoutValue?: string;
}

function foreachItems(step: Raw, context: SemanticContext): ForeachItems | undefined {
  const foreach = asRecord(step.foreach);
  if (!foreach) return undefined;
  const [entry] = Object.entries(foreach);
  if (!entry) return undefined;
  const [name, raw] = entry;
  if (context.vars.has(name)) return { name, problem: `foreach item "${name}" has the name of a variable; pick another name` };
  if (Array.isArray(raw)) return { name, values: raw.map(String) };
  if (typeof raw === 'string') {
    const match = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(raw);
    if (!match) return { name, problem: 'foreach takes a list or a single list variable, as "${name}"' };
    const varName = match[1] as string;
    if (!context.vars.has(varName)) return { name, problem: unknownVarMessage(varName, context) };
    if (context.secretVars?.has(varName)) {
      return { name, problem: `variable "${varName}" is secret, and foreach makes each item part of a step id, which status, the journal and its cache show in clear; iterate over a list that is not secret (use the secret inside the step)` };
    }
    const value = context.vars.get(varName);
    if (value === undefined) return { name, withoutValue: varName };
    if (!Array.isArray(value)) return { name, problem: `variable "${varName}" is not a list; foreach needs a list such as [a, b]` };
    if (value.length === 0) return { name, problem: `variable "${varName}" is an empty list; foreach needs at least one item` };
    return { name, values: value };
  }
  return { name };
}

function checkReferences(source: YamlSource, value: unknown, path: PathSegment[], scope: Set<string>, context: SemanticContext, out: Diagnostic[]): void {
  walkStrings(value, path, (text, at, isKey) => {
    for (const reference of findReferences(text)) {
      // Positions are costly on large runbooks: computed only for a reference with a problem.
      const push = (rule: string, message: string, severity: Severity = 'error') => {
        // A reference in a key is reported at the key (keys may be quoted, so no column inside it).
        const { line, col } = isKey ? positionOf(source, at, 'key') : positionInScalar(source, at, reference.index, reference.length);
        out.push({ file: source.file, line, col, severity, rule, message });
      };
      if (reference.kind === 'malformed') {
        push('bad-reference', `"${reference.text}" is not a reference; write \${name} for a var, \${env.NAME} for the environment, or $\${ for a literal "\${"`);
      } else if (reference.kind === 'env') {
        const value = ownValue(context.env, reference.name);
        if (value === undefined) {
          if (context.mode !== 'read') push('unset-env', `environment variable ${reference.name} is not set; export it before running`, context.mode === 'validate' ? 'warning' : 'error');
        } else if (value.includes('\u0000')) {
          push('nul-in-value', `environment variable ${reference.name} contains a NUL byte, which no command can carry; fix its value`);
        }
      } else if (scope.has(reference.name)) {
        continue;
      } else if (!context.vars.has(reference.name)) {
        push('unknown-var', unknownVarMessage(reference.name, context, scope));
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

function varWithoutValue(name: string): string {
  return `variable "${name}" has no value; pass --var ${name}=... or give it a default`;
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
