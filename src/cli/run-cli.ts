/** Parses the command line and runs a command; returns the exit code for main.ts. */
import { readFileSync } from 'node:fs';
import { isCommanderError } from './error-exit.js';
import { ExitCode, ExitError } from './exit.js';
import { runGuarded } from './guarded.js';
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
  return runGuarded(output, async () => {
    try {
      await program.parseAsync(argv);
    } catch (error) {
      // commander has printed its message; under `plan --detailed-exitcode` 2 means "steps pending", so a usage error is 1.
      if (isCommanderError(error) && error.exitCode !== 0 && detailedPlan(argv)) throw new ExitError(ExitCode.stepFailed);
      throw error;
    }
  });
}

function detailedPlan(argv: readonly string[]): boolean {
  const args = argv.slice(2);
  return args.find((arg) => !arg.startsWith('-')) === 'plan' && args.includes('--detailed-exitcode');
}
