/**
 * The command tree. Each command's module is imported only when that command runs, so
 * `--help` loads nothing but commander.
 */
import { Command } from 'commander';
import type { Output } from './output.js';
import { addRunbookOptions } from './runbook-options.js';

const EXAMPLES = `
Examples:
  $ cutover validate examples/quickstart.yaml      check a runbook, every problem at once
  $ cutover plan examples/quickstart.yaml          what run would do, with resolved commands
  $ cutover schema > runbook.schema.json          JSON Schema for editors

Exit codes: 0 ok, 1 a step failed, 2 invalid runbook/journal/usage, 3 a rollback failed,
4 journal locked by another run, 130/143 interrupted.
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
    .configureOutput({ writeOut: (text) => process.stdout.write(text), writeErr: (text) => process.stderr.write(text) });

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
  $ cutover validate runbooks/traffic-shift.yaml
  $ cutover validate --strict --var zone=Z0123 runbooks/traffic-shift.yaml
  $ cutover validate --json examples/quickstart.yaml | jq .diagnostics

Exits 0 when valid (warnings allowed), 2 when invalid.`,
    )
    .action(async (file: string, flags) => {
      const { validateCommand } = await import('./commands/validate.js');
      await validateCommand(file, flags, output);
    });

  addRunbookOptions(
    program
      .command('plan')
      .description('read-only: list the steps in order with resolved action, checks, rollback and digest')
      .argument('<runbook>', 'runbook YAML file'),
  )
    .addHelpText(
      'after',
      `
Examples:
  $ cutover plan examples/quickstart.yaml
  $ cutover plan --json --var record=app.example.com. runbooks/traffic-shift.yaml`,
    )
    .action(async (file: string, flags) => {
      const { planCommand } = await import('./commands/plan.js');
      await planCommand(file, flags, output);
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
