/**
 * A NUL byte cannot reach a command (no argv entry or environment variable can hold one):
 * a value with one is refused when the runbook is loaded, with a message and no stack
 * trace, before anything is journaled or run. It used to crash `run` (exit 70) after
 * step.started, printing the secret that held it.
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRunbookText } from '../src/runbook/load.js';
import { cli, cliEnv, describeResult, requireBuild, scratch } from './e2e/helpers.js';

const RUNBOOK = `cutover: 1
name: nul
vars:
  password: { secret: true }
  plain: ok
steps:
  - id: s
    run: echo \${password} \${plain}
    rollback: none
    irreversible: test
`;

describe('a NUL byte in a value is refused at load time', () => {
  it('from --var and --vars-file, naming the variable', () => {
    const flag = loadRunbookText('nul.yaml', RUNBOOK, { overrides: { flags: ['password=a\u0000b'] } });
    expect(flag.ok ? [] : flag.diagnostics).toMatchObject([
      { file: '--var', rule: 'nul-in-value', message: expect.stringContaining('the value of "password" contains a NUL byte') },
    ]);
    const file = loadRunbookText('nul.yaml', RUNBOOK, { overrides: { flags: [], file: { path: 'v.yaml', values: { password: 'x', plain: 'b\u0000' } } } });
    expect(file.ok ? [] : file.diagnostics.map((d) => `${d.file} ${d.rule}`)).toEqual(['v.yaml nul-in-value']);
  });

  it('from a YAML escape in the runbook itself, at its position', () => {
    const text = RUNBOOK.replace('plain: ok', 'plain: "o\\0k"').replace('title', 'x');
    const result = loadRunbookText('nul.yaml', text, { overrides: { flags: ['password=x'] } });
    expect(result.ok ? [] : result.diagnostics).toMatchObject([{ line: 5, col: 10, rule: 'nul-in-value' }]);
  });

  it('from the environment, through ${env.NAME}', () => {
    const text = RUNBOOK.replace('${plain}', '${env.TOKEN}');
    const result = loadRunbookText('nul.yaml', text, { overrides: { flags: ['password=x'] }, env: { TOKEN: 'a\u0000b' } });
    expect(result.ok ? [] : result.diagnostics).toMatchObject([
      { line: 8, rule: 'nul-in-value', message: expect.stringContaining('TOKEN contains a NUL byte') },
    ]);
  });

  it('through the CLI: run exits 2 with the message, no stack trace, no secret, nothing journaled', async (context) => {
    requireBuild();
    const dir = scratch(context);
    writeFileSync(path.join(dir, 'nul.yaml'), RUNBOOK);
    writeFileSync(path.join(dir, 'vars.yaml'), 'password: "hunter2-\\0-secret"\n');
    const result = await cli(['run', '--yes', '--vars-file', 'vars.yaml', 'nul.yaml'], { cwd: dir, env: cliEnv({ CI: 'true' }) });
    expect(result.code, describeResult(result)).toBe(2);
    expect(result.stderr).toContain('vars.yaml: the value of "password" contains a NUL byte');
    expect(result.stdout + result.stderr).not.toContain('hunter2');
    expect(existsSync(path.join(dir, '.cutover', 'nul.journal.jsonl'))).toBe(false);
  });
});
