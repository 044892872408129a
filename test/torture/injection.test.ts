/**
 * Shell injection through variables: values holding `$(...)`, backticks, quotes,
 * newlines, `;`, `|`, `&&`, redirections and globs, passed with --var and with
 * --vars-file, reach the commands as literal text:
 *
 * - in a shell script (`run:` string, a string `verify`), where the value travels in the
 *   environment and the script only names it;
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

/**
 * The three script shapes that ran a --var value as code when cutover spliced shell-quoted
 * values into scripts (issue #15): a here-document, double quotes, and backticks under
 * bash. Through the real CLI: the step succeeds, the value arrives byte for byte, and
 * nothing runs it.
 */
describe('the shapes that used to run a value as code', () => {
  const SHAPES = {
    heredoc: { run: 'cat > heredoc.out <<EOF\ndb_host=${host}\nEOF\n', expected: (v: string) => `db_host=${v}\n` },
    dquote: { run: 'printf "%s" "${v}" > dquote.out', expected: (v: string) => v },
    backticks: { run: { sh: 'printf "%s" "`printf "%s" ${ns}`" > backticks.out', shell: 'bash' }, expected: (v: string) => v },
  } as const;
  const VALUES = { host: '$(touch PWNED)', v: 'x"; touch PWNED; echo "', ns: 'x` ; touch PWNED ; echo `' };

  it('a heredoc, double quotes and backticks under bash', async (context) => {
    const dir = scratch(context);
    const file = path.join(dir, 'shapes.yaml');
    const steps = Object.entries(SHAPES).map(([id, shape]) => ({ id, run: shape.run, rollback: `rm -f ${id}.out` }));
    writeFileSync(file, JSON.stringify({ cutover: 1, name: 'shapes', vars: { host: 'h', v: 'v', ns: 'n' }, defaults: { onFailure: 'stop' }, steps }));
    const flags = Object.entries(VALUES).flatMap(([name, value]) => ['--var', `${name}=${value}`]);
    const env = cliEnv({ CI: 'true' });
    const validate = await cli(['validate', '--strict', ...flags, file], { cwd: dir, env });
    expect(validate.code, describeResult(validate)).toBe(2); // --strict: no verify; nothing about the shell
    expect(validate.stdout + validate.stderr).not.toContain('shell');
    const run = await cli(['run', '--yes', ...flags, file], { cwd: dir, env, timeoutMs: 60_000 });
    expect(run.code, describeResult(run)).toBe(0);
    expect(allFiles(dir).filter((found) => path.basename(found).includes('PWNED'))).toEqual([]);
    expect(readFileSync(path.join(dir, 'heredoc.out'), 'utf8')).toBe(SHAPES.heredoc.expected(VALUES.host));
    expect(readFileSync(path.join(dir, 'dquote.out'), 'utf8')).toBe(SHAPES.dquote.expected(VALUES.v));
    expect(readFileSync(path.join(dir, 'backticks.out'), 'utf8')).toBe(SHAPES.backticks.expected(VALUES.ns));
    // The journal records the script as it ran: the values are beside it, not in it.
    const journal = readFileSync(path.join(dir, '.cutover', 'shapes.journal.jsonl'), 'utf8');
    expect(journal).toContain('db_host=${CUTOVER_VAR_host}');
    expect(journal).toContain('"values":{"CUTOVER_VAR_host":"$(touch PWNED)"}');
  }, 90_000);

  it('validate refuses a reference the shell would not expand or would evaluate, with its position', async (context) => {
    const dir = scratch(context);
    const file = path.join(dir, 'refused.yaml');
    writeFileSync(
      file,
      `cutover: 1\nname: refused\nvars: { v: x }\nsteps:\n  - id: s\n    run: echo '\${v}' $(( \${v} + 1 ))\n    rollback: none\n    irreversible: test\n`,
    );
    const validate = await cli(['validate', file], { cwd: dir, env: cliEnv() });
    expect(validate.code, describeResult(validate)).toBe(2);
    const output = validate.stdout + validate.stderr;
    expect(output).toContain(`${file}:6:16: \${v} is inside single quotes`);
    expect(output).toContain(`${file}:6:26: \${v} is inside arithmetic`);
  });
});
