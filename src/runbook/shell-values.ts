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
  // A foreach item's field (step.pct) has no dot in its carrier: CUTOVER_VAR_step__pct.
  return reference.kind === 'env' ? `CUTOVER_ENV_${reference.name}` : `CUTOVER_VAR_${reference.name.replace('.', '__')}`;
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
  /** The text around the references, as the shell sees it ($${ as ${): one more than references. */
  between: string[];
}

const cache = new Map<string, ScriptAnalysis>();
const CACHE_LIMIT = 20_000;

/** foreach-expanded steps share their template's scripts: each is read once. */
export function analyseScript(script: string, shell: string): ScriptAnalysis {
  const key = `${shell}\u0001${script}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const references = findReferences(script);
  const between = references.map((reference, i) => script.slice(i === 0 ? 0 : endOf(references[i - 1]), reference.index));
  between.push(script.slice(references.length === 0 ? 0 : endOf(references.at(-1))));
  for (let i = 0; i < between.length; i++) between[i] = (between[i] as string).replaceAll('$${', '${');
  const dialects = dialectsFor(shell);
  const findings: Finding[] =
    references.length === 0
      ? []
      : dialects === undefined
        ? references.map((): Finding => ({ refusal: 'unsupported-shell' }))
        : combine(readAs(between.join(MARK), dialects), references.length);
  const analysis = { references, findings, between };
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, analysis);
  return analysis;
}

/** Bash reads a script differently only where it has (( [[ $[ or $' (shell-scan.ts): elsewhere one reading is both. */
function readAs(marked: string, dialects: readonly Dialect[]): Finding[][] {
  const differs = dialects.length > 1 && /\(\(|\[\[|\$\[|\$'/.test(marked);
  return (differs ? dialects : dialects.slice(0, 1)).map((dialect) => scanShell(marked, dialect));
}

function endOf(reference: Reference | undefined): number {
  return reference === undefined ? 0 : reference.index + reference.length;
}

/** A reference is accepted only if every grammar accepts it, and all agree on how to write it. */
function combine(perDialect: Finding[][], count: number): Finding[] {
  if (perDialect.length === 1) return perDialect[0] as Finding[];
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
  const values: Record<string, string> = {};
  const text = replaceReferences(analyseScript(script, shell), script, (reference, finding, whole) => {
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
  return replaceReferences(analyseScript(script, shell), script, (reference, finding, whole) => {
    const value = lookup(reference);
    if (value === undefined) return whole;
    if (!('placement' in finding) || quotedForm(finding.placement) || value === whole || shellQuote(value) === value) return shellQuote(value);
    return finding.placement === 'heredoc' ? escapeForHeredoc(value) : escapeForDoubleQuotes(value);
  });
}

function replaceReferences(analysis: ScriptAnalysis, script: string, render: (reference: ValueReference, finding: Finding, whole: string) => string): string {
  const { references, findings, between } = analysis;
  let out = between[0] ?? '';
  references.forEach((reference, i) => {
    const whole = script.slice(reference.index, reference.index + reference.length);
    out += reference.kind === 'malformed' ? whole : render(reference, findings[i] ?? { refusal: 'ambiguous' }, whole);
    out += between[i + 1] ?? '';
  });
  return out;
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
  return action.script.replace(
    /"\$\{(CUTOVER_(?:VAR|ENV)_[A-Za-z0-9_]+)\}"|\$\{(CUTOVER_(?:VAR|ENV)_[A-Za-z0-9_]+)\}/g,
    (whole, quoted?: string, bare?: string) => {
      const name = quoted ?? bare ?? '';
      if (!Object.hasOwn(values, name)) return whole;
      const value = values[name] as string;
      return quoted !== undefined ? shellQuote(value) : escapeForDoubleQuotes(value);
    },
  );
}
