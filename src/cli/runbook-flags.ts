/**
 * The flags every runbook command shares. Kept apart from runbook-options.ts so that
 * building the command tree (and `--help`) does not load the runbook loader.
 */
import type { Command } from 'commander';

export interface RunbookFlags {
  var?: string[];
  varsFile?: string;
  json?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function addRunbookOptions(command: Command): Command {
  return command
    .option('--var <name=value>', 'override a runbook variable (repeatable)', collect)
    .option('--vars-file <file>', 'YAML mapping of variable overrides (before --var)')
    .option('--json', 'machine-readable output');
}

