/**
 * Operator conveniences across the process boundary: single-key answers at the step prompt
 * (a real pseudo-terminal), run --start-at, plan --detailed-exitcode, and shell completion
 * sourced in a real bash.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TestContext } from 'vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CLI,
  QUICKSTART,
  cli,
  cliEnv,
  describeResult,
  journalPath,
  readJournal,
  readLedger,
  requireBuild,
  scratch,
  stepTimeline,
  writeLedgerRunbook,
} from './helpers.js';
import { PtySession } from './pty.js';

beforeAll(requireBuild);

function terminal(context: TestContext, dir: string, args: string[]): PtySession {
  const env = cliEnv({ TERM: 'xterm-256color' });
  delete env.CI;
  delete env.NO_COLOR;
  const session = new PtySession([process.execPath, CLI, ...args], { cwd: dir, env, timeoutMs: 25_000 });
  context.onTestFinished(() => session.kill());
  return session;
}

const hasShell = (name: string) => spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;

describe.concurrent('the step prompt at a terminal', () => {
  it('answers on one key: d shows details, r runs, c runs the rest without asking (journaled); the keys are shown', async (context) => {
    const dir = scratch(context);
    const runbook = writeLedgerRunbook(dir, [{}, {}, {}, {}]);
    const tty = terminal(context, dir, ['run', runbook]);

    await tty.waitFor('Step 1/4 step-1');
    for (const shown of ['Run [r]', 'Run all remaining without asking', '[c]', 'Skip [s]', 'Show details [d]']) await tty.waitFor(shown);
    await tty.answer('Quit [q]', 'd');
    await tty.waitFor('digest:');
    await tty.answer('Step 1/4 step-1', 'r');
    await tty.waitFor('step-1 succeeded');
    await tty.answer('Step 2/4 step-2', 'c');
    const result = await tty.done;

    expect(result.code, result.output).toBe(0);
    expect(result.output).not.toContain('Step 3/4');
    expect(readLedger(dir)).toEqual(['step-1', 'step-2', 'step-3', 'step-4']);
    const events = readJournal(journalPath(dir));
    expect(events.filter((e) => e.type === 'decision').map((e) => [e.step, e.data.choice])).toEqual([
      ['step-1', 'run'],
      ['step-2', 'continue'],
    ]);
    expect(events.filter((e) => e.type === 'decision').at(-1)?.by).toMatch(/@/);
  });
});

describe.concurrent('rollback --confirm-each', () => {
  it('asks before each step, newest first; a no stops there and says how to continue', async (context) => {
    const dir = scratch(context);
    const runbook = writeLedgerRunbook(dir, [{}, {}, {}]);
    expect((await cli(['run', '--yes', runbook], { cwd: dir })).code).toBe(0);
    const unattended = await cli(['rollback', '--yes', '--confirm-each', runbook], { cwd: dir });
    expect(unattended.code, describeResult(unattended)).toBe(2);
    expect(unattended.stderr).toContain('--confirm-each asks before each step, and nobody can answer here');

    const tty = terminal(context, dir, ['rollback', '--confirm-each', runbook]);
    await tty.answer('Roll back step-3', 'y');
    await tty.answer('Roll back step-2', 'n');
    const result = await tty.done;
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain('stopped before step-2 as asked; rolled back: step-3.');
    expect(readLedger(dir)).toEqual(['step-1', 'step-2', 'step-3', 'undo-3']);
    const decisions = readJournal(journalPath(dir)).filter((e) => e.type === 'decision');
    expect(decisions.map((e) => [e.step, e.data.choice])).toEqual([
      ['step-3', 'rollback'],
      ['step-2', 'stop'],
    ]);
  });
});

describe.concurrent('rollback at a terminal', () => {
  it('lists each step with what its undo does before asking once; a no rolls nothing back', async (context) => {
    const dir = scratch(context);
    const runbook = writeLedgerRunbook(dir, [{}, {}]);
    expect((await cli(['run', '--yes', runbook], { cwd: dir })).code).toBe(0);
    const tty = terminal(context, dir, ['rollback', runbook]);
    await tty.waitFor('Rollback of 2 step(s), newest first:');
    await tty.waitFor('1. step-2:');
    await tty.waitFor('2. step-1:');
    await tty.answer('Roll back these 2 steps?', 'n');
    const result = await tty.done;
    expect(result.code, result.output).toBe(0);
    expect(result.output).toMatch(/1\. step-2: .*undo-2/);
    expect(result.output).toContain('cancelled; nothing was rolled back.');
    expect(readLedger(dir)).toEqual(['step-1', 'step-2']);
  });
});

describe.concurrent('--help shows the conveniences', () => {
  it('run, plan, rollback and the command list', async (context) => {
    const dir = scratch(context);
    const help = async (...args: string[]) => (await cli([...args, '--help'], { cwd: dir })).stdout;
    expect(await help('run')).toMatch(/--start-at <id>[\s\S]*r run, c run all remaining without asking/);
    expect(await help('plan')).toContain('--detailed-exitcode');
    expect(await help('rollback')).toContain('--confirm-each');
    expect(await help()).toContain('completion');
  });
});

describe.concurrent('run --start-at', () => {
  it('journals the earlier steps as skipped with the reason, runs from the step, and refuses a typo with a suggestion', async (context) => {
    const dir = scratch(context);
    const runbook = writeLedgerRunbook(dir, [{}, {}, {}]);

    const typo = await cli(['run', '--yes', '--start-at', 'step-33', runbook], { cwd: dir });
    expect(typo.code, describeResult(typo)).toBe(2);
    expect(typo.stderr).toContain('--start-at step-33: no such step (did you mean step-3?)');

    const run = await cli(['run', '--yes', '--start-at', 'step-3', runbook], { cwd: dir });
    expect(run.code, describeResult(run)).toBe(0);
    expect(readLedger(dir)).toEqual(['step-3']);
    const events = readJournal(journalPath(dir));
    expect(stepTimeline(events)).toEqual(['step.skipped:step-1', 'step.skipped:step-2', 'step.started:step-3', 'step.succeeded:step-3']);
    expect(events.filter((e) => e.type === 'step.skipped').map((e) => e.data.reason)).toEqual(['--start-at step-3', '--start-at step-3']);
    expect(events.find((e) => e.type === 'step.skipped')?.by).toMatch(/@/);

    const done = await cli(['run', '--yes', '--start-at', 'step-1', runbook], { cwd: dir });
    expect(done.code, describeResult(done)).toBe(2);
    expect(done.stderr).toContain('--start-at step-1: that step is done already (skipped); every step is done');
  });
});

describe.concurrent('plan --detailed-exitcode', () => {
  it('exits 2 with steps pending, 0 when nothing is left, 1 for any error (usage included)', async (context) => {
    const dir = scratch(context);
    const runbook = writeLedgerRunbook(dir, [{}, {}]);
    const pending = await cli(['plan', '--offline', '--detailed-exitcode', runbook], { cwd: dir });
    expect(pending.code, describeResult(pending)).toBe(2);
    expect(pending.stdout).toContain('next: step-1');

    expect((await cli(['run', '--yes', runbook], { cwd: dir })).code).toBe(0);
    const nothing = await cli(['plan', '--offline', '--detailed-exitcode', runbook], { cwd: dir });
    expect(nothing.code, describeResult(nothing)).toBe(0);

    writeFileSync(path.join(dir, 'broken.yaml'), 'cutover: 1\nname: x\nsteps: nope\n');
    const invalid = await cli(['plan', '--detailed-exitcode', 'broken.yaml'], { cwd: dir });
    expect(invalid.code, describeResult(invalid)).toBe(1);
    const usage = await cli(['plan', '--detailed-exitcode', '--no-such-flag', runbook], { cwd: dir });
    expect(usage.code, describeResult(usage)).toBe(1);
    // Without the flag, the documented codes are unchanged.
    expect((await cli(['plan', 'broken.yaml'], { cwd: dir })).code).toBe(2);
    expect((await cli(['plan', '--offline', runbook], { cwd: dir })).code).toBe(0);
  });

  it('exits 1 when a live read fails', async (context) => {
    const dir = scratch(context);
    writeFileSync(
      path.join(dir, 'rb.yaml'),
      `cutover: 1
name: traffic
steps:
  - id: dns-10
    run:
      route53: { zone: Z123, name: app.example.com., type: A, weights: { onprem: 90, aws: 10 } }
    verify: "true"
`,
    );
    // Nothing listens on port 9: the read fails at once.
    const env = cliEnv({ AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y', AWS_REGION: 'eu-west-1', AWS_MAX_ATTEMPTS: '1' });
    const result = await cli(['plan', '--detailed-exitcode', '--endpoint-url', 'http://127.0.0.1:9', 'rb.yaml'], { cwd: dir, env, timeoutMs: 60_000 });
    expect(result.code, describeResult(result)).toBe(1);
    expect(result.stdout).toContain('unavailable');
    expect(result.stderr).toContain('could not be read');
  });
});

describe.concurrent('shell completion', () => {
  /** A bin directory with `cutover` on it, as an installed CLI would be. */
  function onPath(dir: string): string {
    const bin = path.join(dir, 'bin');
    mkdirSync(bin);
    symlinkSync(CLI, path.join(bin, 'cutover'));
    return bin;
  }

  it.skipIf(!hasShell('bash'))('bash: sourced in a real bash, completes a command, a flag, a choice and step ids', async (context) => {
    const dir = scratch(context);
    const bin = onPath(dir);
    const script = (await cli(['completion', 'bash'], { cwd: dir })).stdout;
    writeFileSync(path.join(dir, 'cutover.bash'), script);
    const complete = (at: number, ...words: string[]) =>
      execFileSync(
        'bash',
        ['-c', 'source ./cutover.bash; COMP_WORDS=("$@"); COMP_CWORD=$CWORD; COMPREPLY=(); _cutover; printf "%s\\n" "${COMPREPLY[@]}"', 'bash', ...words],
        {
          cwd: dir,
          env: { ...cliEnv(), PATH: `${bin}:${process.env.PATH ?? ''}`, CWORD: String(at) },
          encoding: 'utf8',
        },
      )
        .split('\n')
        .filter((line) => line !== '');
    expect(complete(1, 'cutover', 'rol')).toEqual(['rollback']);
    expect(complete(2, 'cutover', 'run', '--start')).toEqual(['--start-at']);
    expect(complete(3, 'cutover', 'run', '--bake', '')).toEqual(['wait', 'exit']);
    expect(complete(4, 'cutover', 'run', QUICKSTART, '--until', 'c')).toEqual(['copy-data', 'check-copy']);
    // The runbook may come after the flag being completed.
    expect(complete(3, 'cutover', 'rollback', '--to', '', QUICKSTART)).toEqual(['seed-onprem', 'provision-aws', 'copy-data', 'check-copy', 'switch-traffic']);
    expect(complete(3, 'cutover', 'approve', QUICKSTART, 'che')).toEqual(['check-copy']);
  });

  it('zsh and fish scripts are produced and name the commands (each run in its shell when installed)', async (context) => {
    const dir = scratch(context);
    for (const shell of ['zsh', 'fish']) {
      const result = await cli(['completion', shell], { cwd: dir });
      expect(result.code, describeResult(result)).toBe(0);
      for (const command of ['run', 'rollback', 'plan', 'approve', 'completion']) expect(result.stdout).toContain(command);
      expect(result.stdout).toContain('__complete-steps');
      if (hasShell(shell)) {
        writeFileSync(path.join(dir, `c.${shell}`), result.stdout);
        expect(spawnSync(shell, shell === 'fish' ? ['-c', `source c.${shell}`] : ['-c', `source ./c.${shell}`], { cwd: dir }).status).toBe(0);
      }
    }
    const bad = await cli(['completion', 'tcsh'], { cwd: dir });
    expect(bad.code).toBe(2);
  });

  it('__complete-steps prints the step ids, and nothing (exit 0) for a broken or missing runbook', async (context) => {
    const dir = scratch(context);
    const ok = await cli(['__complete-steps', QUICKSTART], { cwd: dir });
    expect(ok.stdout.trim().split('\n')).toEqual(['seed-onprem', 'provision-aws', 'copy-data', 'check-copy', 'switch-traffic']);
    for (const file of ['missing.yaml', path.join(dir, 'x')]) {
      const none = await cli(['__complete-steps', file], { cwd: dir });
      expect([none.code, none.stdout, none.stderr]).toEqual([0, '', '']);
    }
  });
});
