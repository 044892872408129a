/**
 * End to end on the built CLI. `npm test` builds dist/ before vitest runs; when running
 * vitest alone, build first: npm run build
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = path.join(root, 'bin', 'cutover');
const quickstart = path.join(root, 'examples', 'quickstart.yaml');

function cutover(args: string[], cwd = root) {
  const run = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', CI: 'true' } });
  // No output of the CLI, on any path, may show a stack trace.
  expect(run.stdout + run.stderr).not.toContain('    at ');
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'cutover-cli-'));
}

describe('help', () => {
  it('--help lists the commands with examples', () => {
    const run = cutover(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Examples:');
    expect(run.stdout).toMatch(/^ {2}validate \[options\] <runbook>/m);
    expect(run.stdout).toMatch(/^ {2}plan \[options\] <runbook>/m);
    expect(run.stdout).toMatch(/^ {2}schema /m);
  });

  it('validate --help shows its examples and options', () => {
    const run = cutover(['validate', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Examples:');
    expect(run.stdout).toContain('--strict');
    expect(run.stdout).toContain('--var <name=value>');
  });

  it('plan --help and schema --help show examples', () => {
    expect(cutover(['plan', '--help']).stdout).toContain('Examples:');
    expect(cutover(['schema', '--help']).stdout).toContain('Examples:');
  });
});

describe('usage errors exit 2 with a suggestion', () => {
  it('an unknown command', () => {
    const run = cutover(['valdate', 'x.yaml']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("unknown command 'valdate'");
    expect(run.stderr).toContain('Did you mean validate?');
  });

  it('an unknown flag', () => {
    const run = cutover(['validate', '--strcit', quickstart]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("unknown option '--strcit'");
    expect(run.stderr).toContain('Did you mean --strict?');
  });

  it('a missing argument', () => {
    const run = cutover(['validate']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("missing required argument 'runbook'");
  });
});

describe('validate', () => {
  it('accepts examples/quickstart.yaml', () => {
    const run = cutover(['validate', 'examples/quickstart.yaml']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('valid: examples/quickstart.yaml (5 steps)\n');
  });

  it('--json gives the verdict and the diagnostics', () => {
    const ok = cutover(['validate', '--json', 'examples/quickstart.yaml']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual({ file: 'examples/quickstart.yaml', valid: true, steps: 5, diagnostics: [] });

    const bad = cutover(['validate', '--json', 'test/invalid/unknown-var-suggest.yaml']);
    expect(bad.code).toBe(2);
    const json = JSON.parse(bad.stdout) as { valid: boolean; diagnostics: unknown[] };
    expect(json.valid).toBe(false);
    expect(json.diagnostics).toEqual([
      expect.objectContaining({ file: 'test/invalid/unknown-var-suggest.yaml', line: 8, col: 43, severity: 'error', rule: 'unknown-var' }),
      expect.objectContaining({ file: 'test/invalid/unknown-var-suggest.yaml', line: 9, col: 5, severity: 'warning', rule: 'unverifiable-rollback' }),
    ]);
  });

  it('prints every problem as file:line:col: message, relative to the working directory', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'two.yaml'), 'cutover: 1\nname: t\nsteps:\n  - id: a\n    run: echo ${zonee}\n  - id: a\n    run: echo\n    rollback: echo\n');
    const run = cutover(['validate', 'two.yaml'], dir);
    expect(run.code).toBe(2);
    expect(run.stdout.split('\n')).toEqual([
      'two.yaml:4:9: step "a" has no rollback; add "rollback:" with how to undo it, or "rollback: none" with "irreversible: <reason>"',
      'two.yaml:5:15: unknown variable "zonee"; declare it under "vars:", use ${env.zonee} for the environment, or write $${zonee} to pass it to the shell literally',
      'two.yaml:6:9: duplicate step id "a" (also used by step 1); step ids must be unique',
      'two.yaml:8:5: warning: the rollback of step "a" can never be verified: it has no rollback.verify, and no verify that would fail once it is undone ("cutover rehearse" reports it as "rollback unverified"); add "verify:" under "rollback:"',
      'invalid: two.yaml has 3 problems; fix them and validate again',
      '',
    ]);
  });

  it('--strict, --var and --vars-file are applied', () => {
    const dir = tempDir();
    writeFileSync(
      path.join(dir, 'rb.yaml'),
      'cutover: 1\nname: t\nvars: { apps: [a] }\nsteps:\n  - id: s-${app}\n    foreach: { app: "${apps}" }\n    run: echo ${app}\n    rollback: echo\n',
    );
    writeFileSync(path.join(dir, 'vars.yaml'), 'apps: [b, c]\n');
    expect(cutover(['validate', '--vars-file', 'vars.yaml', 'rb.yaml'], dir).stdout).toMatch(/^valid: rb\.yaml \(2 steps\)\n$/m);
    const strict = cutover(['validate', '--strict', 'rb.yaml'], dir);
    expect(strict.code).toBe(2);
    expect(strict.stdout).toContain('rb.yaml:5:9: step "s-${app}" has no verify');
    const unknown = cutover(['validate', '--var', 'aps=x', 'rb.yaml'], dir);
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toContain('--var: "aps" is not a variable of this runbook');
  });

  it('a vars file must be a mapping', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'list.yaml'), '- zone\n');
    writeFileSync(path.join(dir, 'empty.yaml'), '');
    for (const file of ['list.yaml', 'empty.yaml']) {
      const run = cutover(['validate', '--vars-file', file, quickstart], dir);
      expect(run.code).toBe(2);
      expect(run.stdout).toContain(`${file}:1:1: a vars file is a mapping of name: value`);
      expect(run.stdout).not.toContain('runbook starts with');
    }
  });

  it('a missing file exits 2 naming it', () => {
    const run = cutover(['validate', 'nope.yaml'], tempDir());
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('nope.yaml: cannot read the runbook: no such file; check the path');
  });
});

describe('plan', () => {
  it('--json lists the expanded steps with resolved commands and digests', () => {
    const run = cutover(['plan', '--json', 'examples/quickstart.yaml']);
    expect(run.code).toBe(0);
    const plan = JSON.parse(run.stdout) as {
      runbook: { name: string };
      steps: { index: number; id: string; digest: string; action: { kind: string; summary: string } }[];
    };
    expect(plan.runbook.name).toBe('quickstart');
    expect(plan.steps.map((s) => s.id)).toEqual(['seed-onprem', 'provision-aws', 'copy-data', 'check-copy', 'switch-traffic']);
    for (const step of plan.steps) expect(step.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(plan.steps[1]?.action).toEqual({ kind: 'shell', summary: 'mkdir -p /tmp/cutover-quickstart/aws' });
  });

  it('shows each step with its digest', () => {
    const run = cutover(['plan', 'examples/quickstart.yaml']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^quickstart: 5 steps \(examples\/quickstart\.yaml\)$/m);
    expect(run.stdout).toMatch(/^ {3}digest: +sha256:[0-9a-f]{64}$/m);
  });

  it('of an invalid runbook exits 2 with positions and no stack', () => {
    const run = cutover(['plan', 'test/invalid/unknown-var-suggest.yaml']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('test/invalid/unknown-var-suggest.yaml:8:43: unknown variable "zonee"; did you mean "${zone}"?');
    expect(run.stderr).toContain('is not a valid runbook (1 problem)');
  });

  it('of YAML that is not a runbook exits 2', () => {
    const run = cutover(['plan', 'test/invalid/yaml-alias-bomb.yaml']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('test/invalid/yaml-alias-bomb.yaml:1:1: the YAML could not be expanded');
  });
});

describe('schema', () => {
  it('prints a JSON Schema', () => {
    const run = cutover(['schema']);
    expect(run.code).toBe(0);
    const schema = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.type).toBe('object');
    expect(Object.keys(schema.properties as object)).toEqual(expect.arrayContaining(['cutover', 'name', 'vars', 'steps']));
  });
});
