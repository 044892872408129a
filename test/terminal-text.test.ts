/**
 * What reaches a terminal is inert: a command's output, a title or a reason cannot move
 * the cursor or erase a line (a step printing "\x1b[2K\r✔ s0 succeeded" would otherwise
 * forge a line). Control characters other than newline and tab are shown as escapes;
 * the step logs keep the raw bytes.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { neutralise } from '../src/cli/terminal-text.js';
import { paint } from '../src/cli/output.js';
import { CLI, cli, cliEnv, describeResult, requireBuild, scratch } from './e2e/helpers.js';
import { PtySession } from './e2e/pty.js';

const FORGED = '\u001b[2K\r✔ s0 succeeded';
const INERT = '\\u001b[2K\\r✔ s0 succeeded';

describe('neutralise', () => {
  it.each([
    [FORGED, INERT],
    ['bell\u0007 del\u007f csi\u009b2J nul\u0000', 'bell\\u0007 del\\u007f csi\\u009b2J nul\\u0000'],
    ['tab\tand\nnewline stay', 'tab\tand\nnewline stay'],
    ['\u001b]0;title\u0007', '\\u001b]0;title\\u0007'],
    ['\u001b[8mhidden', '\\u001b[8mhidden'],
    ['plain text, é ✓', 'plain text, é ✓'],
  ])('%j', (text, shown) => {
    expect(neutralise(text)).toBe(shown);
  });

  it("keeps paint()'s colours, which only colour", () => {
    const painted = paint({ color: true }, 'red', 'failed') + paint({ color: true }, 'bold', 'x') + paint({ color: true }, 'dim', 'y');
    expect(neutralise(painted)).toBe(painted);
  });

  it('keeps a JSON line valid JSON with the same meaning (JSON.stringify leaves C1 and DEL raw)', () => {
    const line = JSON.stringify({ line: 'csi\u009b2J del\u007f esc\u001b' });
    expect(JSON.parse(neutralise(line))).toEqual(JSON.parse(line));
    expect(neutralise(line)).not.toMatch(/[\u007f-\u009f]/);
  });
});

const RUNBOOK = `cutover: 1
name: term
steps:
  - id: forge
    title: "Title \\e[2J\\e[H with escapes"
    description: "reason \\r overwritten"
    run: printf '\\033[2K\\r✔ s0 succeeded\\n'; printf 'bell\\a\\n' >&2
    rollback: none
    irreversible: test
`;

describe('through the CLI', () => {
  it('run, plan, status and log show escapes inert; the step log keeps the raw bytes', async (context) => {
    requireBuild();
    const dir = scratch(context);
    writeFileSync(path.join(dir, 'term.yaml'), RUNBOOK);
    const env = cliEnv({ CI: 'true' });
    const run = await cli(['run', '--yes', 'term.yaml'], { cwd: dir, env });
    expect(run.code, describeResult(run)).toBe(0);
    expect(run.stderr).toContain(INERT);
    expect(run.stderr).toContain('bell\\u0007');
    for (const args of [
      ['plan', 'term.yaml'],
      ['status', 'term.yaml'],
      ['log', 'term.yaml'],
      ['run', '--yes', 'term.yaml'],
    ]) {
      const result = await cli(args, { cwd: dir, env });
      // NO_COLOR: cutover itself writes no escape at all, so none may appear.
      expect(neutralise(result.stdout + result.stderr), args.join(' ')).toBe(result.stdout + result.stderr);
    }
    const plan = await cli(['plan', 'term.yaml'], { cwd: dir, env });
    expect(plan.stdout).toContain('Title \\u001b[2J\\u001b[H with escapes');
    const logs = path.join(dir, '.cutover', 'logs');
    const log = readFileSync(path.join(logs, readdirSync(logs)[0] as string), 'utf8');
    expect(log).toContain(FORGED);
  }, 60_000);

  it('the live task list at a terminal (listr2) shows them inert too', async (context) => {
    requireBuild();
    const dir = scratch(context);
    writeFileSync(path.join(dir, 'term.yaml'), RUNBOOK.replace('printf', 'sleep 0.5; printf').replace("\\n'; printf", "\\n'; sleep 0.5; printf"));
    const env = cliEnv({ TERM: 'xterm-256color' });
    delete env.CI;
    const session = new PtySession([process.execPath, CLI, 'run', '--yes', 'term.yaml'], { cwd: dir, env, timeoutMs: 25_000 });
    context.onTestFinished(() => session.kill());
    const result = await session.done;
    expect(result.code, result.output).toBe(0);
    expect(session.rawOutput()).not.toContain(FORGED);
    expect(session.rawOutput()).not.toContain('\u001b[2J');
    expect(session.rawOutput()).toContain('Title \\u001b[2J');
  }, 60_000);
});
