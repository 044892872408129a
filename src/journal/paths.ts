/** Where a runbook's journal and step logs live by default (DESIGN.md section 3). */
import { join } from 'node:path';

export const STATE_DIR = '.cutover';

/** `.cutover/<name>.journal.jsonl` under cwd; `--journal` overrides it. */
export function defaultJournalPath(runbookName: string, cwd: string): string {
  return join(cwd, STATE_DIR, `${runbookName}.journal.jsonl`);
}

/** `.cutover/<name>.rehearsal.jsonl` under cwd: `cutover rehearse` never writes a production journal. */
export function defaultRehearsalPath(runbookName: string, cwd: string): string {
  return join(cwd, STATE_DIR, `${runbookName}.rehearsal.jsonl`);
}

/** Per-step command output. */
export function defaultLogDir(cwd: string): string {
  return join(cwd, STATE_DIR, 'logs');
}
