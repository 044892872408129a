// A separate process taking the journal lock, for test/journal/lock-processes.test.ts.
// It imports the compiled lock module (node cannot run the TypeScript source), given as a
// file URL in argv[2]; without one it uses the build in dist/ (`npm test` builds first).
// Every report is one JSON line on stdout.
//
//   node journal-lock-child.mjs <lock.js url> contend '{"journal","shared","name","go","holdMs"}'
//     waits for the `go` file, then retries the lock until it wins: appends "start <name>"
//     and "end <name>" to `shared` around holdMs, releases, exits 0.
//   node journal-lock-child.mjs <lock.js url> hold '{"journal","name"}'
//     takes the lock, reports it, and keeps it until killed.
import { appendFileSync, existsSync } from 'node:fs';
import { hostname } from 'node:os';

const moduleUrl = process.argv[2] || new URL('../../dist/journal/lock.js', import.meta.url).href;
const mode = process.argv[3];
const config = JSON.parse(process.argv[4] ?? '{}');
const { acquireLock } = await import(moduleUrl);

const report = (event) => process.stdout.write(`${JSON.stringify({ name: config.name, pid: process.pid, ...event })}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const clock = { now: () => new Date(), sleep };
const options = { identity: { user: config.name, host: hostname(), pid: process.pid }, command: 'run', clock };

if (mode === 'hold') {
  await acquireLock(config.journal, options);
  report({ event: 'held' });
  setTimeout(() => undefined, 600_000); // stay alive (holding the lock) until killed
} else if (mode === 'contend') {
  report({ event: 'ready' });
  while (!existsSync(config.go)) await sleep(2);
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const lock = await acquireLock(config.journal, options);
      appendFileSync(config.shared, `start ${config.name}\n`);
      await sleep(config.holdMs);
      appendFileSync(config.shared, `end ${config.name}\n`);
      await lock.release();
      report({ event: 'won' });
      break;
    } catch (error) {
      if (error?.name !== 'LockedError' || Date.now() > deadline) {
        report({ event: 'error', message: String(error?.stack ?? error) });
        process.exitCode = 1;
        break;
      }
      report({ event: 'lost', holder: error.holder, stale: error.stale, message: error.message });
      await sleep(3 + Math.random() * 5);
    }
  }
} else {
  report({ event: 'error', message: `unknown mode ${mode}` });
  process.exitCode = 1;
}
