/**
 * The entry point: the only place that sets the process exit code. Plain `cutover --help`
 * prints the help rendered at build time (help.txt, see render-help.ts) without loading
 * commander, so the most common first command starts at bare-Node speed.
 */
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);

// `cutover --help | head` closes the pipe early: that is not an error worth a stack.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});
// After SIGHUP the terminal is gone and writes to it fail (EIO): the journal, not the
// terminal, is the record, so the command carries on stopping cleanly.
process.stderr.on('error', () => undefined);

function prerenderedHelp(): string | undefined {
  if (args.length !== 1 || (args[0] !== '--help' && args[0] !== '-h')) return undefined;
  try {
    return readFileSync(new URL('./help.txt', import.meta.url), 'utf8');
  } catch {
    return undefined;
  }
}

const help = prerenderedHelp();
if (help !== undefined) {
  process.stdout.write(help);
} else {
  run()
    .then(
      (code) => {
        process.exitCode = code;
      },
      (error: unknown) => {
        process.stderr.write(`cutover: internal error (this is a bug)\n${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
        process.exitCode = 70;
      },
    );
}

/** Plain `cutover status <runbook>` skips commander (fast-status.ts); everything else parses fully. */
async function run(): Promise<number> {
  if (args[0] === 'status') {
    const { plainStatusArgs, runPlainStatus } = await import('./fast-status.js');
    const plain = plainStatusArgs(args);
    if (plain) return runPlainStatus(plain);
  }
  const { runCli } = await import('./run-cli.js');
  return runCli(process.argv);
}
