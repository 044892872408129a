/** `cutover report <runbook>`: a migration report from the journal (reads only). */
import { Command } from '@commander-js/extra-typings';
import type { Output } from '../output.js';
import { addAwsOptions, addJournalOption, addRunbookOptions } from '../runbook-flags.js';

export function reportCommand(output: Output) {
  return addAwsOptions(
    addJournalOption(
      addRunbookOptions(
        new Command('report')
          .description('a migration report from the journal: one self-contained HTML page, or Markdown for a ticket (reads only)')
          .argument('<runbook>', 'runbook YAML file'),
      ),
    )
      .option('--rehearsal <path>', 'rehearsal journal whose evidence to include (default .cutover/<name>.rehearsal.jsonl, when it exists)')
      .option('--html <file>', 'write one self-contained HTML page (inline CSS and SVG, no script, no network); - for stdout')
      .option('--md <file>', 'write Markdown, for a change ticket; - for stdout'),
  )
    .addHelpText(
      'after',
      `
Examples:
  $ cutover report examples/quickstart.yaml --html report.html
  $ cutover report runbooks/3-traffic-shift.yaml --html report.html --md report.md
  $ cutover report --journal s3://acme-cutover/traffic-shift.journal.jsonl runbooks/3-traffic-shift.yaml --md -
  $ cutover report --json examples/quickstart.yaml | jq .totals

Without --html or --md the Markdown goes to stdout; --json prints the report's model.`,
    )
    .action(async (file, flags) => {
      const { writeReport } = await import('../handlers/report.js');
      await writeReport(file, flags, output);
    });
}
