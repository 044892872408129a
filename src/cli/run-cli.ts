/** Parses the command line and runs a command; returns the exit code for main.ts. */
import { readFileSync } from 'node:fs';
import { CommanderError } from 'commander';
import { ExitCode, ExitError } from './exit.js';
import { createOutput } from './output.js';
import { buildProgram } from './program.js';

export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export async function runCli(argv: string[]): Promise<number> {
  const output = createOutput({ color: !argv.includes('--no-color') });
  const program = buildProgram(output, packageVersion());
  try {
    await program.parseAsync(argv);
    return ExitCode.ok;
  } catch (error) {
    if (error instanceof ExitError) {
      if (error.message) output.err(error.message);
      return error.code;
    }
    if (error instanceof CommanderError) {
      // commander has printed its message (and a suggestion); help and version exit 0.
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.invalid;
    }
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    output.err(`cutover: internal error (this is a bug; please report it with the lines below)\n${detail}`);
    return 70;
  }
}

