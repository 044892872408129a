/**
 * Secrets never leave the process unmasked: a secret from the environment (`secrets:
 * [NAME]`) and a `secret: true` variable given with --var are absent from stdout, stderr,
 * `--json` output, .cutover/logs/*, the journal and every other file the commands wrote,
 * including when a command echoes them (to stdout, to stderr, split across writes), when
 * they are inside a shell-quoted script, and when they are part of an error message
 * (a failing command's output, a program that cannot be started).
 *
 * Every file under the temp directory is grepped for every form of each secret.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CliResult } from '../e2e/helpers.js';
import { cli, cliEnv, describeResult, requireBuild, scratch } from '../e2e/helpers.js';
import { filesContaining } from './support.js';

beforeAll(requireBuild);

interface Secrets {
  env: string;
  var: string;
}

function runbook(dir: string, name: string, steps: unknown[]): string {
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    JSON.stringify(
      {
        cutover: 1,
        name,
        vars: { db_password: { description: 'the password', secret: true }, dir },
        secrets: ['API_TOKEN'],
        defaults: { timeout: '1m', onFailure: 'stop' },
        steps,
      },
      null,
      2,
    ),
  );
  return file;
}

/** Steps that print the secrets every way a command can, then one that fails with them in its output. */
const echoing = [
  {
    id: 'echo-env',
    title: 'Echo the env secret',
    run: 'echo "token is $API_TOKEN"; echo "to stderr: $API_TOKEN" >&2',
    verify: 'test -n "$API_TOKEN" && echo "verify sees $API_TOKEN"',
    rollback: { run: 'echo "undo with $API_TOKEN"', verify: 'echo "undo verify $API_TOKEN" >&2' },
  },
  {
    id: 'echo-var',
    title: 'Use the password',
    description: 'prints ${db_password} on purpose',
    precheck: 'echo precheck ${db_password}',
    run: 'echo password is ${db_password}; echo ${db_password} >&2',
    verify: 'echo checking ${db_password}',
    rollback: { run: 'echo undo ${db_password}', verify: 'echo undo-verify ${db_password}' },
  },
  {
    id: 'interpolated-env',
    run: 'echo ${env.API_TOKEN}',
    rollback: 'echo ${env.API_TOKEN} >&2',
  },
  {
    id: 'exec-and-env',
    run: { exec: ['sh', '-c', 'echo "argv: $1 env: $PW"', 'sh', '${db_password}'], env: { PW: '${db_password}' } },
    rollback: { sh: 'echo "$PW"', env: { PW: '${db_password}' } },
  },
  {
    id: 'split-writes',
    // The secret reaches the output in two writes 200 ms apart, on one line.
    run: 'printf "%s" "$(printf %s "$API_TOKEN" | cut -c1-7)"; sleep 0.2; printf "%s\\n" "$(printf %s "$API_TOKEN" | cut -c8-)"',
    rollback: 'true',
  },
  {
    id: 'fails-loudly',
    // ${...} references stay outside double quotes: cutover shell-quotes them itself.
    run: 'echo fatal: authentication failed for user:${db_password} token:"$API_TOKEN" >&2; exit 3',
    verify: 'echo never',
    rollback: 'true',
  },
];

/** A program that cannot be started: the error message is built by Node from the path. */
const unstartable = [
  {
    id: 'no-such-program',
    run: { exec: ['${dir}/bin-${db_password}/${env.API_TOKEN}'] },
    rollback: 'true',
  },
];

async function everyCommand(dir: string, secrets: Secrets): Promise<CliResult[]> {
  const env = cliEnv({ CI: 'true', API_TOKEN: secrets.env });
  const flags = ['--var', `db_password=${secrets.var}`];
  const main = runbook(dir, 'secrets', echoing);
  const other = runbook(dir, 'unstartable', unstartable);
  const results: CliResult[] = [];
  const run = async (args: string[], expected: number[]) => {
    const result = await cli(args, { cwd: dir, env, timeoutMs: 30_000 });
    expect(expected, `${args.join(' ')}: ${describeResult(result)}`).toContain(result.code);
    results.push(result);
    return result;
  };
  await run(['validate', '--json', ...flags, main], [0]);
  await run(['plan', ...flags, main], [0]);
  await run(['plan', '--json', ...flags, main], [0]);
  await run(['run', '--dry-run', '--yes', ...flags, main], [0]);
  const failed = await run(['run', '--yes', ...flags, main], [1]);
  expect(failed.stderr).toContain('fails-loudly');
  expect(failed.stderr).toContain('authentication failed');
  await run(['resume', '--yes', '--json', ...flags, main], [1]);
  await run(['status', ...flags, main], [0]);
  await run(['status', '--json', ...flags, main], [0]);
  await run(['log', ...flags, main], [0]);
  await run(['log', '--json', ...flags, main], [0]);
  await run(['rollback', '--yes', ...flags, main], [0]);
  await run(['rollback', '--yes', '--json', ...flags, main], [0]);
  const unstarted = await run(['run', '--yes', ...flags, other], [1]);
  expect(unstarted.stderr).toContain('no-such-program');
  await run(['log', ...flags, other], [0]);
  return results;
}

function forms(secret: string): string[] {
  // The value itself, its JSON-escaped form (in --json output and the journal), and each line of a multi-line one.
  const lines = secret.split('\n').filter((line) => line.length >= 6);
  return [...new Set([secret, JSON.stringify(secret).slice(1, -1), ...(lines.length > 1 ? lines : [])])];
}

function expectNoLeak(dir: string, results: CliResult[], secrets: Secrets): void {
  for (const secret of [secrets.env, secrets.var]) {
    for (const form of forms(secret)) {
      const leaked = filesContaining(dir, form).map((file) => path.relative(dir, file));
      expect(leaked, `secret form ${JSON.stringify(form)} found in files`).toEqual([]);
      for (const result of results) {
        expect(result.stdout.includes(form), `secret form ${JSON.stringify(form)} on stdout:\n${result.stdout.slice(0, 3000)}`).toBe(false);
        expect(result.stderr.includes(form), `secret form ${JSON.stringify(form)} on stderr:\n${result.stderr.slice(0, 3000)}`).toBe(false);
      }
    }
  }
  // The masked output is there: the test saw the echoes happen.
  expect(results.some((result) => result.stderr.includes('token is ***') || result.stdout.includes('token is ***'))).toBe(true);
  expect(filesContaining(dir, 'fatal: authentication failed for user:*** token:***').length).toBeGreaterThan(0);
}

const random = () => randomBytes(6).toString('hex');

describe.concurrent('secrets stay masked', () => {
  it('plain secrets (letters, digits, dashes) from env and --var', async (context) => {
    const dir = scratch(context);
    const secrets = { env: `tokENV${random()}`, var: `pwVAR${random()}` };
    const results = await everyCommand(dir, secrets);
    expectNoLeak(dir, results, secrets);
  }, 120_000);

  it('secrets with shell metacharacters and quotes, which cutover shell-quotes in scripts', async (context) => {
    const dir = scratch(context);
    const secrets = { env: `tok'ENV ${random()}$x`, var: `pw'VAR"${random()};|&` };
    const results = await everyCommand(dir, secrets);
    expectNoLeak(dir, results, secrets);
  }, 120_000);
});
