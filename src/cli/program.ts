/**
 * The command tree, assembled from the command modules in commands/: each declares its own
 * arguments, options and handler. A handler imports what its command does (handlers/) only
 * when that command runs, so building the tree, and `--help`, loads nothing but commander.
 */
import { Command } from '@commander-js/extra-typings';
import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import type { Output } from './output.js';
import { neutralise } from './terminal-text.js';
import { approveCommand } from './commands/approve.js';
import { journalCommand } from './commands/journal.js';
import { logCommand } from './commands/log.js';
import { planCommand } from './commands/plan.js';
import { rehearseCommand } from './commands/rehearse.js';
import { reportCommand } from './commands/report.js';
import { rollbackCommand } from './commands/rollback.js';
import { resumeCommand, runCommand } from './commands/run.js';
import { schemaCommand } from './commands/schema.js';
import { statusCommand } from './commands/status.js';
import { unlockCommand } from './commands/unlock.js';
import { validateCommand } from './commands/validate.js';
import { watchCommand } from './commands/watch.js';
import { completionCommand } from './commands/completion.js';

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

/** In the order `cutover --help` lists them. */
const COMMANDS = [
  validateCommand,
  planCommand,
  runCommand,
  resumeCommand,
  rehearseCommand,
  rollbackCommand,
  statusCommand,
  watchCommand,
  reportCommand,
  logCommand,
  approveCommand,
  unlockCommand,
  journalCommand,
  schemaCommand,
  completionCommand,
];

export function buildProgram(output: Output, version: string): CommandUnknownOpts {
  const program = new Command('cutover')
    .description('Execute migration runbooks step by step, with a durable journal and tested rollbacks.')
    .version(version, '-V, --version')
    .option('--no-color', 'disable colours (NO_COLOR is honoured too)')
    .showSuggestionAfterError(true)
    .showHelpAfterError('(run "cutover --help" for the list of commands)')
    .addHelpText('after', EXAMPLES)
    .exitOverride()
    .configureOutput({ writeOut: (text) => process.stdout.write(neutralise(text)), writeErr: (text) => process.stderr.write(neutralise(text)) });
  for (const command of COMMANDS) program.addCommand(inheriting(program, command(output)));
  return program;
}

/** addCommand, unlike .command(), does not pass the program's settings (exitOverride, output, help after errors) down. */
function inheriting(parent: CommandUnknownOpts, command: CommandUnknownOpts): CommandUnknownOpts {
  command.copyInheritedSettings(parent);
  for (const sub of command.commands) inheriting(command, sub);
  return command;
}
