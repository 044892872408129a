/**
 * The full CLI's entry point, imported by launch.ts (bin/cutover) for every command the
 * quick paths there do not answer; the only place that sets the exit code for them.
 */
const args = process.argv.slice(2);

run().then(
  (code) => {
    process.exitCode = code;
  },
  async (error: unknown) => {
    // Past the one top-level catch (runGuarded): still no secret in what is printed.
    const [{ maskKnownSecrets }, { neutralise }] = await Promise.all([import('./known-secrets.js'), import('./terminal-text.js')]);
    process.stderr.write(
      `cutover: internal error (this is a bug)\n${neutralise(maskKnownSecrets(error instanceof Error ? (error.stack ?? error.message) : String(error)))}\n`,
    );
    process.exitCode = 70;
  },
);

/**
 * Plain `cutover status <runbook>` (only --json, --no-color, --journal) skips commander: it
 * is what runs when launch.ts's quick path declined (usually a first run, with no cached
 * outline). Everything else parses the full command line.
 */
async function run(): Promise<number> {
  // Hidden, for the completion scripts (completion/scripts.ts): fast, and silent on any error.
  if (args[0] === '__complete-steps') {
    const { completeSteps } = await import('./complete-steps.js');
    return completeSteps(args[1], (text) => process.stdout.write(text));
  }
  if (args[0] === 'status') {
    const { quickStatusArgs } = await import('./launch-status.js');
    const plain = quickStatusArgs(args);
    if (plain) {
      const [{ runGuarded }, { createOutput }, { showStatus }] = await Promise.all([
        import('./guarded.js'),
        import('./output.js'),
        import('./handlers/status.js'),
      ]);
      const output = createOutput({ color: plain.color });
      return runGuarded(output, () =>
        showStatus(plain.file, { ...(plain.json ? { json: true } : {}), ...(plain.journal === undefined ? {} : { journal: plain.journal }) }, output),
      );
    }
  }
  const { runCli } = await import('./run-cli.js');
  return runCli(process.argv);
}
