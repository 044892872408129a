/** Where a runbook's journal and step logs live by default (DESIGN.md section 3). */
import { join } from 'node:path';

export const STATE_DIR = '.cutover';

/** `.cutover/<name>.journal.jsonl` under cwd; `--journal` overrides it. */
export function defaultJournalPath(runbookName: string, cwd: string): string {
  return join(cwd, STATE_DIR, `${runbookName}.journal.jsonl`);
}

/** Per-step command output. */
export function defaultLogDir(cwd: string): string {
  return join(cwd, STATE_DIR, 'logs');
}
