/**
 * The secrets of the runbook this process loaded, for the one place that prints what no
 * command prepared: the top-level catch (an internal error's message and stack may quote a
 * value, as a NUL byte in a secret once did). Commands mask their own output; this is the
 * net under them.
 */
import { createMasker } from '../support/mask.js';
import type { Masker } from '../support/mask.js';

let known: string[] = [];
let masker: Masker = createMasker([]);

/** Called with every loaded runbook's secret values (in all their masked forms). */
export function rememberSecrets(values: readonly string[]): void {
  if (values.length === 0) return;
  known = [...new Set([...known, ...values])];
  masker = createMasker(known);
}

export function maskKnownSecrets(text: string): string {
  return masker.text(text);
}
