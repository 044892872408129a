import { replay } from '../../journal/replay.js';
import type { JournalState } from '../../journal/replay.js';
import { formatDuration, parseDuration } from '../../runbook/duration.js';
import { outlineKey, readOutline, writeOutline } from '../../runbook/outline-cache.js';
import type { RunbookOutline } from '../../runbook/outline-cache.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createMasker } from '../../support/mask.js';
import { openJournalReadOnly, tornLineWarnings } from '../journal-reading.js';
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
  /** A succeeded step whose bake has not passed yet. */
  bake?: { until: string; leftMs: number; watch?: { ok: boolean; summary: string; ts: string } };
}

export interface Status {
  runbook: string;
  journal: string;
  steps: StatusRow[];
  next?: string;
  nextAction: string;
}

/** Library function: the status of every step, from the journal only. */
export function buildStatus(runbook: Pick<RunbookOutline, 'name' | 'file'> & { steps: { id: string; digest: string }[] }, state: JournalState, journal: string, now = Date.now()): Status {
  const steps = runbook.steps.map((step): StatusRow => {
    const record = state.steps.get(step.id);
    const row: StatusRow = {
      id: step.id,
      state: record?.state ?? 'pending',
      when: record?.finishedAt ?? record?.startedAt,
      by: record?.by,
      durationMs: record?.durationMs,
      changed: record?.digest !== undefined && record.digest !== step.digest,
    };
    const bakeMs = record?.definition?.bakeMs;
    if (record?.state === 'succeeded' && record.finishedAt && bakeMs !== undefined) {
      const endsAt = Date.parse(record.finishedAt) + bakeMs;
      if (endsAt > now) row.bake = { until: new Date(endsAt).toISOString(), leftMs: endsAt - now, ...(record.lastWatch ? { watch: { ok: record.lastWatch.ok, summary: record.lastWatch.summary, ts: record.lastWatch.ts } } : {}) };
    }
    return row;
  });
  // Steps that ran but are gone from the file still matter for rollback.
  for (const record of state.steps.values()) {
    if (!runbook.steps.some((s) => s.id === record.id)) steps.push({ id: record.id, state: `${record.state} (not in runbook)`, when: record.finishedAt ?? record.startedAt, by: record.by, durationMs: record.durationMs, changed: true });
  }
  const blocking = steps.find((s) => ['running', 'interrupted', 'failed', 'rolling-back', 'rollback-failed'].includes(s.state));
  const next = steps.find((s) => !['succeeded', 'skipped'].includes(s.state))?.id;
  const baking = steps.filter((s) => s.bake).sort((a, b) => (b.bake?.leftMs ?? 0) - (a.bake?.leftMs ?? 0))[0];
  const watchFailed = steps.find((s) => s.state === 'succeeded' && s.bake?.watch && !s.bake.watch.ok);
  const nextAction = watchFailed
    ? `the watch of ${watchFailed.id} failed (${watchFailed.bake?.watch?.summary ?? ''}): investigate, then "cutover approve ${runbook.file} ${watchFailed.id}" or "cutover rollback ${runbook.file}"`
    : !blocking && next && baking?.bake
    ? `wait: ${baking.id} is baking until ${baking.bake.until} (${formatDuration(Math.ceil(baking.bake.leftMs / 60_000) * 60_000)} left), then "cutover run ${runbook.file}" runs ${next}`
    : blocking
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

export async function statusCommand(file: string, flags: SessionFlags & { check?: boolean; watch?: boolean; interval?: string }, output: Output): Promise<void> {
  if (flags.watch) {
    const { ExitCode, ExitError } = await import('../exit.js');
    if (flags.check) throw new ExitError(ExitCode.invalid, '--watch only reads; --check takes the lock and journals: run them separately');
    const intervalMs = flags.interval === undefined ? 2_000 : parseDuration(flags.interval);
    if (intervalMs === undefined || intervalMs < 100) throw new ExitError(ExitCode.invalid, `--interval ${flags.interval ?? ''}: write a duration of at least 100ms, like 2s or 1m`);
    const { watchStatus } = await import('./status-watch.js');
    await watchStatus(file, flags, output, { intervalMs, outline: await outlineOf(file, flags, output) });
    return;
  }
  let exit = 0;
  if (flags.check) {
    // Evaluates (and journals) the watch of a baking step first: that needs the lock and the full runbook.
    const { checkBake } = await import('./status-check.js');
    exit = await checkBake(file, flags, output);
  }
  await printStatus(file, flags, output);
  if (exit !== 0) {
    const { ExitError } = await import('../exit.js');
    throw new ExitError(exit);
  }
}

async function printStatus(file: string, flags: SessionFlags, output: Output): Promise<void> {
  const runbook = await outlineOf(file, flags, output);
  const journal = await openJournalReadOnly(runbook, flags);
  for (const line of tornLineWarnings(journal, false)) output.err(line);
  const status = buildStatus(runbook, replay(journal.events), journal.location);
  if (flags.json) {
    output.out(JSON.stringify(status));
    return;
  }
  output.out(`${paint(output, 'bold', status.runbook)} (${status.journal}${journal.exists ? '' : ', no journal yet'})`);
  output.out(statusTable(status, output));
  if (status.steps.some((row) => row.changed)) output.out('* changed in the runbook since it ran');
  output.out(`next: ${status.nextAction}`);
}

/** The runbook's outline from the cache, or from a full load (which then fills the cache). */
export async function outlineOf(file: string, flags: SessionFlags, output: Output): Promise<RunbookOutline> {
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
  if (runbook.journal !== undefined) Object.assign(outline, { journal: runbook.journal, aws: { region: runbook.aws.region, profile: runbook.aws.profile, endpointUrl: runbook.aws.endpointUrl } });
  if (key && text !== undefined) writeOutline(cacheDir, key, text, process.env, outline);
  return outline;
}

/** The step table of `cutover status` (and of `status --watch`). */
export function statusTable(status: Status, output: Pick<Output, 'color'>): string {
  const color = (state: string) => (state === 'succeeded' ? paint(output, 'green', state) : state.includes('fail') ? paint(output, 'red', state) : state);
  return renderTable(
    ['STEP', 'STATE', 'WHEN', 'BY', 'DURATION', 'BAKE'],
    status.steps.map((row) => [
      row.id + (row.changed ? ' *' : ''),
      color(row.state),
      row.when ?? '-',
      row.by ?? '-',
      row.durationMs === undefined ? '-' : formatDuration(row.durationMs),
      row.bake ? `${formatDuration(Math.ceil(row.bake.leftMs / 60_000) * 60_000)} left${row.bake.watch ? (row.bake.watch.ok ? ', watch ok' : ', WATCH FAILED') : ''}` : '-',
    ]),
  );
}
