/**
 * Renders `cutover --help` exactly as commander prints it (at 80 columns, as for a pipe)
 * into dist/cli/help.txt at build time. test/help.test.ts keeps it equal to commander's.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createOutput } from './output.js';
import { buildProgram } from './program.js';
import { packageVersion } from './run-cli.js';

export function renderHelp(): string {
  let text = '';
  const program = buildProgram(createOutput({ color: false }), packageVersion());
  program.configureOutput({ writeOut: (chunk) => (text += chunk), getOutHelpWidth: () => 80 });
  program.outputHelp();
  return text;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(new URL('./help.txt', import.meta.url), renderHelp());
}
