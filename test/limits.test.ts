/**
 * Limits on what comes in, and clear words when something is off: name and id lengths
 * (they become file names), vars file size, an empty --journal, a dangling symlink as
 * the journal, the alias limit, and a step log cut short by a full disk.
 */
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRunbookText } from '../src/runbook/load.js';
import { cli, cliEnv, describeResult, readJournal, requireBuild, scratch } from './e2e/helpers.js';

const step = (id: string) => `  - id: ${id}\n    run: echo\n    rollback: none\n    irreversible: test\n`;
const runbook = (name: string, steps: string) => `cutover: 1\nname: ${name}\nsteps:\n${steps}`;

describe('names and ids are at most 100 characters (they name the journal and the step logs)', () => {
  it('a step id', () => {
    expect(loadRunbookText('l.yaml', runbook('l', step('a'.repeat(100)))).ok).toBe(true);
    const result = loadRunbookText('l.yaml', runbook('l', step('a'.repeat(250))));
    expect(result.ok ? [] : result.diagnostics).toMatchObject([
      { line: 4, col: 9, rule: 'id-length', message: expect.stringContaining('is 250 characters long; ids name the step logs, so they are limited to 100') },
    ]);
  });

  it('an id expanded by foreach, at the item that makes it too long', () => {
    const text = runbook(
      'l',
      `  - id: deploy-\${app}\n    foreach: { app: [ok, ${'x'.repeat(95)}] }\n    run: echo\n    rollback: none\n    irreversible: test\n`,
    );
    const result = loadRunbookText('l.yaml', text);
    expect(result.ok ? [] : result.diagnostics).toMatchObject([{ line: 5, col: 26, rule: 'id-length' }]);
  });

  it('the runbook name', () => {
    const result = loadRunbookText('l.yaml', runbook('n'.repeat(300), step('a')));
    expect(result.ok ? [] : result.diagnostics).toMatchObject([
      { line: 2, col: 7, message: expect.stringContaining('the name is 300 characters long; it names the journal file, so it is limited to 100') },
    ]);
  });
});

describe('YAML aliases: at most 100', () => {
  const withAliases = (count: number) =>
    `cutover: 1\nname: a\nvars:\n  base: &b x\n${Array.from({ length: count }, (_, i) => `  v${i}: *b\n`).join('')}steps:\n${step('s')}`;

  it('accepts exactly 100 and refuses 101', () => {
    expect(loadRunbookText('a.yaml', withAliases(100)).ok).toBe(true);
    const result = loadRunbookText('a.yaml', withAliases(101));
    expect(result.ok ? [] : result.diagnostics.map((d) => d.rule)).toEqual(['yaml-alias']);
  });
});

describe('through the CLI', () => {
  it('run refuses a 250-character step id before anything runs (it used to fail with ENAMETOOLONG)', async (context) => {
    requireBuild();
    const dir = scratch(context);
    writeFileSync(path.join(dir, 'l.yaml'), runbook('l', step('a'.repeat(250))));
    const result = await cli(['run', '--yes', 'l.yaml'], { cwd: dir, env: cliEnv({ CI: 'true' }) });
    expect(result.code, describeResult(result)).toBe(2);
    expect(result.stderr).toContain('ids name the step logs, so they are limited to 100');
    expect(existsSync(path.join(dir, '.cutover'))).toBe(false);
  });

  it('a vars file over 1 MB, or endless (/dev/zero), is refused at once', async (context) => {
    requireBuild();
    const dir = scratch(context);
    writeFileSync(path.join(dir, 'l.yaml'), runbook('l', step('a')));
    writeFileSync(path.join(dir, 'big.yaml'), `v: "${'x'.repeat(1024 * 1024)}"\n`);
    for (const file of ['big.yaml', '/dev/zero']) {
      const started = Date.now();
      const result = await cli(['validate', '--vars-file', file, 'l.yaml'], { cwd: dir, env: cliEnv() });
      expect(result.code, describeResult(result)).toBe(2);
      expect(result.stdout).toContain(`${file}: the vars file is larger than 1 MB`);
      expect(Date.now() - started).toBeLessThan(10_000);
    }
  });

  it('--journal "" is an empty flag, not "a directory"', async (context) => {
    requireBuild();
    const dir = scratch(context);
    writeFileSync(path.join(dir, 'l.yaml'), runbook('l', step('a')));
    for (const command of [['run', '--yes'], ['status'], ['log']]) {
      const result = await cli([...command, '--journal', '', 'l.yaml'], { cwd: dir, env: cliEnv({ CI: 'true' }) });
      expect(result.code, describeResult(result)).toBe(2);
      expect(result.stderr).toContain('--journal');
      expect(result.stderr).toContain('empty');
      expect(result.stderr).not.toContain('directory');
    }
  });

  it('a dangling symlink as the journal is named as such, not as another process writing without the lock', async (context) => {
    requireBuild();
    const dir = scratch(context);
    writeFileSync(path.join(dir, 'l.yaml'), runbook('l', step('a')));
    symlinkSync(path.join(dir, 'nowhere', 'l.journal.jsonl'), path.join(dir, 'link.jsonl'));
    for (const command of [['run', '--yes'], ['status']]) {
      const result = await cli([...command, '--journal', 'link.jsonl', 'l.yaml'], { cwd: dir, env: cliEnv({ CI: 'true' }) });
      expect(result.code, describeResult(result)).toBe(2);
      expect(result.stderr).toContain(
        `${path.join(dir, 'link.jsonl')} is a symbolic link to ${path.join(dir, 'nowhere', 'l.journal.jsonl')}, which does not exist`,
      );
      expect(result.stderr).not.toContain('without holding its lock');
    }
  });

  it.skipIf(!existsSync('/dev/full'))(
    "a step log cut short by a full disk is said on the terminal and in a failed step's journaled tail; the step result stands",
    async (context) => {
      requireBuild();
      const dir = scratch(context);
      const steps = `  - id: ok\n    run: echo one; echo two\n    rollback: none\n    irreversible: test\n  - id: bad\n    run: echo one; echo two; exit 3\n    onFailure: stop\n    rollback: none\n    irreversible: test\n`;
      writeFileSync(path.join(dir, 'l.yaml'), runbook('l', steps));
      // /dev/full: every write fails with ENOSPC, as on a full disk.
      mkdirSync(path.join(dir, '.cutover', 'logs'), { recursive: true });
      for (const id of ['ok', 'bad']) symlinkSync('/dev/full', path.join(dir, '.cutover', 'logs', `${id}.1.log`));
      const result = await cli(['run', '--yes', 'l.yaml'], { cwd: dir, env: cliEnv({ CI: 'true' }) });
      expect(result.code, describeResult(result)).toBe(1);
      expect(result.stderr).toContain(`${path.join(dir, '.cutover', 'logs', 'ok.1.log')} is cut short here: no space left on the device`);
      expect(result.stderr).toMatch(/ok succeeded/);
      const failed = readJournal(path.join(dir, '.cutover', 'l.journal.jsonl')).find((event) => event.type === 'step.failed');
      expect(failed?.data.reason).toBe('exited with code 3');
      expect((failed?.data.tail as string[]).at(-1)).toContain('bad.1.log is cut short here: no space left on the device');
    },
  );
});
