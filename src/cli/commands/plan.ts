/** `cutover plan <runbook>`: read-only, what run (or, with --rollback, rollback) would do next. */
import { Command } from '@commander-js/extra-typings';
import type { Output } from '../output.js';
import { addAwsOptions, addJournalOption, addRunbookOptions } from '../runbook-flags.js';

export function planCommand(output: Output) {
  return addAwsOptions(
    addRunbookOptions(
      addJournalOption(
        new Command('plan')
          .description('read-only: what run would do next given the journal, with resolved commands and digests')
          .argument('<runbook>', 'runbook YAML file'),
      )
        .option('--offline', 'no AWS calls: show traffic targets without the live diff')
        .option('--rollback', 'show what "cutover rollback" would undo and restore, from the current state')
        .option(
          '--detailed-exitcode',
          'for a CI pre-flight: exit 0 nothing to do, 2 steps pending, 1 an error (a live read failed, run would refuse, an invalid runbook)',
        ),
    ),
  )
    .addHelpText(
      'after',
      `
Examples:
  $ cutover plan examples/quickstart.yaml
  $ cutover plan --json --var record=app.example.com. runbooks/3-traffic-shift.yaml
  $ cutover plan --detailed-exitcode runbooks/3-traffic-shift.yaml; echo $?

With --detailed-exitcode (Terraform's convention): 0 nothing to do, 2 steps pending (or an
interrupted step to resolve), 1 any error: a live read failed, run would refuse, an invalid
runbook or journal, a usage error. Without it: 0 shown, 2 invalid runbook, journal or usage.`,
    )
    .action(async (file, flags) => {
      const { showPlan } = await import('../handlers/plan.js');
      await showPlan(file, flags, output);
    });
}
