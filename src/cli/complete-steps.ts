/**
 * `cutover __complete-steps <runbook>` (hidden; the completion scripts call it): the step
 * ids of a runbook, one per line. It loads the runbook as validate does (variables without
 * a value are no error) and touches no journal and no AWS; any problem prints nothing, so
 * a half-written runbook never breaks the shell.
 */
import { loadRunbookFile } from '../runbook/load.js';

export async function completeSteps(file: string | undefined, write: (text: string) => void): Promise<number> {
  if (!file) return 0;
  try {
    const loaded = await loadRunbookFile(file, { mode: 'validate', digests: false, env: process.env });
    if (loaded.ok && loaded.runbook.steps.length > 0) write(`${loaded.runbook.steps.map((s) => s.id).join('\n')}\n`);
  } catch {
    // Completion must never print an error into the middle of a command line.
  }
  return 0;
}
