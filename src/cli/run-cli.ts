/** Parses the command line and runs a command; returns the exit code for main.ts. */
import { readFileSync } from 'node:fs';
import { ExitCode } from './exit.js';
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
  const code = await runGuarded(output, async () => {
    await program.parseAsync(argv);
  });
  return code === ExitCode.invalid ? usageExit(argv) : code;
}


/** Exit 2 (a usage error, an invalid runbook or journal), except under `plan --detailed-exitcode`, where 2 means "steps pending" (exit 1 instead). */
function usageExit(argv: readonly string[]): number {
  const args = argv.slice(2);
  return args.find((arg) => !arg.startsWith('-')) === 'plan' && args.includes('--detailed-exitcode') ? ExitCode.stepFailed : ExitCode.invalid;
}
