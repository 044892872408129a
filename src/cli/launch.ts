/**
 * What bin/cutover runs first, bundled as CommonJS (dist/bin/launch.cjs): the two commands
 * people run most answer without starting the ES module loader. Plain `cutover --help`
 * prints the help rendered at build time (help.txt, see render-help.ts); plain `cutover
 * status` takes the quick path (launch-status.ts) when it can. Everything else, and every
 * case the quick path declines, imports the full CLI (main.js), the only place that sets
 * the exit code for those commands.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** `binDir`: where the bundle lives (dist/bin), given by bin/cutover. */
export function launch(binDir: string): void {
  const args = process.argv.slice(2);
  // `cutover --help | head` closes the pipe early: that is not an error worth a stack.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  // After SIGHUP the terminal is gone and writes to it fail (EIO): the journal, not the
  // terminal, is the record, so the command carries on stopping cleanly.
  process.stderr.on('error', () => undefined);

  const help = prerenderedHelp(args, binDir);
  if (help !== undefined) {
    process.stdout.write(help);
    return;
  }
  const full = () => import(pathToFileURL(join(binDir, 'main.js')).href);
  // Imported here, not at the top: other commands should not pay for what it loads (node:crypto).
  const answer =
    args[0] === 'status' ? import('./launch-status.js').then(({ quickStatus }) => quickStatus(args, process.cwd(), process.env)) : Promise.resolve(undefined);
  answer
    .then((text) => (text === undefined ? full() : process.stdout.write(text)))
    .catch((error: unknown) => {
      process.stderr.write(`cutover: internal error (this is a bug)\n${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 70;
    });
}

function prerenderedHelp(args: readonly string[], binDir: string): string | undefined {
  if (args.length !== 1 || (args[0] !== '--help' && args[0] !== '-h')) return undefined;
  try {
    return readFileSync(join(binDir, 'help.txt'), 'utf8');
  } catch {
    return undefined;
  }
}
