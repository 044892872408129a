/** Options every runbook command shares, and loading the runbook with them. */
import { readCapped } from '../support/read-capped.js';
import { formatDiagnostic } from '../runbook/diagnostics.js';
import type { Diagnostic } from '../runbook/diagnostics.js';
import { isListVarWithoutValue } from '../runbook/semantics.js';
import { loadRunbookFile } from '../runbook/load.js';
import type { LoadOptions, LoadResult } from '../runbook/load.js';
import { parseYamlSource } from '../runbook/source.js';
import type { VarOverrides } from '../runbook/variables.js';
import { ExitCode, ExitError } from './exit.js';
import { rememberSecrets } from './known-secrets.js';
import type { Output } from './output.js';

export type { RunbookFlags } from './runbook-flags.js';
import type { RunbookFlags } from './runbook-flags.js';

/** Like runbooks (10 MB), but smaller: a value travels in a command's environment, where Linux allows 128 KB each. */
export const MAX_VARS_FILE_BYTES = 1024 * 1024;

export async function readOverrides(flags: RunbookFlags): Promise<VarOverrides | Diagnostic[]> {
  const overrides: VarOverrides = { flags: flags.var ?? [] };
  if (flags.varsFile) {
    let text: string;
    try {
      const read = await readCapped(flags.varsFile, MAX_VARS_FILE_BYTES);
      if (!read.ok)
        return [
          {
            file: flags.varsFile,
            line: 0,
            col: 0,
            severity: 'error',
            rule: 'too-large',
            message: 'the vars file is larger than 1 MB; vars files are limited to 1 MB (pass big values as files the commands read)',
          },
        ];
      text = read.bytes.toString('utf8');
    } catch (error) {
      return [
        { file: flags.varsFile, line: 0, col: 0, severity: 'error', rule: 'unreadable', message: `cannot read the vars file: ${(error as Error).message}` },
      ];
    }
    const { source, diagnostics } = parseYamlSource(flags.varsFile, text);
    const notAMapping: Diagnostic = {
      file: flags.varsFile,
      line: 1,
      col: 1,
      severity: 'error',
      rule: 'not-a-mapping',
      message: 'a vars file is a mapping of name: value',
    };
    // The parser's messages for these two speak of a runbook; this file is not one.
    if (!source) return diagnostics.map((d) => (d.rule === 'empty' || d.rule === 'not-a-mapping' ? { ...notAMapping, line: d.line, col: d.col } : d));
    const data = source.data;
    if (typeof data !== 'object' || data === null || Array.isArray(data)) return [notAMapping];
    overrides.file = { path: flags.varsFile, values: data as Record<string, unknown> };
  }
  return overrides;
}

/** Loads with the shared flags; resolved either to the result or, for bad flags, diagnostics. */
export async function loadWithFlags(file: string, flags: RunbookFlags, options: Omit<LoadOptions, 'overrides'>): Promise<LoadResult> {
  const overrides = await readOverrides(flags);
  if (Array.isArray(overrides)) return { ok: false, diagnostics: overrides };
  const result = await loadRunbookFile(file, { ...options, overrides, env: options.env ?? process.env });
  if (result.ok) rememberSecrets(result.runbook.secrets.values);
  return result;
}

/**
 * For commands other than validate: an invalid runbook ends the command with exit 2.
 * `read`: a read-only command (status, log, report, approve, unlock), which needs no value
 * for a var that only steps use (load.ts).
 */
export async function loadOrExit(file: string, flags: RunbookFlags, output: Output, mode: 'resolve' | 'read' = 'resolve') {
  const result = await loadWithFlags(file, flags, { mode });
  if (!result.ok) {
    for (const diagnostic of result.diagnostics) output.err(formatDiagnostic(diagnostic));
    const errors = result.diagnostics.filter((d) => d.severity === 'error');
    const missing = missingValues(errors);
    // Only values missing: the runbook is valid ("cutover validate" says so); name them all, with the flags.
    if (missing.length > 0 && missing.length === errors.length)
      throw new ExitError(
        ExitCode.invalid,
        missingValuesMessage(
          missing.map((d) => d.name),
          missing.filter((d) => d.list).map((d) => d.name),
        ),
      );
    throw new ExitError(
      ExitCode.invalid,
      `${file} is not a valid runbook (${errors.length} problem${errors.length === 1 ? '' : 's'}); fix it and run "cutover validate ${file}"`,
    );
  }
  for (const diagnostic of result.diagnostics) output.err(formatDiagnostic(diagnostic));
  return result.runbook;
}

/** The var each "has no value" error is about. */
function missingValues(errors: readonly Diagnostic[]): { name: string; list: boolean }[] {
  return errors
    .filter((d) => d.rule === 'var-without-value')
    .map((d) => ({ name: /^variable "([^"]+)"/.exec(d.message)?.[1] ?? '', list: isListVarWithoutValue(d.message) }));
}

/**
 * Every var without a value, once each, and the flags that give them one: --var for a
 * string, a --vars-file for a list (`lists`: --var cannot set one).
 */
export function missingValuesMessage(names: readonly string[], lists: readonly string[] = []): string {
  const unique = [...new Set(names)].sort();
  const quoted = (some: readonly string[]) => some.map((name) => `"${name}"`).join(', ');
  const scalars = unique.filter((name) => !lists.includes(name));
  const listed = unique.filter((name) => lists.includes(name));
  const ways: string[] = [];
  if (scalars.length > 0)
    ways.push(`pass ${scalars.map((name) => `--var ${name}=…`).join(' ')} (or put ${scalars.length === 1 ? 'it' : 'them'} in a --vars-file)`);
  if (listed.length > 0) ways.push(`put ${quoted(listed)} in a --vars-file (${listed[0] ?? ''}: [a, b]; --var cannot set a list, it sets a string)`);
  return `no value for ${unique.length === 1 ? 'variable' : 'variables'} ${quoted(unique)}, which this command needs; ${ways.join(', ')}, or give ${unique.length === 1 ? 'it' : 'them'} a default under "vars:"`;
}
