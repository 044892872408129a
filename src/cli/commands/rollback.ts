/** `cutover rollback <runbook>`: undo completed steps, newest first, from their journaled definitions. */
import { Command, Option } from '@commander-js/extra-typings';
import type { Output } from '../output.js';
import { addAwsOptions, addSessionOptions } from '../runbook-flags.js';

export const FAILED_STEPS = ['rollback', 'skip'] as const;

export function rollbackCommand(output: Output) {
  return addAwsOptions(
    addSessionOptions(
      new Command('rollback')
        .description('reverse every step whose effect may be applied, newest first, using the journaled definitions')
        .argument('<runbook>', 'runbook YAML file'),
    ),
  )
    .option('--to <id>', 'roll back every step after this one (it stays applied)')
    .option('--force', 'restore traffic even when live weights drifted from what the step set (journaled)')
    .option('--dry-run', 'show what would be rolled back and what traffic state would be restored; change nothing')
    .option('--last <n>', 'roll back only the newest N steps')
    .option('--confirm-each', 'ask before rolling back each step, newest first (a terminal only); a no stops there, the older steps stay applied')
    .option('--trust-journal', "run journaled definitions that differ from the runbook's (edited since they ran) without asking; the difference is journaled")
    .addOption(
      new Option(
        '--failed-steps <what>',
        'failed or interrupted steps whose effect is unknown: rollback (run their rollback too) | skip (leave them); without it, CI stops and asks you to decide',
      ).choices(FAILED_STEPS),
    )
    .addHelpText(
      'after',
      `
Examples:
  $ cutover rollback examples/quickstart.yaml
  $ cutover rollback --last 1 --yes runbooks/3-traffic-shift.yaml
  $ cutover rollback --to provision-aws examples/quickstart.yaml
  $ cutover rollback --confirm-each runbooks/3-traffic-shift.yaml`,
    )
    .action(async (file, flags) => {
      const { rollBack } = await import('../handlers/rollback.js');
      await rollBack(file, flags, output);
    });
}
