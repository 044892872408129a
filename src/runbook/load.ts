/** The loader: file → typed Runbook, or every problem at once with positions. */
import { readCapped } from '../support/read-capped.js';
import type { Diagnostic } from './diagnostics.js';
import { hasErrors, sortDiagnostics } from './diagnostics.js';
import { describeValue, issuesToDiagnostics } from './issues.js';
import { resolveRunbook } from './resolve.js';
import { runbookSchema } from './schema.js';
import type { RawVarValue } from './schema.js';
import { checkSemantics } from './semantics.js';
import { parseFast } from './fast-source.js';
import { FastPathDisagreement, lazilyPositionedSource, parseYamlSource, positionOf, withoutBom } from './source.js';
import type { YamlSource } from './source.js';
import type { Runbook, SourcePosition } from './types.js';
import { declarationOf, parseVarFlag, toVarValue } from './variables.js';
import type { VarDeclaration, VarOverrides, VarValue } from './variables.js';

export interface LoadOptions {
  overrides?: VarOverrides;
  env?: Record<string, string | undefined>;
  /**
   * validate reports unset env vars and vars without values as warnings only; read (the
   * read-only commands) needs only the values that locate the journal and name the steps.
   */
  mode?: 'validate' | 'resolve' | 'read';
  strict?: boolean;
  /** False skips computing step digests (validate needs none). Default true. */
  digests?: boolean;
}

export type LoadResult = { ok: true; runbook: Runbook; diagnostics: Diagnostic[] } | { ok: false; diagnostics: Diagnostic[] };

/** Files larger than this are refused before parsing: no runbook is this big. */
export const MAX_RUNBOOK_BYTES = 10 * 1024 * 1024;

export async function loadRunbookFile(file: string, options: LoadOptions = {}): Promise<LoadResult> {
  let text: string;
  try {
    const read = await readCapped(file, MAX_RUNBOOK_BYTES);
    if (!read.ok) return fail(file, 'too-large', 'the file is larger than 10 MB; runbooks are limited to 10 MB');
    text = read.bytes.toString('utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    return fail(file, 'unreadable', `cannot read the runbook: ${why}; check the path`, 0);
  }
  return loadRunbookText(file, text, options);
}

export function loadRunbookText(file: string, text: string, options: LoadOptions = {}): LoadResult {
  if (text.includes('\u0000')) return fail(file, 'binary', 'the file contains NUL bytes; a runbook is a UTF-8 YAML text file');
  // A clean load of a valid runbook goes through the fast parser; anything with a
  // diagnostic is loaded again through `yaml`, which knows where every node is.
  const fast = parseFast(withoutBom(text));
  if (fast) {
    try {
      const result = loadFromSource(file, lazilyPositionedSource(file, text, fast.data), options, fast.stepPositions);
      if (result.ok && result.diagnostics.length === 0) return result;
    } catch (error) {
      // Where the two parsers disagree, the positioned one is the authority (below).
      if (!(error instanceof FastPathDisagreement)) throw error;
    }
  }
  const { source, diagnostics: yamlDiagnostics } = parseYamlSource(file, text);
  if (!source) return { ok: false, diagnostics: yamlDiagnostics };
  return loadFromSource(file, source, options);
}

function loadFromSource(file: string, source: YamlSource, options: LoadOptions, stepPositions?: SourcePosition[]): LoadResult {
  const parsed = runbookSchema.safeParse(source.data);
  const diagnostics = parsed.success ? [] : issuesToDiagnostics(source, parsed.error.issues);

  const rawVars = isRecord(source.data) && isRecord(source.data.vars) ? source.data.vars : {};
  const { vars, diagnostics: overrideDiagnostics } = applyOverrides(rawVars as Record<string, RawVarValue>, options.overrides);
  diagnostics.push(...overrideDiagnostics);
  const mode = options.mode ?? 'resolve';
  const env = options.env ?? {};
  diagnostics.push(
    ...checkSemantics(source, {
      vars: new Map([...vars].map(([name, declaration]) => [name, declaration.value])),
      secretVars: new Set([...vars.values()].filter((declaration) => declaration.secret).map((declaration) => declaration.name)),
      env,
      mode,
      strict: options.strict ?? false,
    }),
  );
  sortDiagnostics(diagnostics);
  if (!parsed.success || hasErrors(diagnostics)) return { ok: false, diagnostics };

  const positions = stepPositions ?? parsed.data.steps.map((_, index) => positionOf(source, ['steps', index]));
  // Steps inside groups are positioned on demand (the fast path knows the top-level ones only).
  const positionAt = (path: readonly (string | number)[]) => positionOf(source, path);
  const runbook = resolveRunbook(parsed.data, { file, vars, env, positions, positionAt, digests: options.digests, readOnly: mode === 'read' });
  return { ok: true, runbook, diagnostics };
}

function applyOverrides(
  rawVars: Record<string, RawVarValue>,
  overrides: VarOverrides | undefined,
): { vars: Map<string, VarDeclaration>; diagnostics: Diagnostic[] } {
  const vars = new Map(Object.entries(rawVars).map(([name, raw]) => [name, declarationOf(name, raw)]));
  const diagnostics: Diagnostic[] = [];
  const set = (name: string, value: VarValue, origin: string) => {
    const declaration = vars.get(name);
    if (!declaration) {
      diagnostics.push({
        file: origin,
        line: 0,
        col: 0,
        severity: 'error',
        rule: 'unknown-override',
        message: `"${name}" is not a variable of this runbook; declare it under "vars:" or fix the name (declared: ${[...vars.keys()].join(', ') || 'none'})`,
      });
      return;
    }
    // No command line or environment can carry a NUL; refused here, before anything runs.
    if ((Array.isArray(value) ? value : [value]).some((item) => item.includes('\u0000'))) {
      diagnostics.push({
        file: origin,
        line: 0,
        col: 0,
        severity: 'error',
        rule: 'nul-in-value',
        message: `the value of "${name}" contains a NUL byte, which no command or environment variable can carry; remove it`,
      });
    }
    vars.set(name, { ...declaration, value });
  };
  if (overrides?.file) {
    const { path, values } = overrides.file;
    for (const [name, value] of Object.entries(values)) {
      if (!isScalarOrList(value)) {
        // A mapping (or nothing) has no text to put into a command; String() would give "[object Object]".
        diagnostics.push({
          file: path,
          line: 0,
          col: 0,
          severity: 'error',
          rule: 'bad-override',
          message: `"${name}" is ${describeValue(value)}; a variable's value is a string, a number, true/false or a list of those`,
        });
        continue;
      }
      set(name, toVarValue(value), path);
    }
  }
  for (const flag of overrides?.flags ?? []) {
    const parsed = parseVarFlag(flag);
    if (!parsed) {
      diagnostics.push({ file: '--var', line: 0, col: 0, severity: 'error', rule: 'bad-override', message: `"${flag}" is not name=value` });
      continue;
    }
    set(parsed.name, parsed.value, '--var');
  }
  return { vars, diagnostics };
}

function fail(file: string, rule: string, message: string, line = 1): LoadResult {
  return { ok: false, diagnostics: [{ file, line, col: line === 0 ? 0 : 1, severity: 'error', rule, message }] };
}

function isScalarOrList(value: unknown): boolean {
  const isScalar = (item: unknown) => typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean';
  return isScalar(value) || (Array.isArray(value) && value.every(isScalar));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
