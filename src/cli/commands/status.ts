import { replay } from '../../journal/replay.js';
import type { JournalState } from '../../journal/replay.js';
import { formatDuration } from '../../runbook/duration.js';
import { outlineKey, readOutline, writeOutline } from '../../runbook/outline-cache.js';
import type { RunbookOutline } from '../../runbook/outline-cache.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createMasker } from '../../support/mask.js';
import { openJournalReadOnly } from '../journal-reading.js';
import type { Output } from '../output.js';
import { paint } from '../output.js';
import type { SessionFlags } from '../session.js';
import { renderTable } from '../table.js';

export interface StatusRow {
  id: string;
  state: string;
  when?: string;
  by?: string;
  durationMs?: number;
  changed: boolean;
}

export interface Status {
  runbook: string;
  journal: string;
  steps: StatusRow[];
  next?: string;
  nextAction: string;
}

/** Library function: the status of every step, from the journal only. */
export function buildStatus(runbook: Pick<RunbookOutline, 'name' | 'file'> & { steps: { id: string; digest: string }[] }, state: JournalState, journal: string): Status {
  const steps = runbook.steps.map((step): StatusRow => {
    const record = state.steps.get(step.id);
    return {
      id: step.id,
      state: record?.state ?? 'pending',
      when: record?.finishedAt ?? record?.startedAt,
      by: record?.by,
      durationMs: record?.durationMs,
      changed: record?.digest !== undefined && record.digest !== step.digest,
    };
  });
  // Steps that ran but are gone from the file still matter for rollback.
  for (const record of state.steps.values()) {
    if (!runbook.steps.some((s) => s.id === record.id)) steps.push({ id: record.id, state: `${record.state} (not in runbook)`, when: record.finishedAt ?? record.startedAt, by: record.by, durationMs: record.durationMs, changed: true });
  }
  const blocking = steps.find((s) => ['running', 'interrupted', 'failed', 'rolling-back', 'rollback-failed'].includes(s.state));
  const next = steps.find((s) => !['succeeded', 'skipped'].includes(s.state))?.id;
  const nextAction = blocking
    ? blocking.state === 'running' || blocking.state === 'interrupted'
      ? `resume: step ${blocking.id} was interrupted ("cutover resume ${runbook.file}")`
      : blocking.state === 'failed'
        ? `step ${blocking.id} failed: fix and "cutover resume ${runbook.file}", or "cutover rollback ${runbook.file}"`
        : `finish the rollback of ${blocking.id}: "cutover rollback ${runbook.file}"`
    : next
      ? `run ${next}: "cutover run ${runbook.file}"`
      : 'nothing: every step is done';
  return { runbook: runbook.name, journal, steps, next, nextAction };
}

export async function statusCommand(file: string, flags: SessionFlags, output: Output): Promise<void> {
  const runbook = await outlineOf(file, flags, output);
  const journal = await openJournalReadOnly(runbook, flags);
  const status = buildStatus(runbook, replay(journal.events), journal.location);
  if (flags.json) {
    output.out(JSON.stringify(status));
    return;
  }
  const color = (state: string) => (state === 'succeeded' ? paint(output, 'green', state) : state.includes('fail') ? paint(output, 'red', state) : state);
  output.out(`${paint(output, 'bold', status.runbook)} (${status.journal}${journal.exists ? '' : ', no journal yet'})`);
  output.out(
    renderTable(
      ['STEP', 'STATE', 'WHEN', 'BY', 'DURATION'],
      status.steps.map((row) => [row.id + (row.changed ? ' *' : ''), color(row.state), row.when ?? '-', row.by ?? '-', row.durationMs === undefined ? '-' : formatDuration(row.durationMs)]),
    ),
  );
  if (status.steps.some((row) => row.changed)) output.out('* changed in the runbook since it ran');
  output.out(`next: ${status.nextAction}`);
}

/** The runbook's outline from the cache, or from a full load (which then fills the cache). */
async function outlineOf(file: string, flags: SessionFlags, output: Output): Promise<RunbookOutline> {
  const cacheDir = join(process.cwd(), '.cutover', 'cache');
  const text = await readFile(file, 'utf8').catch(() => undefined);
  const varsFile = flags.varsFile ? await readFile(flags.varsFile, 'utf8').catch(() => undefined) : undefined;
  const key = text === undefined ? undefined : outlineKey(text, { file, vars: flags.var ?? [], varsFile });
  const cached = key ? readOutline(cacheDir, key, process.env) : undefined;
  if (cached) return cached;
  const { loadOrExit } = await import('../runbook-options.js');
  const runbook = await loadOrExit(file, flags, output);
  const masker = createMasker(runbook.secrets.values);
  const outline: RunbookOutline = { name: runbook.name, file: runbook.file, steps: runbook.steps.map((s) => ({ id: s.id, title: masker.text(s.title), digest: s.digest })) };
  if (key && text !== undefined) writeOutline(cacheDir, key, text, process.env, outline);
  return outline;
}
