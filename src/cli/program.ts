/**
 * The command tree. Each command's module is imported only when that command runs, so
 * `--help` loads nothing but commander.
 */
import { Command, InvalidArgumentError } from 'commander';
import type { Output } from './output.js';
import { neutralise } from './terminal-text.js';

/** `--journal ""` would resolve to the working directory, and be reported as "a directory". */
function journalFlag(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('it is empty; give a journal file path or an s3://bucket/key URL, or leave --journal out');
  return value;
}
import { addRunbookOptions } from './runbook-flags.js';

const EXAMPLES = `
Examples:
  $ cutover validate examples/quickstart.yaml      check a runbook, every problem at once
  $ cutover plan examples/quickstart.yaml          what run would do, with resolved commands
  $ cutover rehearse --return examples/quickstart.yaml  in staging: prove each rollback
  $ cutover run examples/quickstart.yaml           execute, asking before each step
  $ cutover status examples/quickstart.yaml        where the migration stands
  $ cutover rollback examples/quickstart.yaml      undo completed steps, newest first
  $ cutover schema > runbook.schema.json          JSON Schema for editors

Exit codes: 0 ok, 1 a step failed, 2 invalid runbook/journal/usage, 3 a rollback failed,
4 journal locked by another run, 129/130/143 interrupted (SIGHUP/SIGINT/SIGTERM).
Docs: README.md and docs/runbook-format.md`;

export function buildProgram(output: Output, version: string): Command {
  const program = new Command('cutover')
    .description('Execute migration runbooks step by step, with a durable journal and tested rollbacks.')
    .version(version, '-V, --version')
    .option('--no-color', 'disable colours (NO_COLOR is honoured too)')
    .showSuggestionAfterError(true)
    .showHelpAfterError('(run "cutover --help" for the list of commands)')
    .addHelpText('after', EXAMPLES)
    // Settings made before the subcommands exist are inherited by them.
    .exitOverride()
    .configureOutput({ writeOut: (text) => process.stdout.write(neutralise(text)), writeErr: (text) => process.stderr.write(neutralise(text)) });

  const awsOptions = (command: Command) =>
    command
      .option('--region <region>', 'AWS region for ELBv2 (else the runbook\'s aws.region, then the SDK\'s chain)')
      .option('--profile <name>', 'AWS profile (else the runbook\'s aws.profile, then the SDK\'s chain)')
      .option('--endpoint-url <url>', 'AWS endpoint for every service, e.g. a local test endpoint (also AWS_ENDPOINT_URL)');

  addRunbookOptions(
    program
      .command('validate')
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
    .action(async (file: string, flags) => {
      const { validateCommand } = await import('./commands/validate.js');
      await validateCommand(file, flags, output);
    });

  awsOptions(addRunbookOptions(
    program
      .command('plan')
      .description('read-only: what run would do next given the journal, with resolved commands and digests')
      .argument('<runbook>', 'runbook YAML file')
      .option('--journal <path>', 'journal file or s3://bucket/key (default: the runbook\'s journal:, else .cutover/<name>.journal.jsonl)', journalFlag)
      .option('--offline', 'no AWS calls: show traffic targets without the live diff')
      .option('--rollback', 'show what "cutover rollback" would undo and restore, from the current state'),
  ))
    .addHelpText(
      'after',
      `
Examples:
  $ cutover plan examples/quickstart.yaml
  $ cutover plan --json --var record=app.example.com. runbooks/3-traffic-shift.yaml`,
    )
    .action(async (file: string, flags) => {
      const { planCommand } = await import('./commands/plan.js');
      await planCommand(file, flags, output);
    });

  const sessionOptions = (command: Command) =>
    addRunbookOptions(command)
      .option('--journal <path>', 'journal file or s3://bucket/key (default: the runbook\'s journal:, else .cutover/<name>.journal.jsonl)', journalFlag)
      .option('-y, --yes', 'never prompt: follow onFailure, stop at manual steps (also without a TTY or with CI=true)');

  const runOptions = (command: Command) =>
    awsOptions(sessionOptions(command))
      .option('--force', 'apply traffic steps even when live weights drifted from the journal (journaled)')
      .option('--max-steps <n>', 'run at most N steps, then stop')
      .option('--until <id>', 'stop after this step')
      .option('--accept-changes', 'run even though completed steps changed since they ran (journaled)')
      .option('--on-interrupted <what>', 'without a TTY, what to do with an interrupted step that has no verify: retry | rollback | kill')
      .option('--bake <mode>', 'at an open bake window: wait (watching until it passes) or exit (watch once, report waiting); default wait at a terminal, exit otherwise')
      .option('--detailed-exitcode', 'exit 10 when steps remain, 11 when waiting for a bake, 12 when waiting for an approval')
      .option('--require-rehearsal', 'refuse to start unless every step to run passed a rehearsal of its current definition (as policy.requireRehearsal)')
      .option('--rehearsal <path>', 'the rehearsal journal the gate reads (default .cutover/<name>.rehearsal.jsonl)');

  runOptions(program.command('run').description('execute pending steps in order, asking before each; resumes from the journal').argument('<runbook>', 'runbook YAML file'))
    .option('--dry-run', 'walk through the prompts and show what would run; execute and journal nothing')
    .addHelpText(
      'after',
      `
Examples:
  $ cutover run examples/quickstart.yaml
  $ cutover run --yes --max-steps 1 runbooks/3-traffic-shift.yaml
  $ cutover run --dry-run examples/quickstart.yaml

Ctrl-C stops the running step (journaled as interrupted); "cutover resume" picks it up.`,
    )
    .action(async (file: string, flags) => {
      const { runCommand } = await import('./commands/run.js');
      await runCommand(file, flags, output, 'run');
    });

  runOptions(program.command('resume').description('like run, but requires a journal and first resolves an interrupted step').argument('<runbook>', 'runbook YAML file'))
    .addHelpText(
      'after',
      `
Examples:
  $ cutover resume examples/quickstart.yaml
  $ cutover resume --yes --on-interrupted retry runbooks/1-apps-to-kubernetes.yaml`,
    )
    .action(async (file: string, flags) => {
      const { runCommand } = await import('./commands/run.js');
      await runCommand(file, flags, output, 'resume');
    });

  awsOptions(
    addRunbookOptions(program.command('rehearse').description('for staging: per step run, verify, roll back, verify the rollback, run again; records each result for the rehearsal gate').argument('<runbook>', 'runbook YAML file'))
      .option('--journal <path>', 'rehearsal journal (default .cutover/<name>.rehearsal.jsonl)', journalFlag)
      .option('-y, --yes', 'never prompt: stop at manual steps without an approval (also without a TTY or with CI=true)')
      .option('--return', 'at the end, roll every step back, newest first, verifying each: staging as it was')
      .option('--on-interrupted <what>', 'without a TTY, a step an earlier rehearsal left interrupted that has no verify: retry | rollback | kill (as for resume)')
      .option('--force', 'apply traffic steps even when live weights drifted from the journal (journaled)'),
  )
    .addHelpText('after', `
Examples:
  $ cutover rehearse --yes --return --vars-file staging.yaml runbooks/3-traffic-shift.yaml
  $ cutover rehearse examples/quickstart.yaml

Exit codes: 0 rehearsed (steps may be "rollback unverified": see the report), 1 a step failed
its rehearsal, 2 invalid or refused, 3 --return could not roll everything back, 4 locked,
130/143 interrupted.`)
    .action(async (file: string, flags) => {
      const { rehearseCommand } = await import('./commands/rehearse.js');
      await rehearseCommand(file, flags, output);
    });

  awsOptions(sessionOptions(program.command('rollback').description('reverse every step whose effect may be applied, newest first, using the journaled definitions').argument('<runbook>', 'runbook YAML file')))
    .option('--to <id>', 'roll back every step after this one (it stays applied)')
    .option('--force', 'restore traffic even when live weights drifted from what the step set (journaled)')
    .option('--dry-run', 'show what would be rolled back and what traffic state would be restored; change nothing')
    .option('--last <n>', 'roll back only the newest N steps')
    .option('--trust-journal', 'run journaled definitions that differ from the runbook\'s (edited since they ran) without asking; the difference is journaled')
    .option('--failed-steps <what>', 'failed or interrupted steps whose effect is unknown: rollback (run their rollback too) | skip (leave them); without it, CI stops and asks you to decide')
    .addHelpText(
      'after',
      `
Examples:
  $ cutover rollback examples/quickstart.yaml
  $ cutover rollback --last 1 --yes runbooks/3-traffic-shift.yaml
  $ cutover rollback --to provision-aws examples/quickstart.yaml`,
    )
    .action(async (file: string, flags) => {
      const { rollbackCommand } = await import('./commands/rollback.js');
      await rollbackCommand(file, flags, output);
    });

  awsOptions(sessionOptions(program.command('status').description('table of steps: state, when, by whom, duration, bake left, next action (reads the journal only)').argument('<runbook>', 'runbook YAML file'))
    .option('--check', 'refused: status only reads; use "cutover watch" to evaluate a baking step\'s watch')
    .option('--watch', 'keep watching the journal (read-only): redraw until Ctrl-C at a terminal, else print a block on every change')
    .option('--interval <duration>', 'with --watch: how often to read the journal (default 2s)'))
    .addHelpText('after', `
Examples:
  $ cutover status examples/quickstart.yaml
  $ cutover status --json examples/quickstart.yaml
  $ cutover status --watch runbooks/3-traffic-shift.yaml`)
    .action(async (file: string, flags) => {
      const { statusCommand } = await import('./commands/status.js');
      await statusCommand(file, flags, output);
    });

  awsOptions(sessionOptions(program.command('watch').description('evaluate the watch of the step that is baking now and journal it; a failure applies its onFailure (may roll back); never starts a step (takes the lock)').argument('<runbook>', 'runbook YAML file')))
    .addHelpText('after', `
Examples:
  $ cutover watch runbooks/3-traffic-shift.yaml
  $ cutover watch --journal s3://acme-cutover/traffic-shift.journal.jsonl runbooks/3-traffic-shift.yaml

Exit codes: 0 the watch passed (or nothing is baking), 1 it failed, 3 the rollback it triggered failed.
"cutover run" evaluates the same watch on its way; watch is for checks between runs.`)
    .action(async (file: string, flags) => {
      const { watchCommand } = await import('./commands/watch.js');
      await watchCommand(file, flags, output);
    });

  awsOptions(
    addRunbookOptions(program.command('report').description('a migration report from the journal: one self-contained HTML page, or Markdown for a ticket (reads only)').argument('<runbook>', 'runbook YAML file'))
      .option('--journal <path>', 'journal file or s3://bucket/key (default: the runbook\'s journal:, else .cutover/<name>.journal.jsonl)', journalFlag)
      .option('--rehearsal <path>', 'rehearsal journal whose evidence to include (default .cutover/<name>.rehearsal.jsonl, when it exists)')
      .option('--html <file>', 'write one self-contained HTML page (inline CSS and SVG, no script, no network); - for stdout')
      .option('--md <file>', 'write Markdown, for a change ticket; - for stdout'),
  )
    .addHelpText('after', `
Examples:
  $ cutover report examples/quickstart.yaml --html report.html
  $ cutover report runbooks/3-traffic-shift.yaml --html report.html --md report.md
  $ cutover report --journal s3://acme-cutover/traffic-shift.journal.jsonl runbooks/3-traffic-shift.yaml --md -
  $ cutover report --json examples/quickstart.yaml | jq .totals

Without --html or --md the Markdown goes to stdout; --json prints the report's model.`)
    .action(async (file: string, flags) => {
      const { reportCommand } = await import('./commands/report.js');
      await reportCommand(file, flags, output);
    });

  awsOptions(sessionOptions(program.command('log').description('the journal as readable history').argument('<runbook>', 'runbook YAML file')))
    .addHelpText('after', `
Examples:
  $ cutover log examples/quickstart.yaml
  $ cutover log --json examples/quickstart.yaml | jq .type`)
    .action(async (file: string, flags) => {
      const { logCommand } = await import('./commands/log.js');
      await logCommand(file, flags, output);
    });

  awsOptions(sessionOptions(program.command('approve').description('record an approval for a manual step, for non-interactive runs').argument('<runbook>', 'runbook YAML file').argument('<step>', 'id of the manual step'))
    .option('--note <text>', 'why, or what was checked')
    .option('--expires <duration>', 'the approval lapses after this long, e.g. 2h'))
    .addHelpText('after', `
Examples:
  $ cutover approve examples/quickstart.yaml check-copy --note "looked at it"
  $ cutover approve runbooks/2-database-shards-half.yaml approve-window --expires 2h`)
    .action(async (file: string, step: string, flags) => {
      const { approveCommand } = await import('./commands/approve.js');
      await approveCommand(file, step, flags, output);
    });

  awsOptions(sessionOptions(program.command('unlock').description('remove a stale lock (its holder is gone), with a warning; for an S3 lease, show the holder and ask').argument('<runbook>', 'runbook YAML file')))
    .option('--force', 'remove the lock even though its holder may be alive (another host); an S3 lease without asking')
    .addHelpText('after', `
Examples:
  $ cutover unlock examples/quickstart.yaml
  $ cutover unlock --force --journal s3://acme-cutover/traffic-shift.journal.jsonl runbooks/3-traffic-shift.yaml`)
    .action(async (file: string, flags) => {
      const { unlockCommand } = await import('./commands/unlock.js');
      await unlockCommand(file, flags, output);
    });

  const journal = program.command('journal').description('copy a journal between a local file and S3 (push, pull), verifying its hash chain');
  const journalCopy = (name: string, description: string, examples: string) =>
    awsOptions(addRunbookOptions(journal.command(name).description(description).argument('<runbook>', 'runbook YAML file').argument('<s3-url>', 's3://bucket/key of the S3 journal')))
      .option('--journal <path>', 'the local journal (default: the runbook\'s journal: when it is a path, else .cutover/<name>.journal.jsonl)', journalFlag)
      .addHelpText('after', `\nExamples:\n${examples}`);
  journalCopy('push', 'copy the local journal to S3 (new, or a continuation of what is there); takes both locks', '  $ cutover journal push runbooks/3-traffic-shift.yaml s3://acme-cutover/traffic-shift.journal.jsonl').action(async (file: string, url: string, flags) => {
    const { journalPushCommand } = await import('./commands/journal-copy.js');
    await journalPushCommand(file, url, flags, output);
  });
  journalCopy('pull', 'copy the S3 journal to the local file (new, or a continuation of it); reads S3 only', '  $ cutover journal pull runbooks/3-traffic-shift.yaml s3://acme-cutover/traffic-shift.journal.jsonl').action(async (file: string, url: string, flags) => {
    const { journalPullCommand } = await import('./commands/journal-copy.js');
    await journalPullCommand(file, url, flags, output);
  });

  program
    .command('schema')
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
      const { schemaCommand } = await import('./commands/schema.js');
      schemaCommand(output);
    });

  return program;
}
