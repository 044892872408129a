/**
 * `cutover status <runbook>` (with only --json, --no-color, --journal) without commander,
 * for when launch.ts's quick path declined (usually a first run with no cached outline).
 * Any other option falls back to the full command line (main.ts decides).
 */
import { runGuarded } from './guarded.js';
import { createOutput } from './output.js';
import type { QuickStatusArgs } from './quick-status.js';

export { quickStatusArgs as plainStatusArgs } from './quick-status.js';

export async function runPlainStatus(plain: QuickStatusArgs): Promise<number> {
  const output = createOutput({ color: plain.color });
  return runGuarded(output, async () => {
    const { showStatus } = await import('./handlers/status.js');
    await showStatus(plain.file, { ...(plain.json ? { json: true } : {}), ...(plain.journal === undefined ? {} : { journal: plain.journal }) }, output);
  });
}
