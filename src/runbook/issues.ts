/** Turns zod's issues into positioned diagnostics with messages that name the fix. */
import type { z } from 'zod';
import type { Diagnostic } from './diagnostics.js';
import { positionOf } from './source.js';
import type { PathSegment, YamlSource } from './source.js';
import { closest } from './suggest.js';

type Issue = z.core.$ZodIssue;

export function issuesToDiagnostics(source: YamlSource, issues: readonly Issue[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const issue of withoutTypoedKeys(source, issues, [])) collect(source, issue, [], out);
  return dedupe(out);
}

function collect(source: YamlSource, issue: Issue, base: PathSegment[], out: Diagnostic[]): void {
  const path = [...base, ...(issue.path as PathSegment[])];
  const push = (at: readonly PathSegment[], part: 'key' | 'value', rule: string, message: string) => {
    const { line, col } = positionOf(source, at, part);
    out.push({ file: source.file, line, col, severity: 'error', rule, message });
  };
  switch (issue.code) {
    case 'unrecognized_keys': {
      const messages = issue.message.split('\n');
      issue.keys.forEach((key, i) => push([...path, key], 'key', 'unknown-key', messages[i] ?? `unknown key "${key}"`));
      return;
    }
    case 'invalid_union': {
      const value = valueAt(source.data, path);
      const key = path[path.length - 1];
      if (value === undefined && typeof key === 'string') {
        // A required key whose value may take several shapes (run): it is simply missing.
        push(path, 'key', 'missing-key', `missing required key "${key}"`);
        return;
      }
      const branch = pickBranch(issue.errors, value);
      if (branch) {
        for (const inner of withoutTypoedKeys(source, branch, path)) collect(source, inner, path, out);
      } else {
        push(path, 'value', 'invalid-value', describeUnion(path, valueAt(source.data, path)));
      }
      return;
    }
    case 'invalid_type': {
      const value = valueAt(source.data, path);
      if (value === undefined) {
        const key = path[path.length - 1];
        push(
          path,
          'key',
          'missing-key',
          typeof key === 'string' ? `missing required key "${key}"${isDefaultMessage(issue.message) ? '' : `: ${issue.message}`}` : issue.message,
        );
      } else {
        const message = isDefaultMessage(issue.message) ? `expected ${article(issue.expected)}, got ${describeValue(value)}` : issue.message;
        push(path, 'value', 'invalid-type', `${label(path)}${message}`);
      }
      return;
    }
    case 'invalid_key': {
      // A bad key of a record (a var or env name): point at the key, with the key schema's message.
      const message = issue.issues.map((inner) => inner.message).find((m) => !isDefaultMessage(m)) ?? 'is not a valid name: use letters, digits and _';
      push(path, 'key', 'invalid-key', `${label(path)}${message}`);
      return;
    }
    default:
      push(path, 'value', 'invalid-value', `${label(path)}${friendly(issue)}`);
  }
}

/**
 * A missing required key next to an unknown key that is a near miss of it is one mistake,
 * a typo: report it once, as the unknown key with its "did you mean".
 */
function withoutTypoedKeys(source: YamlSource, issues: readonly Issue[], base: readonly PathSegment[]): Issue[] {
  return withoutNestedGroupNoise(issues.filter((issue) => !isMisspelledKey(source, issue, base, issues)));
}

/** A group inside a group is one mistake: say that, not also that its keys are not a step's. */
function withoutNestedGroupNoise(issues: Issue[]): Issue[] {
  const nested = issues
    .filter((issue) => issue.path.at(-1) === 'group' && issue.code === 'invalid_type' && issue.expected === 'never')
    .map((issue) => issue.path.slice(0, -1));
  if (nested.length === 0) return issues;
  const inside = (issue: Issue, parent: readonly PropertyKey[]) =>
    issue.path.length >= parent.length && parent.every((segment, i) => issue.path[i] === segment);
  return issues.filter(
    (issue) => !nested.some((parent) => inside(issue, parent) && !(issue.path.length === parent.length + 1 && issue.path.at(-1) === 'group')),
  );
}

/** Whether issue reports a missing key that an unrecognized sibling key misspells. */
function isMisspelledKey(source: YamlSource, issue: Issue, base: readonly PathSegment[], siblings: readonly Issue[]): boolean {
  const key = issue.path[issue.path.length - 1];
  if (typeof key !== 'string' || (issue.code !== 'invalid_type' && issue.code !== 'invalid_union')) return false;
  if (valueAt(source.data, [...base, ...(issue.path as PathSegment[])]) !== undefined) return false;
  const parent = issue.path.slice(0, -1);
  return siblings.some(
    (other) => other.code === 'unrecognized_keys' && samePath(other.path, parent) && other.keys.some((unknown) => closest(unknown, [key]) !== undefined),
  );
}

function samePath(a: readonly PropertyKey[], b: readonly PropertyKey[]): boolean {
  return a.length === b.length && a.every((segment, i) => segment === b[i]);
}

/**
 * zod reports a failed union as one issue list per option. The option the author meant
 * is the one that recognised the most of the value's keys (an `{sh: ...}` mapping with a
 * typo meant the sh option, not the string one).
 */
function pickBranch(branches: Issue[][], value: unknown): Issue[] | undefined {
  const isMapping = typeof value === 'object' && value !== null && !Array.isArray(value);
  // An empty mapping chose no option: describe them all rather than guess the first.
  if (isMapping && Object.keys(value).length === 0) return undefined;
  let best: Issue[] | undefined;
  let bestScore = -Infinity;
  for (const branch of branches) {
    if (branch.some(isRootTypeMismatch)) continue;
    const unknownKeys = branch.flatMap((i) => (i.path.length === 0 && i.code === 'unrecognized_keys' ? i.keys : []));
    const unknownAtRoot = unknownKeys.length;
    const keys = isMapping ? Object.keys(value).length : 0;
    // A missing key that one of the unknown keys misspells ({rout53: ...}) is the option meant.
    const missingDiscriminator = branch.some(
      (i) =>
        i.path.length === 1 &&
        i.code === 'invalid_type' &&
        isMapping &&
        !(String(i.path[0]) in value) &&
        !unknownKeys.some((k) => closest(k, [String(i.path[0])]) !== undefined),
    );
    const score = (keys - unknownAtRoot) * 10 - (missingDiscriminator ? 5 : 0) - branch.length;
    if (score > bestScore) {
      best = branch;
      bestScore = score;
    }
  }
  return best;
}

/** The option expects another type of value; a nested union counts when all its options do. */
function isRootTypeMismatch(issue: Issue): boolean {
  if (issue.path.length > 0) return false;
  if (issue.code === 'invalid_union') return issue.errors.every((branch) => branch.some(isRootTypeMismatch));
  return issue.code === 'invalid_type' || issue.code === 'invalid_value';
}

function describeUnion(path: readonly PathSegment[], value: unknown): string {
  const key = [...path].reverse().find((s) => typeof s === 'string');
  const got = describeValue(value);
  switch (key) {
    case 'run':
      return `"run" must be a shell script string or a mapping with one of: sh, exec, manual, wait, route53, elbv2 (got ${got})`;
    case 'rollback':
      return `"rollback" must be "none", a shell script, an action mapping, or {run, verify} (got ${got})`;
    case 'precheck':
    case 'verify':
    case 'watch':
      return `"${key}" must be a shell script string, a mapping with one of: sh, exec, http, elbv2TargetHealth, cloudwatchAlarm, cloudwatchMetric, prometheus, or a list of those (got ${got})`;
    default:
      // Record values (a var, a foreach item) are named by their key, so look at the parent too.
      if (path[path.length - 2] === 'foreach')
        return `foreach takes a list (of scalars, or of mappings), or a single list variable, as "\${name}" (got ${got})`;
      if (path[path.length - 2] === 'weights')
        return `${label(path)}a weight is a whole number from 0 to ${path.includes('route53') ? 255 : 999}, or one reference such as "\${pct}" (got ${got})`;
      if (path[path.length - 2] === 'vars')
        return `${label(path)}a variable is a string, a number, true/false, a list, or {default, description, secret, env} (got ${got})`;
      if (path[path.length - 1] === 'default') return `"default" is a string, a number, true/false or a list (got ${got})`;
      return `${label(path)}${got} is not allowed here`;
  }
}

function friendly(issue: Issue): string {
  if (!isDefaultMessage(issue.message)) return issue.message;
  switch (issue.code) {
    case 'too_small':
      return issue.origin === 'array'
        ? `needs at least ${String(issue.minimum)} item(s)`
        : issue.origin === 'string'
          ? 'must not be empty'
          : `must be at least ${String(issue.minimum)}`;
    case 'too_big':
      return issue.origin === 'array' ? `allows at most ${String(issue.maximum)} item(s)` : `must be at most ${String(issue.maximum)}`;
    case 'invalid_value':
      return `must be one of: ${issue.values.map((v) => String(v)).join(', ')}`;
    case 'invalid_format':
      return issue.format === 'regex'
        ? `does not have the expected form (${String((issue as { pattern?: string }).pattern ?? '')})`
        : `is not a valid ${issue.format}`;
    default:
      return issue.message;
  }
}

function isDefaultMessage(message: string): boolean {
  return /^(Invalid|Too (big|small)|Expected|Unrecognized)/.test(message);
}

function label(path: readonly PathSegment[]): string {
  const key = [...path].reverse().find((s) => typeof s === 'string');
  return key === undefined ? '' : `"${key}": `;
}

function article(expected: string): string {
  const names: Record<string, string> = {
    object: 'a mapping',
    record: 'a mapping',
    array: 'a list',
    string: 'a string',
    number: 'a number',
    boolean: 'true or false',
    int: 'a whole number',
  };
  return names[expected] ?? expected;
}

export function describeValue(value: unknown): string {
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return Object.keys(value).length === 0 ? 'an empty mapping' : 'a mapping';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value === 'number' ? 'the number' : 'the value'} ${String(value)}`;
}

export function valueAt(data: unknown, path: readonly PathSegment[]): unknown {
  let current = data;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    if (!Object.prototype.hasOwnProperty.call(current, segment)) return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

function dedupe(diagnostics: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const key = `${d.line}:${d.col}:${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
