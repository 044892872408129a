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
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CliResult } from '../e2e/helpers.js';
import { cli, cliEnv, describeResult, requireBuild, scratch } from '../e2e/helpers.js';
import { shellQuote } from '../../src/runbook/interpolate.js';
import { allFiles, filesContaining } from './support.js';
import { createMasker } from '../../src/support/mask.js';
import { maskedForms } from '../../src/runbook/resolve.js';
import fc from 'fast-check';

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

type Ran = CliResult & { command: string };

/** 'short': only the commands that show resolved scripts (plan, dry-run) and run them (run, log --json). */
async function everyCommand(dir: string, secrets: Secrets, which: 'echoing' | 'unstartable' = 'echoing', extent: 'all' | 'short' = 'all'): Promise<Ran[]> {
  const env = cliEnv({ CI: 'true', API_TOKEN: secrets.env });
  const flags = ['--var', `db_password=${secrets.var}`];
  const results: Ran[] = [];
  const run = async (args: string[], expected: number[]) => {
    const result = await cli(args, { cwd: dir, env, timeoutMs: 30_000 });
    expect(expected, `${args.join(' ')}: ${describeResult(result)}`).toContain(result.code);
    results.push({
      ...result,
      command: args
        .filter((arg) => !arg.startsWith('db_password='))
        .map((arg) => path.basename(arg))
        .join(' '),
    });
    return result;
  };
  if (which === 'unstartable') {
    const other = runbook(dir, 'unstartable', unstartable);
    const unstarted = await run(['run', '--yes', ...flags, other], [1]);
    expect(unstarted.stderr).toContain('no-such-program');
    await run(['log', ...flags, other], [0]);
    return results;
  }
  const main = runbook(dir, 'secrets', echoing);
  if (extent === 'short') {
    await run(['plan', '--json', ...flags, main], [0]);
    await run(['run', '--dry-run', '--yes', ...flags, main], [0]);
    await run(['run', '--yes', ...flags, main], [1]);
    await run(['log', '--json', ...flags, main], [0]);
    return results;
  }
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
  // --failed-steps rollback: the failing step's rollback runs too, and must be masked as well.
  await run(['rollback', '--yes', '--failed-steps', 'rollback', ...flags, main], [0]);
  await run(['rollback', '--yes', '--json', '--failed-steps', 'rollback', ...flags, main], [0]);
  return results;
}

/**
 * The value itself; its JSON-escaped form (--json output, the journal); its shell-quoted
 * form (what cutover puts into scripts) and that form JSON-escaped; the value as a
 * double-quoted display string renders it; and each line of a multi-line one.
 */
function forms(secret: string): string[] {
  const json = (text: string) => JSON.stringify(text).slice(1, -1);
  const quoted = shellQuote(secret);
  const lines = secret.split('\n').filter((line) => line.length >= 6);
  return [...new Set([secret, json(secret), quoted, json(quoted), ...(lines.length > 1 ? lines : [])])];
}

/** Every place a form of a secret shows up: files (relative paths) and command output. */
function leaks(dir: string, results: Ran[], secrets: Secrets): string[] {
  const found: string[] = [];
  for (const secret of [secrets.env, secrets.var]) {
    for (const form of forms(secret)) {
      for (const file of filesContaining(dir, form)) found.push(`${JSON.stringify(form)} in ${path.relative(dir, file)}`);
      for (const result of results) {
        for (const stream of ['stdout', 'stderr'] as const) {
          const text = result[stream];
          const at = text.indexOf(form);
          if (at !== -1)
            found.push(`${JSON.stringify(form)} on the ${stream} of \`${result.command}\`: …${text.slice(Math.max(0, at - 80), at + form.length + 20)}…`);
        }
      }
    }
  }
  return found;
}

function expectNoLeak(dir: string, results: Ran[], secrets: Secrets): void {
  const found = leaks(dir, results, secrets);
  expect(found, `secrets leaked:\n${found.join('\n')}`).toEqual([]);
  // The masked output is there: the test saw the echoes happen.
  expect(results.some((result) => result.stderr.includes('token is ***') || result.stdout.includes('token is ***'))).toBe(true);
  expect(filesContaining(dir, 'fatal: authentication failed for user:*** token:***').length).toBeGreaterThan(0);
}

const random = () => randomBytes(6).toString('hex');

describe.concurrent('secrets stay masked', () => {
  it('plain secrets (letters, digits) from env and --var', async (context) => {
    const dir = scratch(context);
    const secrets = { env: `tokENV${random()}`, var: `pwVAR${random()}` };
    expectNoLeak(dir, await everyCommand(dir, secrets), secrets);
  }, 120_000);

  // Found by this test and fixed in src/runbook/resolve.ts (maskedForms): the shell-quoted
  // form ('\'' for each ') reached the journal, the step logs, plan and --dry-run unmasked;
  // exec arguments shown as JSON strings showed the JSON-escaped form; and a multi-line
  // secret (a PEM key) was never found whole in output, which is masked line by line.
  it('a --var secret with quotes and shell metacharacters, and a multi-line env secret (a PEM key)', async (context) => {
    const dir = scratch(context);
    const body = Array.from({ length: 3 }, () => randomBytes(24).toString('base64'));
    const secrets = { env: `-----BEGIN TEST KEY-----\n${body.join('\n')}\n-----END TEST KEY-----`, var: `pw'VAR"${random()};|&\\ $x` };
    expectNoLeak(dir, await everyCommand(dir, secrets), secrets);
    for (const line of body) expect(filesContaining(dir, line), 'a line of the key leaked').toEqual([]);
  }, 120_000);

  it('an env secret with quotes and shell metacharacters, used as ${env.NAME} in scripts', async (context) => {
    const dir = scratch(context);
    const secrets = { env: `tok'ENV ${random()}$x"`, var: `pwVAR${random()}` };
    expectNoLeak(dir, await everyCommand(dir, secrets, 'echoing', 'short'), secrets);
  }, 120_000);

  // Bug (src/actions/process.ts and the run summary in src/cli/handlers/run.ts; not fixed
  // here): when a program cannot be started, Node's error message holds its path, and that
  // message reaches .cutover/logs/<step>.1.log ("--- command not found: <path>") and the
  // final "failed: step …: command not found: <path>" line on stderr unmasked (the
  // journal and the live line are masked). Repro:
  //   secrets: [API_TOKEN]; step run: {exec: ["/nope/${env.API_TOKEN}"]}
  //   API_TOKEN=s3cr3t cutover run --yes rb.yaml; grep -r s3cr3t .cutover  # and stderr
  it('a program that cannot be started, with the secret in its path', async (context) => {
    const dir = scratch(context);
    const secrets = { env: `tokENV${random()}`, var: `pwVAR${random()}` };
    const found = leaks(dir, await everyCommand(dir, secrets, 'unstartable'), secrets);
    expect(found, `secrets leaked:\n${found.join('\n')}`).toEqual([]);
  }, 60_000);
});

describe('maskedForms, in-process', () => {
  it('masks a secret in every rendering cutover uses: as is, shell-quoted, JSON-escaped, inside a larger quoted word', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 6, maxLength: 30 }).filter((text) => /[A-Za-z0-9]/.test(text) && text.trim() === text),
        fc.string({ maxLength: 8 }),
        (secret, around) => {
          const masker = createMasker(maskedForms(secret));
          const renderings = [
            secret,
            shellQuote(secret),
            shellQuote(`${around}${secret}${around}`),
            JSON.stringify(secret),
            JSON.stringify(shellQuote(secret)),
            JSON.stringify([`${around}${secret}`]),
            `$ ${shellQuote(`/bin/${secret}`)} --flag`,
          ];
          for (const rendering of renderings) {
            const masked = masker.text(rendering);
            if (masked.includes(secret)) throw new Error(`${JSON.stringify(secret)} survives in ${JSON.stringify(masked)} (from ${JSON.stringify(rendering)})`);
          }
        },
      ),
      { numRuns: 2_000 },
    );
  });
});

describe('base64 forms of a secret, in-process', () => {
  /** Whether the secret can be decoded from any run of base64 characters left in the text, at any alignment. */
  function recoverable(text: string, secret: string): boolean {
    for (const run of text.split(/[^A-Za-z0-9+/_-]+/)) {
      for (let shift = 0; shift < 4; shift++) {
        const part = run.slice(shift).replace(/-/g, '+').replace(/_/g, '/');
        const usable = part.slice(0, part.length - (part.length % 4));
        if (Buffer.from(usable, 'base64').includes(Buffer.from(secret, 'utf8'))) return true;
      }
    }
    return false;
  }

  it('masks the secret base64-encoded alone, or inside any longer encoded text, in both alphabets', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 6, maxLength: 40 }),
        fc.uint8Array({ maxLength: 7 }),
        fc.uint8Array({ maxLength: 7 }),
        fc.boolean(),
        (secret, before, after, urlSafe) => {
          const masker = createMasker(maskedForms(secret));
          const encoded = Buffer.concat([Buffer.from(before), Buffer.from(secret, 'utf8'), Buffer.from(after)]).toString('base64');
          const rendering = `Authorization: Basic ${urlSafe ? encoded.replace(/\+/g, '-').replace(/\//g, '_') : encoded}`;
          const masked = masker.text(rendering);
          if (recoverable(masked, secret)) throw new Error(`${JSON.stringify(secret)} can be decoded from ${JSON.stringify(masked)}`);
        },
      ),
      { numRuns: 3_000, seed: 42 },
    );
  });

  it('through the CLI: a step that prints the secret base64-encoded shows *** (terminal, log, journal)', async (context) => {
    const dir = scratch(context);
    const secret = `pw-${random()}-base64`;
    const file = runbook(dir, 'b64', [
      {
        id: 'encode',
        run: 'printf %s "$API_TOKEN" | base64; printf "user:%s" "$API_TOKEN" | base64; printf "%s" "$API_TOKEN" | base64 | tr "+/" "-_"',
        rollback: 'true',
      },
    ]);
    const result = await cli(['run', '--yes', '--var', 'db_password=unused', file], {
      cwd: dir,
      env: cliEnv({ CI: 'true', API_TOKEN: secret }),
      timeoutMs: 30_000,
    });
    expect(result.code, describeResult(result)).toBe(0);
    expect(recoverable(result.stderr + result.stdout, secret), result.stderr).toBe(false);
    for (const found of allFiles(dir)) expect(recoverable(readFileSync(found, 'utf8'), secret), path.relative(dir, found)).toBe(false);
    expect(result.stderr).toContain('***');
  }, 60_000);
});
