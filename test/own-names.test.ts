/**
 * Names from a runbook or a flag are looked up as own properties only: `${env.constructor}`,
 * `${env.__proto__}`, `${env.toString}` and the same names as variables find nothing on
 * Object.prototype, so they are unset or unknown like any other name, never a function's
 * source text, never a crash.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRunbookText } from '../src/runbook/load.js';
import { cli, cliEnv, describeResult, requireBuild, scratch } from './e2e/helpers.js';
import type { LoadOptions } from '../src/runbook/load.js';

const NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'];

function runbook(reference: (name: string) => string): string {
  const refs = NAMES.map(reference);
  return `cutover: 1
name: own
steps:
  - id: s
    run: echo ${refs.join(' ')}
    verify: { exec: [echo, ${refs.map((ref) => JSON.stringify(ref)).join(', ')}] }
    rollback: none
    irreversible: test
`;
}

function load(text: string, options: LoadOptions = {}) {
  return loadRunbookText('own.yaml', text, { env: {}, ...options });
}

describe('names are own properties only', () => {
  it('${env.<prototype name>} is an unset variable: a warning for validate, an error for plan and run', () => {
    const text = runbook((name) => `\${env.${name}}`);
    const validated = load(text, { mode: 'validate' });
    expect(validated.ok).toBe(true);
    expect(validated.diagnostics.map((d) => `${d.severity} ${d.rule}`)).toEqual(Array(NAMES.length * 2).fill('warning unset-env'));
    const resolved = load(text, { mode: 'resolve', env: process.env });
    expect(resolved.ok).toBe(false);
    expect(resolved.diagnostics.filter((d) => d.rule === 'unset-env')).toHaveLength(NAMES.length * 2);
  });

  it('${<prototype name>} is an unknown variable', () => {
    const result = load(
      runbook((name) => `\${${name}}`),
      { mode: 'validate' },
    );
    expect(result.ok).toBe(false);
    expect(result.diagnostics.filter((d) => d.rule === 'unknown-var')).toHaveLength(NAMES.length * 2);
  });

  it('--var with a prototype name is not a variable of the runbook', () => {
    const result = load(
      runbook(() => 'x'),
      { overrides: { flags: ['constructor=x', '__proto__=y'] } },
    );
    expect(result.ok ? [] : result.diagnostics.map((d) => d.rule)).toEqual(['unknown-override', 'unknown-override']);
  });

  it('an environment that really has such a name gives its value, in exec argv and in scripts', () => {
    const env = Object.fromEntries(NAMES.map((name) => [name, `value of ${name}`]));
    const result = load(
      runbook((name) => `\${env.${name}}`),
      { env },
    );
    if (!result.ok) throw new Error(JSON.stringify(result.diagnostics));
    const step = result.runbook.steps[0];
    expect(step?.verify?.[0]).toMatchObject({ argv: ['echo', ...NAMES.map((name) => `value of ${name}`)] });
    expect(step?.action).toMatchObject({ values: Object.fromEntries(NAMES.map((name) => [`CUTOVER_ENV_${name}`, `value of ${name}`])) });
    expect(JSON.stringify(step)).not.toContain('native code');
  });

  it('a variable declared with such a name is an ordinary variable', () => {
    const text = `cutover: 1\nname: own\nvars: { constructor: c, toString: t }\nsteps:\n  - id: s\n    run: { exec: [echo, "\${constructor}", "\${toString}"] }\n    rollback: none\n    irreversible: test\n`;
    const result = load(text, { overrides: { flags: ['toString=T'] } });
    expect(result.ok && result.runbook.steps[0]?.action).toMatchObject({ argv: ['echo', 'c', 'T'] });
  });
});

describe('through the CLI (these crashed with exit 70 and a stack trace)', () => {
  it('validate warns, plan and run refuse with exit 2, naming the variable; status (read-only) needs no value', async (context) => {
    requireBuild();
    const dir = scratch(context);
    const file = path.join(dir, 'own.yaml');
    writeFileSync(
      file,
      runbook((name) => `\${env.${name}}`),
    );
    const env = cliEnv({ CI: 'true' });
    const validate = await cli(['validate', file], { cwd: dir, env });
    expect(validate.code, describeResult(validate)).toBe(0);
    expect(validate.stderr + validate.stdout).toContain('environment variable constructor is not set');
    for (const command of [['plan'], ['run', '--yes']]) {
      const result = await cli([...command, file], { cwd: dir, env });
      expect(result.code, describeResult(result)).toBe(2);
      expect(result.stderr).toContain('environment variable toString is not set');
    }
    // The value is used only when the step runs (docs/runbook-format.md, "Variables").
    const status = await cli(['status', file], { cwd: dir, env });
    expect(status.code, describeResult(status)).toBe(0);
  }, 60_000);
});
