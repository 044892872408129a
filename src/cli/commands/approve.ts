/** `cutover approve <runbook> <step>`: record an approval, for non-interactive runs. */
import { Command } from '@commander-js/extra-typings';
import type { Output } from '../output.js';
import { addAwsOptions, addSessionOptions } from '../runbook-flags.js';

export function approveCommand(output: Output) {
  return addAwsOptions(
    addSessionOptions(
      new Command('approve')
        .description('record an approval for a manual step, for non-interactive runs')
        .argument('<runbook>', 'runbook YAML file')
        .argument('<step>', 'id of the manual step'),
    )
      .option('--note <text>', 'why, or what was checked')
      .option('--expires <duration>', 'the approval lapses after this long, e.g. 2h'),
  )
    .addHelpText(
      'after',
      `
Examples:
  $ cutover approve examples/quickstart.yaml check-copy --note "looked at it"
  $ cutover approve runbooks/2-database-shards-half.yaml approve-window --expires 2h`,
    )
    .action(async (file, step, flags) => {
      const { approve } = await import('../handlers/approve.js');
      await approve(file, step, flags, output);
    });
}
