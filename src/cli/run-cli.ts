/** Parses the command line and runs a command; returns the exit code for main.ts. */
import { readFileSync } from 'node:fs';
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
    await program.parseAsync(argv);
  });
}

