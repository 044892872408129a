/**
 * `cutover status <runbook>`: reads only. Plain `status` usually never gets here: launch.ts
 * and main.ts answer it without commander; this is the full command line.
 */
import { Command } from '@commander-js/extra-typings';
import type { Output } from '../output.js';
import { addAwsOptions, addSessionOptions } from '../runbook-flags.js';

export function statusCommand(output: Output) {
  return addAwsOptions(
    addSessionOptions(
      new Command('status')
        .description('table of steps: state, when, by whom, duration, bake left, next action (reads the journal only)')
        .argument('<runbook>', 'runbook YAML file'),
    )
      .option('--check', 'refused: status only reads; use "cutover watch" to evaluate a baking step\'s watch')
      .option('--watch', 'keep watching the journal (read-only): redraw until Ctrl-C at a terminal, else print a block on every change')
      .option('--interval <duration>', 'with --watch: how often to read the journal (default 2s)'),
  )
    .addHelpText(
      'after',
      `
Examples:
  $ cutover status examples/quickstart.yaml
  $ cutover status --json examples/quickstart.yaml
  $ cutover status --watch runbooks/3-traffic-shift.yaml`,
    )
    .action(async (file, flags) => {
      const { showStatus } = await import('../handlers/status.js');
      await showStatus(file, flags, output);
    });
}
