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

/** Base64 forms shorter than this are not masked: they would match unrelated base64 text. */
const MIN_BASE64_FORM = 6;

/**
 * How a secret looks base64-encoded (kubectl get secret -o yaml, a Basic auth header in a
 * verbose curl, `base64 <<<$TOKEN`), standard and URL-safe alphabets: its whole encoding,
 * and, because inside a longer encoded text ("user:" + secret) the secret may start at any
 * of the three byte positions of a base64 group, for each of those alignments the run of
 * characters that only the secret's bytes determine. Masking those leaves at most two
 * characters of the secret's encoding at each end, from which it cannot be recovered.
 */
export function base64Forms(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const forms = [bytes.toString('base64'), bytes.toString('base64').replace(/=+$/, '')];
  for (const offset of [0, 1, 2]) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    // Characters 6 bits each: those fully inside the secret's bytes.
    const core = encoded.slice(Math.ceil((offset * 8) / 6), Math.floor(((offset + bytes.length) * 8) / 6));
    if (core.length >= MIN_BASE64_FORM) forms.push(core);
  }
  const urlSafe = forms.map((form) => form.replace(/\+/g, '-').replace(/\//g, '_'));
  return [...new Set([...forms, ...urlSafe])].filter((form) => form.length >= MIN_BASE64_FORM);
}
