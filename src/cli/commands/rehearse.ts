/** `cutover rehearse <runbook>`: for staging, run, roll back and run again every step. */
import { Command, Option } from '@commander-js/extra-typings';
import type { Output } from '../output.js';
import { addAwsOptions, addJournalOption, addRunbookOptions } from '../runbook-flags.js';
import { ON_INTERRUPTED } from './run.js';

export function rehearseCommand(output: Output) {
  return addAwsOptions(
    addJournalOption(
      addRunbookOptions(
        new Command('rehearse')
          .description('for staging: per step run, verify, roll back, verify the rollback, run again; records each result for the rehearsal gate')
          .argument('<runbook>', 'runbook YAML file'),
      ),
      'rehearsal journal (default .cutover/<name>.rehearsal.jsonl)',
    )
      .option('-y, --yes', 'never prompt: stop at manual steps without an approval (also without a TTY or with CI=true)')
      .option('--return', 'at the end, roll every step back, newest first, verifying each: staging as it was')
      .addOption(
        new Option('--on-interrupted <what>', 'without a TTY, a step an earlier rehearsal left interrupted that has no verify (as for resume)').choices(
          ON_INTERRUPTED,
        ),
      )
      .option('--force', 'apply traffic steps even when live weights drifted from the journal (journaled)'),
  )
    .addHelpText(
      'after',
      `
Examples:
  $ cutover rehearse --yes --return --vars-file staging.yaml runbooks/3-traffic-shift.yaml
  $ cutover rehearse examples/quickstart.yaml

Exit codes: 0 rehearsed (steps may be "rollback unverified": see the report), 1 a step failed
its rehearsal, 2 invalid or refused, 3 --return could not roll everything back, 4 locked,
130/143 interrupted.`,
    )
    .action(async (file, flags) => {
      const { rehearse } = await import('../handlers/rehearse.js');
      await rehearse(file, flags, output);
    });
}
