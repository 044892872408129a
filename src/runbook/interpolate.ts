/**
 * `${name}` (a var, or a foreach item), `${item.field}` (a field of a foreach item that is a
 * mapping) and `${env.NAME}` (the environment) in strings.
 * `$${` is a literal `${`, so shell scripts can still write `$${HOME}`.
 */

export type Reference =
  /** name is `item.field` for a field of a foreach mapping item. */
  | { kind: 'var'; name: string; index: number; length: number }
  | { kind: 'env'; name: string; index: number; length: number }
  | { kind: 'malformed'; text: string; index: number; length: number };

const TOKEN_RE = /\$\$\{|\$\{([^}]*)\}?/g;
const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const FIELD_RE = /^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$/;

export function findReferences(text: string): Reference[] {
  const references: Reference[] = [];
  if (!text.includes('${')) return references;
  for (const match of text.matchAll(TOKEN_RE)) {
    const whole = match[0];
    if (whole === '$${') continue;
    const index = match.index;
    const inner = match[1] ?? '';
    if (!whole.endsWith('}')) {
      references.push({ kind: 'malformed', text: whole, index, length: whole.length });
    } else if (inner.startsWith('env.') && NAME_RE.test(inner.slice(4))) {
      references.push({ kind: 'env', name: inner.slice(4), index, length: whole.length });
    } else if (NAME_RE.test(inner) || FIELD_RE.test(inner)) {
      references.push({ kind: 'var', name: inner, index, length: whole.length });
    } else {
      references.push({ kind: 'malformed', text: whole, index, length: whole.length });
    }
  }
  return references;
}

/**
 * POSIX shell single-quoting: one literal word. Shows a value in a displayed script, and
 * writes values into the text a digest hashes; values never reach a shell this way.
 */
export function shellQuote(value: string): string {
  if (value !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * Replaces references with their values as they are, using `resolve`, which returns the
 * value or undefined for an unknown name (left in place; the validator has already
 * reported it). Not for shell scripts: see shell-values.ts.
 */
export function interpolate(text: string, resolve: (reference: Reference) => string | undefined): string {
  if (!text.includes('${')) return text;
  return text.replace(TOKEN_RE, (whole: string) => {
    if (whole === '$${') return '${';
    const [reference] = findReferences(whole);
    if (!reference) return whole;
    return resolve(reference) ?? whole;
  });
}

/** `${x}` and nothing else: a value that is one reference (a weight, a duration) is typed after interpolation. */
export function isWholeReference(text: string): boolean {
  const [only] = findReferences(text);
  return only !== undefined && only.kind !== 'malformed' && only.index === 0 && only.length === text.length;
}
