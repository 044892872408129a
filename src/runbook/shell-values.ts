/**
 * How a reference in a shell script reaches the shell: never as text in the script. The
 * value travels in the child's environment (CUTOVER_VAR_<name>, CUTOVER_ENV_<NAME>) and the
 * script holds a parameter expansion of that variable, which the shell treats as data.
 * `"${CUTOVER_VAR_x}"` in a plain word (quoted: one word, no globbing), `${CUTOVER_VAR_x}`
 * inside "…" and in an unquoted here-document. Where a parameter expansion would not be
 * data, or would not be expanded at all, `validate` refuses the reference (shell-scan.ts).
 */
import { findReferences, shellQuote } from './interpolate.js';
import type { Reference } from './interpolate.js';
import { MARK, scanShell } from './shell-scan.js';
import type { Dialect, Finding, Placement, Refusal } from './shell-scan.js';

export type ValueReference = Extract<Reference, { kind: 'var' | 'env' }>;

/** The environment variable that carries a reference's value to the shell. */
export function carrierName(reference: ValueReference): string {
  return reference.kind === 'env' ? `CUTOVER_ENV_${reference.name}` : `CUTOVER_VAR_${reference.name}`;
}

/**
 * The grammars a script is read with: `sh` may be dash or bash depending on the system, so
 * a reference must be data under both. undefined: not a POSIX shell (python, node, pwsh),
 * whose syntax cutover does not know, so no reference can be placed safely in its script.
 */
export function dialectsFor(shell: string): Dialect[] | undefined {
  const program = shell.replace(/^.*\//, '');
  if (program === 'bash') return ['bash'];
  if (program === 'dash' || program === 'ash') return ['posix'];
  if (['sh', 'ksh', 'mksh', 'zsh', 'busybox'].includes(program)) return ['posix', 'bash'];
  return undefined;
}

export interface ScriptAnalysis {
  /** Every reference in the script, in order (malformed ones too: validate reports those). */
  references: Reference[];
  /** Per reference: where it sits, or why it may not be there. */
  findings: Finding[];
  /** The script as the shell sees it, references as MARK, $${ as ${. */
  marked: string;
}

const cache = new Map<string, ScriptAnalysis>();
const CACHE_LIMIT = 2_000;

/** foreach-expanded steps share their template's scripts: each is read once. */
export function analyseScript(script: string, shell: string): ScriptAnalysis {
  const key = `${shell}\u0001${script}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const references = findReferences(script);
  const marked = markReferences(script);
  const dialects = dialectsFor(shell);
  const findings: Finding[] =
    references.length === 0 ? [] : dialects === undefined ? references.map((): Finding => ({ refusal: 'unsupported-shell' })) : combine(dialects.map((dialect) => scanShell(marked, dialect)), references.length);
  const analysis = { references, findings, marked };
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, analysis);
  return analysis;
}

function markReferences(script: string): string {
  return script.replace(/\$\$\{|\$\{([^}]*)\}?/g, (whole) => (whole === '$${' ? '${' : MARK));
}

/** A reference is accepted only if every grammar accepts it, and all agree on how to write it. */
function combine(perDialect: Finding[][], count: number): Finding[] {
  return Array.from({ length: count }, (_, i) => {
    const findings = perDialect.map((findings) => findings[i] ?? { refusal: 'ambiguous' as const });
    const refused = findings.find((finding) => 'refusal' in finding);
    if (refused) return refused;
    const forms = new Set(findings.map((finding) => ('placement' in finding ? quotedForm(finding.placement) : 'refused')));
    return forms.size === 1 ? (findings[0] as Finding) : { refusal: 'ambiguous' as const };
  });
}

/** In a plain word the expansion is double-quoted (one word, no globbing); inside "…" or a here-document it is already. */
function quotedForm(placement: Placement): boolean {
  return placement === 'word' || placement === 'comment';
}

/** A refusal, if the script has one, for each reference (validate reports them all). */
export function refusalsIn(script: string, shell: string): { reference: ValueReference; refusal: Refusal; command?: string }[] {
  if (!script.includes('${')) return [];
  const { references, findings } = analyseScript(script, shell);
  return references.flatMap((reference, i) => {
    const finding = findings[i];
    if (reference.kind === 'malformed' || !finding || !('refusal' in finding)) return [];
    return [{ reference, refusal: finding.refusal, ...(finding.command ? { command: finding.command } : {}) }];
  });
}

export interface RunnableScript {
  script: string;
  /** Carrier variable → value, for the child's environment. */
  values: Record<string, string>;
}

/**
 * The script the shell runs, and the values it reads from its environment. `lookup`
 * returns the value, or undefined for a name the validator has already reported.
 */
export function runnableScript(script: string, shell: string, lookup: (reference: ValueReference) => string | undefined): RunnableScript {
  if (!script.includes('${')) return { script, values: {} };
  const { findings } = analyseScript(script, shell);
  const values: Record<string, string> = {};
  const text = replaceReferences(script, findings, (reference, finding, whole) => {
    const value = lookup(reference);
    if (value === undefined || !('placement' in finding)) return whole;
    const carrier = carrierName(reference);
    values[carrier] = value;
    return quotedForm(finding.placement) ? `"\${${carrier}}"` : `\${${carrier}}`;
  });
  return { script: text, values };
}

/**
 * The script with each value written into it as literal shell text, for the digest. In a
 * plain word that is the shell-quoted value, exactly what earlier versions of cutover
 * spliced in (and hashed), so the digests of steps whose references sit in plain words do
 * not change; inside "…" and here-documents the value is escaped for that place, which
 * equals the old text for values without special characters. `lookup` may return a
 * placeholder (the reference itself, for secrets and env values), written shell-quoted
 * wherever it is, as before.
 */
export function literalScript(script: string, shell: string, lookup: (reference: ValueReference) => string | undefined): string {
  if (!script.includes('${')) return script;
  const { findings } = analyseScript(script, shell);
  return replaceReferences(script, findings, (reference, finding, whole) => {
    const value = lookup(reference);
    if (value === undefined) return whole;
    if (!('placement' in finding) || quotedForm(finding.placement) || value === whole || shellQuote(value) === value) return shellQuote(value);
    return finding.placement === 'heredoc' ? escapeForHeredoc(value) : escapeForDoubleQuotes(value);
  });
}

function replaceReferences(script: string, findings: readonly Finding[], render: (reference: ValueReference, finding: Finding, whole: string) => string): string {
  let index = 0;
  return script.replace(/\$\$\{|\$\{([^}]*)\}?/g, (whole) => {
    if (whole === '$${') return '${';
    const finding = findings[index++] ?? { refusal: 'ambiguous' };
    const [reference] = findReferences(whole);
    if (!reference || reference.kind === 'malformed') return whole;
    return render(reference, finding, whole);
  });
}

export function escapeForDoubleQuotes(value: string): string {
  return value.replace(/[\\$`"]/g, '\\$&');
}

function escapeForHeredoc(value: string): string {
  return value.replace(/[\\$`]/g, '\\$&');
}

/**
 * The script as people read it (plan, prompts, log headers): each carrier expansion shown
 * as the value it carries, shell-quoted in a plain word, escaped inside "…". What actually
 * runs is the journaled script and its values.
 */
export function displayScript(action: { script: string; values?: Record<string, string> }): string {
  const values = action.values;
  if (!values || Object.keys(values).length === 0) return action.script;
  return action.script.replace(/"\$\{(CUTOVER_(?:VAR|ENV)_[A-Za-z0-9_]+)\}"|\$\{(CUTOVER_(?:VAR|ENV)_[A-Za-z0-9_]+)\}/g, (whole, quoted?: string, bare?: string) => {
    const name = quoted ?? bare ?? '';
    if (!Object.hasOwn(values, name)) return whole;
    const value = values[name] as string;
    return quoted !== undefined ? shellQuote(value) : escapeForDoubleQuotes(value);
  });
}
