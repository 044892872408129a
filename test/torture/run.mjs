#!/usr/bin/env node
/**
 * The long torture campaigns: `npm run torture -- --kills 1000 [--seed N]`.
 *
 * `npm test` runs every file of test/torture/ with short, fixed-seed campaigns. This script
 * runs them all long (TORTURE_LONG=1, see test/torture/support.ts): the crash campaign with
 * --kills stops over a 30-step runbook, 20 rounds of concurrent commands, 10,000 mutated
 * runbooks, 1,000 generated shell scripts, all with a fresh seed unless --seed is given.
 * The harnesses are TypeScript and tsx is not a dependency, so vitest runs them (it compiles
 * them) with TORTURE_LONG, TORTURE_KILLS and TORTURE_SEED set. The CLI under test is the
 * built bin/cutover: build first (the npm script does).
 *
 * --campaigns N (default 2) shares the kills among N campaigns run side by side, with
 * seeds seed, seed+1, … Exit code: vitest's (0 when every kill was survived and every check
 * held). A failure message names the seed; rerun with `--seed <it>` (and the same
 * --campaigns) to replay the same kill schedule.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const usage = 'usage: node test/torture/run.mjs [--kills N] [--seed N] [--campaigns N]   (npm run torture -- --kills 1000 --seed 42)';

function parse(argv) {
  const options = { kills: 1000, seed: undefined, campaigns: 2 };
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index];
    const [flag, inline] = arg.includes('=') ? arg.split(/=(.*)/s) : [arg, undefined];
    const value = () => {
      const next = inline ?? argv[(index += 1)];
      if (next === undefined || !/^\d+$/.test(next)) {
        console.error(`${flag}: expected a whole number\n${usage}`);
        process.exit(2);
      }
      return Number(next);
    };
    if (flag === '--kills') options.kills = value();
    else if (flag === '--seed') options.seed = value();
    else if (flag === '--campaigns') options.campaigns = value();
    else if (flag === '--help' || flag === '-h') {
      console.log(usage);
      process.exit(0);
    } else {
      console.error(`unknown argument ${arg}\n${usage}`);
      process.exit(2);
    }
  }
  if (options.kills < 1 || options.campaigns < 1) {
    console.error(`--kills and --campaigns must be at least 1\n${usage}`);
    process.exit(2);
  }
  if (options.seed !== undefined && options.seed > 0xffffffff) {
    console.error(`--seed must be at most 4294967295\n${usage}`);
    process.exit(2);
  }
  return options;
}

const options = parse(process.argv.slice(2));
if (!existsSync(path.join(root, 'dist', 'bin', 'main.js'))) {
  console.error('dist/bin/ is missing: run "npm run build" first');
  process.exit(2);
}
// vitest's exports do not include its bin; find the package, then the bin next to it.
const vitest = path.join(path.dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
const seed = options.seed ?? Math.floor(Math.random() * 0xffffffff);
console.log(`torture campaigns, seed ${seed}; crash: ${options.kills} kills over ${options.campaigns} side-by-side campaigns`);
const result = spawnSync(process.execPath, [vitest, 'run', 'test/torture/'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, TORTURE_LONG: '1', TORTURE_KILLS: String(options.kills), TORTURE_SEED: String(seed), TORTURE_CAMPAIGNS: String(options.campaigns) },
});
if (result.error) {
  console.error(`could not start vitest: ${result.error.message}`);
  process.exit(2);
}
if (result.status !== 0)
  console.error(`torture campaign failed; replay with: npm run torture -- --kills ${options.kills} --seed ${seed} --campaigns ${options.campaigns}`);
process.exit(result.status ?? 1);
