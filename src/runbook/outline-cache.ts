/**
 * A small cache of what read-only commands need from a runbook (name, step ids, titles,
 * digests), so `cutover status` can skip loading the YAML parser and the schema library.
 * An entry is keyed by the runbook's exact text and the variable overrides, and records
 * the environment values the runbook refers to: any difference is a miss. It holds no
 * resolved commands, and titles are masked, so no secret is written.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ownValue } from '../support/own.js';

export interface RunbookOutline {
  name: string;
  file: string;
  /** group: for steps of a group, its id and the item (status shows progress per item). `unresolved`: the vars without a value the step uses (its digest is then empty: unknown). */
  steps: { id: string; title: string; digest: string; group?: { id: string; item: string }; unresolved?: string[] }[];
  /** The runbook's `journal:` and AWS settings, so status can read an S3 journal (no secrets: credentials never live in a runbook). */
  journal?: string;
  aws?: { region?: string; profile?: string; endpointUrl?: string };
}

interface Entry {
  outline: RunbookOutline;
  /** sha256 of each referenced environment value (null: unset), never the value. */
  env: Record<string, string | null>;
}

function fingerprint(value: string | undefined): string | null {
  return value === undefined ? null : createHash('sha256').update(value).digest('hex');
}

/**
 * Changes whenever cutover computes digests or outlines differently, so an outline written
 * by an older cutover is a miss (2: variables marked `env: true` enter digests as their
 * reference; groups: steps carry their group and item).
 */
const DIGEST_RULES = 'digests-2-groups';

export function outlineKey(text: string, overrides: unknown): string {
  return createHash('sha256').update(DIGEST_RULES).update('\0').update(text).update('\0').update(JSON.stringify(overrides)).digest('hex');
}

/** Where outlines are kept: `cache/` in the runbook's state directory (journal/paths.ts stateDirOf). */
export function outlineCacheDir(stateDir: string): string {
  return join(stateDir, 'cache');
}

/** The key of a runbook file's outline as `cutover status` reads it (every status path must agree). */
export function statusOutlineKey(text: string, file: string, vars: readonly string[], varsFile: string | undefined): string {
  return outlineKey(text, { file, vars, varsFile });
}

export function envNamesIn(text: string): string[] {
  return [...new Set([...text.matchAll(/\$\{env\.([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1] as string))];
}

export function readOutline(cacheDir: string, key: string, env: Record<string, string | undefined>): RunbookOutline | undefined {
  try {
    const entry = JSON.parse(readFileSync(join(cacheDir, `${key}.json`), 'utf8')) as Entry;
    const same = Object.entries(entry.env).every(([name, value]) => fingerprint(ownValue(env, name)) === value);
    return same ? entry.outline : undefined;
  } catch {
    return undefined;
  }
}

export function writeOutline(cacheDir: string, key: string, text: string, env: Record<string, string | undefined>, outline: RunbookOutline): void {
  try {
    mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
    const entry: Entry = { outline, env: Object.fromEntries(envNamesIn(text).map((name) => [name, fingerprint(ownValue(env, name))])) };
    writeFileSync(join(cacheDir, `${key}.json`), JSON.stringify(entry), { mode: 0o600 });
  } catch {
    // A cache that cannot be written only costs speed.
  }
}
