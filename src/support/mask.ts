/** Replaces secret values with *** in any text or JSON-able value before it leaves the process. */
export const MASK = '***';

export interface Masker {
  text(text: string): string;
  value<T>(value: T): T;
}

export function createMasker(secrets: readonly string[]): Masker {
  // Longest first, so a secret that contains another is masked whole.
  const values = [...new Set(secrets.filter((s) => s.length > 0))].sort((a, b) => b.length - a.length);
  const text = (input: string) => values.reduce((acc, secret) => acc.split(secret).join(MASK), input);
  const walk = (input: unknown): unknown => {
    if (typeof input === 'string') return text(input);
    if (Array.isArray(input)) return input.map(walk);
    if (input !== null && typeof input === 'object') {
      return Object.fromEntries(Object.entries(input).map(([key, item]) => [text(key), walk(item)]));
    }
    return input;
  };
  return { text, value: <T>(input: T) => (values.length === 0 ? input : (walk(input) as T)) };
}
