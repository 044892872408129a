/** `cutover unlock <runbook>`: remove a stale lock, or (asking) an S3 lease. */
import { Command } from '@commander-js/extra-typings';
import type { Output } from '../output.js';
import { addAwsOptions, addSessionOptions } from '../runbook-flags.js';

export function unlockCommand(output: Output) {
  return addAwsOptions(
    addSessionOptions(
      new Command('unlock')
        .description('remove a stale lock (its holder is gone), with a warning; for an S3 lease, show the holder and ask')
        .argument('<runbook>', 'runbook YAML file'),
    ),
  )
    .option('--force', 'remove the lock even though its holder may be alive (another host); an S3 lease without asking')
    .addHelpText(
      'after',
      `
Examples:
  $ cutover unlock examples/quickstart.yaml
  $ cutover unlock --force --journal s3://acme-cutover/traffic-shift.journal.jsonl runbooks/3-traffic-shift.yaml`,
    )
    .action(async (file, flags) => {
      const { unlock } = await import('../handlers/unlock.js');
      await unlock(file, flags, output);
    });
}
