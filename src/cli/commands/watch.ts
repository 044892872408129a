/** `cutover watch <runbook>`: evaluate the watch of the step baking now, and journal it. */
import { Command } from '@commander-js/extra-typings';
import type { Output } from '../output.js';
import { addAwsOptions, addSessionOptions } from '../runbook-flags.js';

export function watchCommand(output: Output) {
  return addAwsOptions(
    addSessionOptions(
      new Command('watch')
        .description(
          'evaluate the watch of the step that is baking now and journal it; a failure applies its onFailure (may roll back); never starts a step (takes the lock)',
        )
        .argument('<runbook>', 'runbook YAML file'),
    ),
  )
    .addHelpText(
      'after',
      `
Examples:
  $ cutover watch runbooks/3-traffic-shift.yaml
  $ cutover watch --journal s3://acme-cutover/traffic-shift.journal.jsonl runbooks/3-traffic-shift.yaml

Exit codes: 0 the watch passed (or nothing is baking), 1 it failed, 3 the rollback it triggered failed.
"cutover run" evaluates the same watch on its way; watch is for checks between runs.`,
    )
    .action(async (file, flags) => {
      const { watchBake } = await import('../handlers/watch.js');
      await watchBake(file, flags, output);
    });
}
