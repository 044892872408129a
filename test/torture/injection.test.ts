/**
 * Shell injection through variables: values holding `$(...)`, backticks, quotes,
 * newlines, `;`, `|`, `&&`, redirections and globs, passed with --var and with
 * --vars-file, reach the commands as literal text:
 *
 * - in a shell script (`run:` string, a string `verify`), where cutover shell-quotes them;
 * - in a `sh:` action's `env:` (not quoted: the environment carries them as they are);
 * - in an `exec:` argument (no shell at all).
 *
 * Every step writes the value into a file with printf; the test compares the bytes, and
 * checks that no `pwned` file appeared anywhere.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { allFiles } from './support.js';
import { cli, cliEnv, describeResult, requireBuild, scratch } from '../e2e/helpers.js';

beforeAll(requireBuild);

const PAYLOADS = [
  '$(touch pwned)',
  '`touch pwned`',
  "'; touch pwned; echo '",
  '"; touch pwned; echo "',
  '"$(touch pwned)"',
  "'$(touch pwned)'",
  'x; touch pwned',
  'x | touch pwned',
  'x && touch pwned',
  'x || touch pwned',
  'x & touch pwned &',
  'line one\ntouch pwned\nline three\n',
  '\ntouch pwned',
  '> pwned',
  '$HOME ${HOME} $$ $? $0 !!',
  '${dir}',
  '$${',
  '* ?',
  '-n',
  'back\\slash \\n \\ttab',
  '\t tab and  spaces ',
  "it's",
  '"',
  "'",
  'é — ✓ 🚀',
  'touch pwned #',
  '$(IFS=,;touch${IFS}pwned)',
] as const;

function writeRunbook(dir: string): string {
  const vars: Record<string, string> = { dir };
  const execSteps: unknown[] = [];
  const shellSteps: unknown[] = [];
  PAYLOADS.forEach((_, index) => {
    const v = `v${index}`;
    vars[v] = 'placeholder';
    execSteps.push({
      id: `exec-${index}`,
      // exec: no shell; the value is one argv entry as it is.
      run: { exec: ['sh', '-c', 'printf "%s" "$1" > "$2"', 'sh', `\${${v}}`, `\${dir}/out/exec-${index}`] },
      rollback: 'none',
      irreversible: 'the test only looks at the file',
    });
    shellSteps.push({
      id: `shell-${index}`,
      // Shell script: the value is shell-quoted into one word.
      run: `printf '%s' \${${v}} > \${dir}/out/shell-${index}`,
      verify: `printf '%s' \${${v}} | cmp -s - \${dir}/out/shell-${index}`,
      rollback: {
        // sh with env: the value reaches the script through the environment, unquoted.
        run: { sh: `printf '%s' "$VALUE" > "$DIR/out/undo-${index}"`, env: { VALUE: `\${${v}}`, DIR: '${dir}' } },
        verify: { sh: `printf '%s' "$VALUE" | cmp -s - "$DIR/out/undo-${index}"`, env: { VALUE: `\${${v}}`, DIR: '${dir}' } },
      },
    });
  });
  const file = path.join(dir, 'injection.yaml');
  // The exec steps (irreversible) first, so `rollback --last N` undoes exactly the shell steps.
  const steps = [...execSteps, ...shellSteps];
  writeFileSync(file, JSON.stringify({ cutover: 1, name: 'injection', vars, defaults: { timeout: '1m', onFailure: 'stop' }, steps }, null, 2));
  return file;
}

function expectLiteral(dir: string, how: string): void {
  const pwned = allFiles(dir).filter((file) => path.basename(file).includes('pwned'));
  expect(pwned, `${how}: a payload was executed`).toEqual([]);
  expect(existsSync(path.join(process.cwd(), 'pwned')), `${how}: a payload was executed in the test's directory`).toBe(false);
  PAYLOADS.forEach((payload, index) => {
    for (const kind of ['shell', 'exec', 'undo']) {
      const file = path.join(dir, 'out', `${kind}-${index}`);
      expect(readFileSync(file), `${how}: ${kind} step of payload ${JSON.stringify(payload)}`).toEqual(Buffer.from(payload, 'utf8'));
    }
  });
}

async function runAndRollBack(dir: string, runbook: string, overrides: string[], how: string): Promise<void> {
  const env = cliEnv({ CI: 'true' });
  const validate = await cli(['validate', ...overrides, runbook], { cwd: dir, env });
  expect(validate.code, `${how}: ${describeResult(validate)}`).toBe(0);
  mkdirSync(path.join(dir, 'out'));
  const run = await cli(['run', '--yes', ...overrides, runbook], { cwd: dir, env, timeoutMs: 60_000 });
  expect(run.code, `${how}: ${describeResult(run)}`).toBe(0);
  const rollback = await cli(['rollback', '--yes', '--last', String(PAYLOADS.length), ...overrides, runbook], { cwd: dir, env, timeoutMs: 60_000 });
  expect(rollback.code, `${how}: ${describeResult(rollback)}`).toBe(0);
}

describe.concurrent('variables reach commands as literal text', () => {
  it('through --var', async (context) => {
    const dir = scratch(context);
    const runbook = writeRunbook(dir);
    const flags = PAYLOADS.flatMap((payload, index) => ['--var', `v${index}=${payload}`]);
    await runAndRollBack(dir, runbook, flags, '--var');
    expectLiteral(dir, '--var');
  }, 90_000);

  it('through --vars-file', async (context) => {
    const dir = scratch(context);
    const runbook = writeRunbook(dir);
    const varsFile = path.join(dir, 'vars.yaml');
    // JSON strings are YAML double-quoted strings.
    writeFileSync(varsFile, PAYLOADS.map((payload, index) => `v${index}: ${JSON.stringify(payload)}`).join('\n'));
    await runAndRollBack(dir, runbook, ['--vars-file', varsFile], '--vars-file');
    expectLiteral(dir, '--vars-file');
  }, 90_000);
});
