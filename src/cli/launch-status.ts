/**
 * `cutover status` as launch.ts answers it, before the full CLI loads: the command people
 * run most (often in a loop). When the runbook's outline is cached and the journal is a
 * local file, it answers from one small CommonJS bundle (dist/bin/launch.cjs, see
 * scripts/bundle.mjs) without starting the ES module loader, commander, the YAML parser or
 * the schema library. (When it declines, main.ts still skips commander for a plain status.)
 *
 * It only ever reads. Whenever it cannot answer exactly as the full command would (another
 * option, a cache miss, an S3 journal, a torn or damaged journal, any error at all) it
 * returns undefined and the full command runs instead, and reports whatever is wrong.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { openJournal } from '../journal/journal.js';
import { defaultJournalPath, stateDirOf } from '../journal/paths.js';
import { replay } from '../journal/replay.js';
import type { JournalStore } from '../journal/store.js';
import { outlineCacheDir, readOutline, statusOutlineKey } from '../runbook/outline-cache.js';
import { systemClock } from '../support/clock.js';
import { createMasker } from '../support/mask.js';
import { buildStatus, statusReport } from './views/status.js';
import { createOutput } from './output.js';
import { hintFor } from './hint.js';
import { neutralise } from './terminal-text.js';

export interface QuickStatusArgs {
  file: string;
  journal?: string;
  json: boolean;
  color: boolean;
}

/** `status <runbook>` with only --json, --no-color and a local --journal; else undefined. */
export function quickStatusArgs(args: readonly string[]): QuickStatusArgs | undefined {
  if (args[0] !== 'status') return undefined;
  const parsed: QuickStatusArgs = { file: '', json: false, color: true };
  const positional: string[] = [];
  for (let i = 1; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--json') parsed.json = true;
    else if (arg === '--no-color') parsed.color = false;
    else if (arg === '--journal' && i + 1 < args.length && !args[i + 1]!.startsWith('-')) parsed.journal = args[++i];
    else if (arg.startsWith('--journal=')) parsed.journal = arg.slice('--journal='.length);
    else if (arg.startsWith('-')) return undefined;
    else positional.push(arg);
  }
  if (positional.length !== 1 || parsed.journal === '') return undefined;
  parsed.file = positional[0]!;
  return parsed;
}

/** A local journal's absolute path; undefined for an s3:// (or any other URL) journal, which the full command reads. */
function localJournal(chosen: string, cwd: string): string | undefined {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(chosen) ? undefined : resolve(cwd, chosen);
}

/** Reads only, synchronously; anything but a regular file is left to the full command's checks. */
function readOnlyStore(path: string): JournalStore {
  return {
    location: path,
    readText: () => {
      try {
        // Checked before reading: reading a FIFO or a device would hang or never end.
        if (!statSync(path).isFile()) throw new Error(`${path} is not a regular file`);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return Promise.resolve(undefined);
        throw error;
      }
      return Promise.resolve(readFileSync(path).toString('utf8'));
    },
    appendLine: () => Promise.reject(new Error('the quick status path never writes')),
    truncate: () => Promise.reject(new Error('the quick status path never writes')),
  };
}

/** What `cutover status` prints (exit 0), or undefined when the full command must run. */
export async function quickStatus(args: readonly string[], cwd: string, env: Record<string, string | undefined>): Promise<string | undefined> {
  try {
    const plain = quickStatusArgs(args);
    if (!plain) return undefined;
    const runbookFile = resolve(cwd, plain.file);
    const text = readFileSync(runbookFile, 'utf8');
    const stateDir = stateDirOf(runbookFile);
    const outline = readOutline(outlineCacheDir(stateDir), statusOutlineKey(text, plain.file, [], undefined), env);
    if (!outline) return undefined;
    // --journal is relative to where cutover runs, the runbook's journal: to the runbook file.
    const path =
      plain.journal !== undefined
        ? localJournal(plain.journal, cwd)
        : outline.journal !== undefined
          ? localJournal(outline.journal, dirname(runbookFile))
          : defaultJournalPath(outline.name, stateDir);
    // No journal there (yet, or one left in the old place): the full command says which.
    if (path === undefined || !existsSync(path)) return undefined;
    // Locked: the full command reads the lock's holder (lock.ts lockPathFor, inlined to keep this bundle small).
    if (existsSync(`${path}.lock`)) return undefined;
    const journal = await openJournal(readOnlyStore(path), {
      runbook: { name: outline.name, file: outline.file },
      identity: { user: 'status', host: 'status', pid: process.pid },
      masker: createMasker([]),
      clock: systemClock,
    });
    if (journal.warnings.length > 0) return undefined;
    const status = buildStatus(
      outline,
      replay(journal.events),
      journal.location,
      Date.now(),
      hintFor(plain.file, plain.journal === undefined ? {} : { journal: plain.journal }),
    );
    // launch.ts writes this past Output: made inert here, as Output would.
    return neutralise(`${statusReport(status, journal.exists, createOutput({ color: plain.color }), plain.json).join('\n')}\n`);
  } catch {
    return undefined;
  }
}
