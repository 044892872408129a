/**
 * `${name}` (a var, or a foreach item) and `${env.NAME}` (the environment) in strings.
 * `$${` is a literal `${`, so shell scripts can still write `$${HOME}`.
 */

export type Reference =
  | { kind: 'var'; name: string; index: number; length: number }
  | { kind: 'env'; name: string; index: number; length: number }
  | { kind: 'malformed'; text: string; index: number; length: number };

const TOKEN_RE = /\$\$\{|\$\{([^}]*)\}?/g;
const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

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
    } else if (NAME_RE.test(inner)) {
      references.push({ kind: 'var', name: inner, index, length: whole.length });
    } else {
      references.push({ kind: 'malformed', text: whole, index, length: whole.length });
    }
  }
  return references;
}

/** POSIX shell single-quoting: the value reaches the command as one literal word. */
export function shellQuote(value: string): string {
  if (value !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * Replaces references using `resolve`, which returns the value or undefined for an
 * unknown name (left in place; the validator has already reported it).
 */
export function interpolate(text: string, resolve: (reference: Reference) => string | undefined, quote: boolean): string {
  if (!text.includes('${')) return text;
  return text.replace(TOKEN_RE, (whole: string) => {
    if (whole === '$${') return '${';
    const [reference] = findReferences(whole);
    if (!reference) return whole;
    const value = resolve(reference);
    if (value === undefined) return whole;
    return quote ? shellQuote(value) : value;
  });
}
