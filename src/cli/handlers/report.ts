/**
 * `cutover report <runbook>`: a migration report from the journal (file or S3, read-only: no
 * lock, no writes), with the rehearsal journal's evidence when there is one. `--html FILE`
 * writes one self-contained page, `--md FILE` Markdown for a ticket (`-` for stdout), `--json`
 * prints the model; with none of them the Markdown goes to stdout.
 */
import { createHash } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { defaultRehearsalPath, stateDirOf } from '../../journal/paths.js';
import type { Journal } from '../../journal/journal.js';
import { renderHtml } from '../../report/html.js';
import { renderMarkdown } from '../../report/markdown.js';
import { buildReportModel } from '../../report/model.js';
import type { ReportModel } from '../../report/model.js';
import { createMasker } from '../../support/mask.js';
import { ExitCode, ExitError } from '../exit.js';
import type { JournalTargetFlags } from '../journal-backend.js';
import { openJournalReadOnly } from '../journal-reading.js';
import type { Output } from '../output.js';
import type { RunbookFlags } from '../runbook-flags.js';
import { loadOrExit } from '../runbook-options.js';

/** `--journal` (a file or s3:// URL) and the AWS options an S3 journal is read with. */
export interface ReportFlags extends RunbookFlags, JournalTargetFlags {
  /** The rehearsal journal, a file or s3:// URL (default `.cutover/<name>.rehearsal.jsonl`, used when it exists). */
  rehearsal?: string;
  html?: string;
  md?: string;
}

export async function writeReport(file: string, flags: ReportFlags, output: Output): Promise<void> {
  if (flags.html !== undefined && flags.html === flags.md)
    throw new ExitError(ExitCode.invalid, `--html and --md both name ${flags.html}; give them different files`);
  const runbook = await loadOrExit(file, flags, output, 'read');
  const masker = createMasker(runbook.secrets.values);
  const journal = await openJournalReadOnly(runbook, flags);
  warnTorn(journal, output);
  if (!journal.exists) {
    throw new ExitError(
      ExitCode.invalid,
      `no journal at ${journal.location}: nothing to report yet (run "cutover run ${file}" first, or point at the journal with --journal)`,
    );
  }

  let rehearsal: Journal | undefined;
  if (flags.rehearsal !== undefined) {
    rehearsal = await openJournalReadOnly(runbook, { ...flags, journal: flags.rehearsal });
    if (!rehearsal.exists) throw new ExitError(ExitCode.invalid, `--rehearsal ${flags.rehearsal}: no rehearsal journal there`);
  } else {
    const fallback = await openJournalReadOnly(runbook, { ...flags, journal: defaultRehearsalPath(runbook.name, stateDirOf(runbook.file)) });
    if (fallback.exists) rehearsal = fallback;
  }
  if (rehearsal) warnTorn(rehearsal, output);

  const text = await readFile(file).catch(() => undefined);
  const model: ReportModel = masker.value(
    buildReportModel({
      events: journal.events,
      ...(rehearsal ? { rehearsalEvents: rehearsal.events, rehearsalLocation: rehearsal.location } : {}),
      runbook: {
        name: runbook.name,
        ...(runbook.description !== undefined ? { description: runbook.description } : {}),
        file: runbook.file,
        ...(text ? { fileDigest: `sha256:${createHash('sha256').update(text).digest('hex')}` } : {}),
        steps: runbook.steps.map((s) => ({
          id: s.id,
          title: s.title,
          digest: s.digest,
          ...(s.group ? { group: { id: s.group.id, item: s.group.item } } : {}),
          ...(s.unresolved ? { unresolved: s.unresolved } : {}),
        })),
      },
      journalLocation: journal.location,
      generatedAt: new Date().toISOString(),
    }),
  );

  if (flags.json) output.out(JSON.stringify(model));
  const written: string[] = [];
  if (flags.html !== undefined) written.push(await emit(flags.html, renderHtml(model), output));
  if (flags.md !== undefined) written.push(await emit(flags.md, renderMarkdown(model), output));
  if (!flags.json && flags.html === undefined && flags.md === undefined) output.out(renderMarkdown(model));

  const files = written.filter((w) => w !== '-');
  if (files.length > 0) {
    const t = model.totals;
    output.err(
      `report: wrote ${files.join(' and ')} (${model.outcome}; ${t.steps} steps, ${t.failures} failures, ${t.rollbacks} rollbacks, ${model.journal.events} journal events${model.rehearsal ? ', with rehearsal evidence' : ''})`,
    );
  }
}

function warnTorn(journal: Journal, output: Output): void {
  for (const warning of journal.warnings) {
    output.err(`warning: ${journal.location}: line ${warning.torn.line} was cut off mid-write (a crash, or a run writing right now); the report ignores it`);
  }
}

/** Writes `content` to `target` (`-`: stdout) through a temporary file, mode 0600 like the journal. */
async function emit(target: string, content: string, output: Output): Promise<string> {
  if (target === '-') {
    output.out(content);
    return target;
  }
  const temporary = `${target}.${process.pid}.tmp`;
  try {
    await writeFile(temporary, content, { mode: 0o600 });
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => undefined);
    throw new ExitError(ExitCode.invalid, `cannot write ${target}: ${(error as Error).message}`);
  }
  return target;
}
