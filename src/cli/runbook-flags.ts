/**
 * The option groups several commands share, each a small function that adds its options to
 * a command and keeps their types (@commander-js/extra-typings). Kept apart from
 * runbook-options.ts so that building the command tree (and `--help`) does not load the
 * runbook loader.
 */
import { InvalidArgumentError } from '@commander-js/extra-typings';
import type { Command, OptionValues } from '@commander-js/extra-typings';

export interface RunbookFlags {
  var?: string[];
  varsFile?: string;
  json?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function addRunbookOptions<A extends unknown[], O extends OptionValues, G extends OptionValues>(command: Command<A, O, G>) {
  return command
    .option('--var <name=value>', 'override a runbook variable (repeatable)', collect)
    .option('--vars-file <file>', 'YAML mapping of variable overrides (before --var)')
    .option('--json', 'machine-readable output');
}

/** --region, --profile, --endpoint-url: see aws-setup.ts. */
export function addAwsOptions<A extends unknown[], O extends OptionValues, G extends OptionValues>(command: Command<A, O, G>) {
  return command
    .option('--region <region>', "AWS region for ELBv2 (else the runbook's aws.region, then the SDK's chain)")
    .option('--profile <name>', "AWS profile (else the runbook's aws.profile, then the SDK's chain)")
    .option('--endpoint-url <url>', 'AWS endpoint for every service, e.g. a local test endpoint (also AWS_ENDPOINT_URL)');
}

export const JOURNAL_HELP = "journal file or s3://bucket/key (default: the runbook's journal:, else .cutover/<name>.journal.jsonl)";

/** `--journal ""` would resolve to the working directory, and be reported as "a directory". */
export function journalFlag(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('it is empty; give a journal file path or an s3://bucket/key URL, or leave --journal out');
  return value;
}

export function addJournalOption<A extends unknown[], O extends OptionValues, G extends OptionValues>(command: Command<A, O, G>, description = JOURNAL_HELP) {
  return command.option('--journal <path>', description, journalFlag);
}

/** The runbook options, --journal and --yes: what every command on a migration's journal takes. */
export function addSessionOptions<A extends unknown[], O extends OptionValues, G extends OptionValues>(command: Command<A, O, G>) {
  return addJournalOption(addRunbookOptions(command)).option(
    '-y, --yes',
    'never prompt: follow onFailure, stop at manual steps (also without a TTY or with CI=true)',
  );
}
