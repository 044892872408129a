/**
 * A step's digest: sha256 of its resolved definition in canonical JSON (sorted keys, no
 * formatting), so reformatting the YAML or reordering keys does not change it. Title,
 * description, confirm and source position are left out: rewording a step is not
 * changing it. The runbook's `env:` is in: it reaches every shell step.
 */
import { createHash } from 'node:crypto';
import type { Step } from './types.js';

export type DigestInput = Omit<Step, 'digest' | 'title' | 'description' | 'confirm' | 'source' | 'foreach' | 'group'> & { runbookEnv: Record<string, string> };

export function canonicalJson(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
}

export function stepDigest(definition: DigestInput): string {
  return `sha256:${createHash('sha256').update(canonicalJson(definition)).digest('hex')}`;
}

export function shortDigest(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12);
}
