/**
 * Where a runbook's journal, step logs and cache live by default (docs/running.md, "Where the
 * journal lives"): in `.cutover/` next to the runbook file, so the working directory does not matter. A second
 * directory, a CI job that cd's elsewhere, a shell in another folder: all find the same
 * journal, and the drift guard always has the migration's history to compare with.
 */
import { dirname, join, resolve } from 'node:path';

export const STATE_DIR = '.cutover';

/** `<runbook's directory>/.cutover`. */
export function stateDirOf(runbookFile: string): string {
  return join(dirname(resolve(runbookFile)), STATE_DIR);
}

/** `<state dir>/<name>.journal.jsonl`; `--journal` or the runbook's `journal:` override it. */
export function defaultJournalPath(runbookName: string, stateDir: string): string {
  return join(stateDir, `${runbookName}.journal.jsonl`);
}

/** `<state dir>/<name>.rehearsal.jsonl`: `cutover rehearse` never writes a production journal. */
export function defaultRehearsalPath(runbookName: string, stateDir: string): string {
  return join(stateDir, `${runbookName}.rehearsal.jsonl`);
}

/** Per-step command output. */
export function defaultLogDir(stateDir: string): string {
  return join(stateDir, 'logs');
}

/** Where cutover kept the default journal before it moved next to the runbook: `.cutover/` of the working directory. */
export function legacyJournalPath(runbookName: string, cwd: string): string {
  return join(cwd, STATE_DIR, `${runbookName}.journal.jsonl`);
}
