/** `cutover journal push|pull <runbook> <s3-url>`: copy a journal between a local file and S3. */
import { Command } from '@commander-js/extra-typings';
import type { Output } from '../output.js';
import { addAwsOptions, addJournalOption, addRunbookOptions } from '../runbook-flags.js';

function copyCommand(name: string, description: string, example: string) {
  return addJournalOption(
    addAwsOptions(
      addRunbookOptions(
        new Command(name).description(description).argument('<runbook>', 'runbook YAML file').argument('<s3-url>', 's3://bucket/key of the S3 journal'),
      ),
    ),
    "the local journal (default: the runbook's journal: when it is a path, else .cutover/<name>.journal.jsonl)",
  ).addHelpText('after', `\nExamples:\n  $ ${example}`);
}

export function journalCommand(output: Output) {
  const push = copyCommand(
    'push',
    'copy the local journal to S3 (new, or a continuation of what is there); takes both locks',
    'cutover journal push runbooks/3-traffic-shift.yaml s3://acme-cutover/traffic-shift.journal.jsonl',
  ).action(async (file, url, flags) => {
    const { pushJournal } = await import('../handlers/journal-copy.js');
    await pushJournal(file, url, flags, output);
  });
  const pull = copyCommand(
    'pull',
    'copy the S3 journal to the local file (new, or a continuation of it); reads S3 only',
    'cutover journal pull runbooks/3-traffic-shift.yaml s3://acme-cutover/traffic-shift.journal.jsonl',
  ).action(async (file, url, flags) => {
    const { pullJournal } = await import('../handlers/journal-copy.js');
    await pullJournal(file, url, flags, output);
  });
  return new Command('journal')
    .description('copy a journal between a local file and S3 (push, pull), verifying its hash chain')
    .addCommand(push)
    .addCommand(pull);
}
