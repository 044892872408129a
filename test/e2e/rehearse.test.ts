/**
 * `cutover rehearse` and the rehearsal gate with the built CLI and real shell steps (issue 5,
 * "Done means"): correct rollbacks pass; a rollback that does not undo its step, or fails
 * outright, is reported with the step and exit 1; a runbook edited after its rehearsal is
 * refused by the gate for exactly the changed steps; a runbook whose only change is a
 * staging/production variable (`env: true`) is accepted.
 * The gate's cases are also tested through `enforceRehearsalGate` (the function run calls),
 * without a process per case.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ExitError } from '../../src/cli/exit.js';
import type { Output } from '../../src/cli/output.js';
import { enforceRehearsalGate } from '../../src/cli/enforce-rehearsal-gate.js';
import { loadRunbookFile } from '../../src/runbook/load.js';
import type { Runbook } from '../../src/runbook/types.js';
import { cli, describeResult, readJournal, requireBuild, scratch } from './helpers.js';
import type { CliResult } from './helpers.js';

beforeAll(requireBuild);

/** `cutover rehearse ARGS`. */
function rehearse(args: string[], options: { cwd: string }): Promise<CliResult> {
  return cli(['rehearse', ...args], options);
}

interface Rollbacks {
  /** write-b's rollback run; default removes the file. */
  writeBRollback?: string;
  /** write-b's action; default writes the target. */
  writeB?: string;
  policy?: boolean;
}

/**
 * Two steps on a folder: make `a`, write `a/b`. `target` is marked `env: true` (it differs
 * between staging and production); `mode` is not.
 */
function writeRunbook(dir: string, options: Rollbacks = {}): string {
  const file = path.join(dir, 'files.yaml');
  const text = `cutover: 1
name: files
vars:
  dir: ${JSON.stringify(dir)}
  target: { default: staging, env: true, description: differs per environment }
  mode: "644"
${options.policy ? 'policy: { requireRehearsal: true }\n' : ''}defaults: { timeout: 1m, onFailure: stop, confirm: true }
steps:
  - id: make-a
    run: mkdir \${dir}/a
    verify: test -d \${dir}/a
    rollback:
      run: rmdir \${dir}/a
      verify: test ! -e \${dir}/a
  - id: write-b
    run: ${JSON.stringify(options.writeB ?? 'echo ${target} > ${dir}/a/b && chmod ${mode} ${dir}/a/b')}
    verify: grep -qx \${target} \${dir}/a/b
    rollback:
      run: ${JSON.stringify(options.writeBRollback ?? 'rm ${dir}/a/b')}
      verify: test ! -e \${dir}/a/b
`;
  writeFileSync(file, text);
  return file;
}

const rehearsalJournal = (dir: string) => path.join(dir, '.cutover', 'files.rehearsal.jsonl');

interface Summary {
  type: string;
  state: string;
  exitCode: number;
  journal: string;
  step?: string;
  steps: { id: string; verdict: string; phases: Record<string, { status: string }>; reason?: string }[];
  returned?: { state: string; steps: string[] };
}

function summaryOf(stdout: string): Summary {
  const last = stdout.trim().split('\n').at(-1) ?? '';
  const summary = JSON.parse(last) as Summary;
  expect(summary.type).toBe('summary');
  return summary;
}

function captureOutput(): Output & { text(): string } {
  const lines: string[] = [];
  return { out: (t) => lines.push(t), err: (t) => lines.push(t), color: false, text: () => lines.join('\n') };
}

async function loadFile(file: string, vars: string[] = []): Promise<Runbook> {
  const loaded = await loadRunbookFile(file, { env: process.env, overrides: { flags: vars } });
  if (!loaded.ok) throw new Error(loaded.diagnostics.map((d) => d.message).join('\n'));
  return loaded.runbook;
}

/** The gate as `run` calls it; resolves to undefined when it lets the run through, else the ExitError. */
async function gate(runbook: Runbook, dir: string, flags: { requireRehearsal?: boolean } = { requireRehearsal: true }): Promise<ExitError | undefined> {
  try {
    await enforceRehearsalGate(runbook, { ...flags, rehearsal: rehearsalJournal(dir) }, captureOutput());
    return undefined;
  } catch (error) {
    if (error instanceof ExitError) return error;
    throw error;
  }
}

describe.concurrent('cutover rehearse', () => {
  it('passes a runbook whose rollbacks are correct, with a report per step, in its own journal; --return leaves staging as it was', async (context) => {
    const dir = scratch(context);
    const runbook = writeRunbook(dir);
    const result = await rehearse(['--yes', runbook], { cwd: dir });
    expect(result.code, describeResult(result)).toBe(0);
    expect(result.stdout).toMatch(/^STEP\s+FORWARD\s+VERIFY\s+ROLLBACK\s+ROLLBACK VERIFY\s+STATE RESTORED\s+RE-APPLY\s+TOTAL\s+VERDICT$/m);
    expect(result.stdout).toMatch(/^make-a\s+ok \S+\s+ok \S+\s+ok \S+\s+ok \S+\s+-\s+ok \S+\s+\S+\s+passed$/m);
    expect(result.stdout).toMatch(/^write-b\s.*passed$/m);
    expect(result.stderr).toContain('rehearsed: every step ran, rolled back and ran again.');
    // Staging is left migrated; the production journal was never touched.
    expect(readFileSync(path.join(dir, 'a', 'b'), 'utf8')).toBe('staging\n');
    expect(existsSync(path.join(dir, '.cutover', 'files.journal.jsonl'))).toBe(false);
    const events = readJournal(rehearsalJournal(dir));
    expect(events.filter((e) => e.type === 'rehearsal.step').map((e) => [e.step, e.data.verdict])).toEqual([
      ['make-a', 'passed'],
      ['write-b', 'passed'],
    ]);

    // Nothing left to rehearse; --return rolls it all back, newest first.
    const back = await rehearse(['--yes', '--return', '--json', runbook], { cwd: dir });
    expect(back.code, describeResult(back)).toBe(0);
    const summary = summaryOf(back.stdout);
    expect(summary).toMatchObject({
      state: 'completed',
      exitCode: 0,
      journal: rehearsalJournal(dir),
      returned: { state: 'rolled_back', steps: ['write-b', 'make-a'] },
    });
    expect(summary.steps.map((s) => s.verdict)).toEqual(['passed', 'passed']);
    expect(existsSync(path.join(dir, 'a'))).toBe(false);
  });

  it('reports a rollback that does not undo its step (rollback.verify fails) with the step, and exits 1', async (context) => {
    const dir = scratch(context);
    const runbook = writeRunbook(dir, { writeBRollback: 'echo pretending to remove it' });
    const result = await rehearse(['--yes', runbook], { cwd: dir });
    expect(result.code, describeResult(result)).toBe(1);
    expect(result.stdout).toMatch(/^make-a\s.*passed$/m);
    expect(result.stdout).toMatch(/^write-b\s+ok \S+\s+ok \S+\s+ok \S+\s+FAILED \S+\s+-\s+-\s+\S+\s+FAILED$/m);
    expect(result.stderr).toContain('rehearsal failed at step write-b: the rollback did not undo the step: rollback verify failed');

    const json = await rehearse(
      ['--yes', '--json', '--journal', path.join(dir, 'second.jsonl'), writeRunbook(scratch(context), { writeBRollback: 'echo pretending to remove it' })],
      { cwd: dir },
    );
    expect(json.code, describeResult(json)).toBe(1);
    const summary = summaryOf(json.stdout);
    expect(summary).toMatchObject({ state: 'failed', step: 'write-b', exitCode: 1 });
    expect(summary.steps.map((s) => [s.id, s.verdict])).toEqual([
      ['make-a', 'passed'],
      ['write-b', 'failed'],
    ]);
    expect(summary.steps[1]!.phases.rollbackVerify!.status).toBe('failed');
  });

  it('reports a rollback that fails outright with the step, and exits 1', async (context) => {
    const dir = scratch(context);
    const runbook = writeRunbook(dir, { writeBRollback: 'rm ${dir}/no-such-file' });
    const result = await rehearse(['--yes', '--json', runbook], { cwd: dir });
    expect(result.code, describeResult(result)).toBe(1);
    const summary = summaryOf(result.stdout);
    expect(summary).toMatchObject({ state: 'failed', step: 'write-b' });
    expect(summary.steps[1]).toMatchObject({
      verdict: 'failed',
      phases: { rollback: { status: 'failed' } },
      reason: expect.stringContaining('the rollback failed'),
    });
  });

  it('reports a step whose rollback nothing can check as "rollback unverified", not passed', async (context) => {
    const dir = scratch(context);
    const file = path.join(dir, 'touch.yaml');
    writeFileSync(
      file,
      `cutover: 1
name: touch
vars: { dir: ${JSON.stringify(dir)} }
defaults: { confirm: false }
steps:
  - id: touch
    run: touch \${dir}/x
    rollback: rm \${dir}/x
`,
    );
    const result = await rehearse(['--yes', file], { cwd: dir });
    expect(result.code, describeResult(result)).toBe(0);
    expect(result.stdout).toMatch(/^touch\s.*rollback unverified$/m);
    expect(result.stderr).toContain('Rollback unverified: touch');
    // validate warns about it up front (a warning: still valid).
    const validate = await cli(['validate', file], { cwd: dir });
    expect(validate.code, describeResult(validate)).toBe(0);
    expect(validate.stdout).toContain('warning: the rollback of step "touch" can never be verified');
  });
});

describe.concurrent('the rehearsal gate', () => {
  it('refuses a runbook edited after its rehearsal for exactly the changed steps', async (context) => {
    const dir = scratch(context);
    const runbook = writeRunbook(dir);
    const rehearsal = await rehearse(['--yes', '--return', runbook], { cwd: dir });
    expect(rehearsal.code, describeResult(rehearsal)).toBe(0);
    expect(await gate(await loadFile(runbook), dir)).toBeUndefined();

    writeRunbook(dir, { writeB: 'echo ${target} > ${dir}/a/b && chmod 600 ${dir}/a/b' });
    const refused = await gate(await loadFile(runbook), dir);
    expect(refused?.code).toBe(2);
    expect(refused?.message).toContain('1 step has no passing rehearsal of its current definition');
    expect(refused?.message).toMatch(/^ {2}write-b: definition changed since its rehearsal$/m);
    expect(refused?.message).not.toContain('make-a');
    // A variable that is not env-marked is part of the definition too.
    writeRunbook(dir);
    const mode = await gate(await loadFile(runbook, ['mode=600']), dir);
    expect(mode?.message).toMatch(/^ {2}write-b: definition changed since its rehearsal$/m);
    // Off unless the runbook's policy or --require-rehearsal asks for it.
    expect(await gate(await loadFile(runbook, ['mode=600']), dir, {})).toBeUndefined();
  });

  it('accepts a runbook whose only change is a staging/production variable (env: true)', async (context) => {
    const dir = scratch(context);
    const runbook = writeRunbook(dir, { policy: true });
    const rehearsal = await rehearse(['--yes', '--return', '--var', 'target=staging', runbook], { cwd: dir });
    expect(rehearsal.code, describeResult(rehearsal)).toBe(0);
    // policy.requireRehearsal is enough, no flag needed.
    expect(await gate(await loadFile(runbook, ['target=production']), dir, {})).toBeUndefined();
  });

  it('says so when there is no rehearsal journal at all', async (context) => {
    const dir = scratch(context);
    const runbook = writeRunbook(dir, { policy: true });
    const refused = await gate(await loadFile(runbook), dir, {});
    expect(refused?.message).toContain('2 steps have no passing rehearsal');
    expect(refused?.message).toContain('(no rehearsal journal there)');
    expect(refused?.message).toMatch(/^ {2}make-a: never rehearsed$/m);
  });
});

describe.concurrent('the rehearsal gate through cutover run', () => {
  it('refuses exactly the changed steps (exit 2, nothing runs), and accepts env-only changes', async (context) => {
    const dir = scratch(context);
    const runbook = writeRunbook(dir);
    expect((await rehearse(['--yes', '--return', runbook], { cwd: dir })).code).toBe(0);

    writeRunbook(dir, { writeB: 'echo ${target} > ${dir}/a/b && chmod 600 ${dir}/a/b' });
    const refused = await cli(['run', '--yes', '--require-rehearsal', runbook], { cwd: dir });
    expect(refused.code, describeResult(refused)).toBe(2);
    expect(refused.stderr).toMatch(/^ {2}write-b: definition changed since its rehearsal$/m);
    expect(refused.stderr).not.toMatch(/^ {2}make-a:/m);
    expect(existsSync(path.join(dir, 'a'))).toBe(false);

    writeRunbook(dir);
    const accepted = await cli(['run', '--yes', '--require-rehearsal', '--var', 'target=production', runbook], { cwd: dir });
    expect(accepted.code, describeResult(accepted)).toBe(0);
    expect(readFileSync(path.join(dir, 'a', 'b'), 'utf8')).toBe('production\n');
  });

  it('reads the rehearsal journal named by --rehearsal', async (context) => {
    const dir = scratch(context);
    const runbook = writeRunbook(dir, { policy: true });
    const elsewhere = path.join(dir, 'staging');
    mkdirSync(elsewhere);
    const journal = path.join(elsewhere, 'files.rehearsal.jsonl');
    expect((await rehearse(['--yes', '--return', '--journal', journal, runbook], { cwd: dir })).code).toBe(0);
    const without = await cli(['run', '--yes', runbook], { cwd: dir });
    expect(without.code, describeResult(without)).toBe(2);
    const withIt = await cli(['run', '--yes', '--rehearsal', journal, runbook], { cwd: dir });
    expect(withIt.code, describeResult(withIt)).toBe(0);
  });
});
