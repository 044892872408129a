/**
 * A runbook's outline (name, file, journal, step ids, titles and digests) for `status`:
 * from the cache when it is there, else from a full load. Only commands that write (run,
 * resume, rollback, rehearse, approve...) fill the cache; a read-only command creates no file.
 */
import { readFile } from 'node:fs/promises';
import { stateDirOf } from '../journal/paths.js';
import { outlineCacheDir, readOutline, statusOutlineKey, writeOutline } from '../runbook/outline-cache.js';
import type { RunbookOutline } from '../runbook/outline-cache.js';
import type { Runbook } from '../runbook/types.js';
import { createMasker } from '../support/mask.js';
import type { Output } from './output.js';
import type { RunbookFlags } from './runbook-options.js';

/** Titles masked: the cache is a file on disk. */
export function outlineOfRunbook(runbook: Runbook): RunbookOutline {
  const masker = createMasker(runbook.secrets.values);
  const outline: RunbookOutline = {
    name: runbook.name,
    file: runbook.file,
    steps: runbook.steps.map((s) => ({
      id: s.id,
      title: masker.text(s.title),
      digest: s.digest,
      ...(s.group ? { group: { id: s.group.id, item: s.group.item } } : {}),
      ...(s.unresolved ? { unresolved: s.unresolved } : {}),
    })),
  };
  if (runbook.journal !== undefined)
    Object.assign(outline, {
      journal: runbook.journal,
      aws: { region: runbook.aws.region, profile: runbook.aws.profile, endpointUrl: runbook.aws.endpointUrl },
    });
  return outline;
}

async function cacheKey(file: string, flags: RunbookFlags): Promise<{ key: string; text: string } | undefined> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const varsFile = flags.varsFile ? await readFile(flags.varsFile, 'utf8').catch(() => undefined) : undefined;
  return { key: statusOutlineKey(text, file, flags.var ?? [], varsFile), text };
}

/** The outline from the cache, or from a full load (which is not cached: status only reads). */
export async function outlineOf(file: string, flags: RunbookFlags, output: Output): Promise<RunbookOutline> {
  const cache = outlineCacheDir(stateDirOf(file));
  const found = await cacheKey(file, flags);
  const cached = found ? readOutline(cache, found.key, process.env) : undefined;
  if (cached) return cached;
  const { loadOrExit } = await import('./runbook-options.js');
  return outlineOfRunbook(await loadOrExit(file, flags, output, 'read'));
}

/** Written by a command that holds the lock anyway, so the next `status` is quick. */
export async function cacheOutline(runbook: Runbook, file: string, flags: RunbookFlags): Promise<void> {
  const found = await cacheKey(file, flags);
  if (found) writeOutline(outlineCacheDir(stateDirOf(file)), found.key, found.text, process.env, outlineOfRunbook(runbook));
}
