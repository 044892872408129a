/** `cutover log <runbook>`: the journal as readable history. */
import { Command } from '@commander-js/extra-typings';
import type { Output } from '../output.js';
import { addAwsOptions, addSessionOptions } from '../runbook-flags.js';

export function logCommand(output: Output) {
  return addAwsOptions(addSessionOptions(new Command('log').description('the journal as readable history').argument('<runbook>', 'runbook YAML file')))
    .addHelpText(
      'after',
      `
Examples:
  $ cutover log examples/quickstart.yaml
  $ cutover log --json examples/quickstart.yaml | jq .type`,
    )
    .action(async (file, flags) => {
      const { showLog } = await import('../handlers/log.js');
      await showLog(file, flags, output);
    });
}
