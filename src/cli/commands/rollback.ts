import type { RollbackOutcome } from '../../engine/outcome.js';
import { planRollback, rollbackRunbook } from '../../engine/rollback.js';
import { ExitCode, ExitError, signalExitCode } from '../exit.js';
import type { Output } from '../output.js';
import { paint } from '../output.js';
import { loadOrExit } from '../runbook-options.js';
import { withSession } from '../session.js';
import type { SessionFlags } from '../session.js';

export interface RollbackFlags extends SessionFlags {
  to?: string;
  last?: string;
  dryRun?: boolean;
}

export async function rollbackCommand(file: string, flags: RollbackFlags, output: Output): Promise<void> {
  const last = flags.last === undefined ? undefined : Number(flags.last);
  if (last !== undefined && (!Number.isInteger(last) || last < 1)) throw new ExitError(ExitCode.invalid, `--last ${flags.last}: expected a whole number of at least 1`);
  if (flags.dryRun) {
    // Read-only: no lock, no journal writes.
    const { rollbackPreview, printRollbackPreview } = await import('./rollback-preview.js');
    const runbook = await loadOrExit(file, flags, output);
    printRollbackPreview(await rollbackPreview(runbook, flags, { to: flags.to, last }), flags, output);
    return;
  }
  const outcome = await withSession(file, flags, output, { command: 'rollback' }, async (ctx) => {
    const plan = planRollback(ctx, { to: flags.to, last });
    if (!plan.ok) throw new ExitError(ExitCode.invalid, plan.reason);
    if (plan.steps.length > 0 && ctx.operator.interactive) {
      const list = plan.steps.map((s) => s.id).join(', ');
      if (!(await ctx.operator.confirm(`Roll back ${plan.steps.length} step(s), newest first: ${list}?`))) {
        return { state: 'nothing_to_roll_back' } as RollbackOutcome;
      }
    }
    return rollbackRunbook(ctx, plan.steps);
  });
  const exit = rollbackExitCode(outcome);
  if (flags.json) output.out(JSON.stringify({ type: 'summary', ...outcome, exitCode: exit }));
  else output.err(summaryLine(outcome, file, output));
  if (exit !== ExitCode.ok) throw new ExitError(exit);
}

/** Also how `rehearse --return` ends. */
export function rollbackExitCode(outcome: RollbackOutcome): number {
  switch (outcome.state) {
    case 'rolled_back':
    case 'nothing_to_roll_back':
      return ExitCode.ok;
    case 'stopped_at_irreversible':
    case 'rollback_failed':
      return ExitCode.rollbackFailed;
    case 'interrupted':
      return signalExitCode(outcome.signal);
  }
}

function summaryLine(outcome: RollbackOutcome, file: string, output: Output): string {
  switch (outcome.state) {
    case 'rolled_back':
      return `${paint(output, 'green', 'rolled back')}: ${outcome.steps.join(', ')} (newest first). "cutover run ${file}" redoes them.`;
    case 'nothing_to_roll_back':
      return 'nothing to roll back: no completed steps in the journal.';
    case 'stopped_at_irreversible':
      return `${paint(output, 'red', 'stopped')} at irreversible step ${outcome.step} (${outcome.reason})${outcome.steps.length ? ` after rolling back ${outcome.steps.join(', ')}` : ''}. Steps before it stay applied; undo them by hand if needed, or roll back less with --to/--last.`;
    case 'rollback_failed':
      return `${paint(output, 'red', 'ROLLBACK FAILED')} at step ${outcome.step}: ${outcome.reason}. A human is needed: repair it by hand (output in .cutover/logs/), then run "cutover rollback ${file}" again to continue from ${outcome.step}.`;
    case 'interrupted':
      return `${paint(output, 'yellow', 'interrupted')} (${outcome.signal}) during the rollback of ${outcome.step ?? 'a step'}; run "cutover rollback ${file}" again to continue.`;
  }
}
