/** `cutover validate <runbook>`: parse and check a runbook, every problem at once. */
import { Command } from '@commander-js/extra-typings';
import type { Output } from '../output.js';
import { addRunbookOptions } from '../runbook-flags.js';

export function validateCommand(output: Output) {
  return addRunbookOptions(
    new Command('validate')
      .description('parse and check a runbook; all problems at once as file:line:col: message')
      .argument('<runbook>', 'runbook YAML file')
      .option('--strict', 'also report steps without verify'),
  )
    .addHelpText(
      'after',
      `
Examples:
  $ cutover validate runbooks/3-traffic-shift.yaml
  $ cutover validate --strict --var zone=Z0123 runbooks/3-traffic-shift.yaml
  $ cutover validate --json examples/quickstart.yaml | jq .diagnostics

Exits 0 when valid (warnings allowed), 2 when invalid.`,
    )
    .action(async (file, flags) => {
      const { validate } = await import('../handlers/validate.js');
      await validate(file, flags, output);
    });
}
