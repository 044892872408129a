/** `cutover schema`: the JSON Schema of the runbook format. */
import { Command } from '@commander-js/extra-typings';
import type { Output } from '../output.js';

export function schemaCommand(output: Output) {
  return new Command('schema')
    .description('print the JSON Schema of the runbook format (for yaml-language-server)')
    .addHelpText(
      'after',
      `
Examples:
  $ cutover schema > runbook.schema.json
  # then, first line of a runbook:
  # yaml-language-server: $schema=./runbook.schema.json`,
    )
    .action(async () => {
      const { printSchema } = await import('../handlers/schema.js');
      printSchema(output);
    });
}
