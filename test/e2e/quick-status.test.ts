/**
 * The quick `status` path (src/cli/launch-status.ts, run by bin/cutover before the ES module
 * CLI) must print exactly what the full command prints, and decline whenever it cannot.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { quickStatus, quickStatusArgs } from '../../src/cli/launch-status.js';
import { cli, cliEnv, journalPath, requireBuild, ROOT, scratch, writeLedgerRunbook, describeResult } from './helpers.js';

/** The full command, without the quick path: the ES module CLI bin/cutover falls back to. */
function fullStatus(args: string[], cwd: string, env = cliEnv()): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'bin', 'main.js'), 'status', ...args], { cwd, env, encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A runbook with one step done, and its outline cached (the first status fills the cache). */
async function ranOnce(dir: string, steps = [{}, {}]): Promise<void> {
  writeLedgerRunbook(dir, steps);
  await cli(['run', '--yes', 'runbook.yaml', '--until', 'step-1'], { cwd: dir });
  await cli(['status', 'runbook.yaml'], { cwd: dir });
}

describe('quick status', () => {
  beforeAll(requireBuild);

  it('prints what the full command prints, as a table and as JSON, with the default and a given journal', async (context) => {
    const dir = scratch(context);
    await ranOnce(dir);
    const env = cliEnv();
    for (const args of [
      ['runbook.yaml'],
      ['--json', 'runbook.yaml'],
      ['runbook.yaml', '--journal', journalPath(dir)],
      ['--journal=.cutover/e2e.journal.jsonl', 'runbook.yaml', '--no-color'],
    ]) {
      const quick = await quickStatus(['status', ...args], dir, env);
      expect(quick, args.join(' ')).toBeDefined();
      const full = fullStatus(args, dir);
      expect(full.code).toBe(0);
      expect(quick).toBe(full.stdout);
      const viaBin = await cli(['status', ...args], { cwd: dir });
      expect(viaBin.stdout).toBe(full.stdout);
      expect(viaBin.code).toBe(0);
    }
    expect(readFileSync(path.join(dir, 'ledger'), 'utf8')).toBe('step-1\n');
  });

  it('declines what it cannot answer exactly, and bin/cutover still answers through the full command', async (context) => {
    const dir = scratch(context);
    await ranOnce(dir);
    const env = cliEnv();
    // Another option, an S3 journal, a runbook that is not there, a journal of another runbook.
    expect(await quickStatus(['status', '--check', 'runbook.yaml'], dir, env)).toBeUndefined();
    expect(await quickStatus(['status', '--journal', 's3://bucket/key.jsonl', 'runbook.yaml'], dir, env)).toBeUndefined();
    expect(await quickStatus(['status', 'missing.yaml'], dir, env)).toBeUndefined();
    // A changed runbook is a cache miss until a command that writes has loaded it (status only reads).
    appendFileSync(path.join(dir, 'runbook.yaml'), '# edited\n');
    expect(await quickStatus(['status', 'runbook.yaml'], dir, env)).toBeUndefined();
    const edited = await cli(['status', 'runbook.yaml'], { cwd: dir });
    expect(edited.code).toBe(0);
    expect(edited.stdout).toContain('next: run step-2');
    expect(await quickStatus(['status', 'runbook.yaml'], dir, env)).toBeUndefined();
    const retry = await cli(['run', '--yes', '--until', 'step-1', 'runbook.yaml'], { cwd: dir });
    expect(retry.code, describeResult(retry)).toBe(0);
    expect(retry.stderr).toContain('nothing to do: --until step-1 is already done');
    expect(await quickStatus(['status', 'runbook.yaml'], dir, env)).toBe(edited.stdout);
  });

  it('leaves a damaged or torn journal to the full command, which reports it', async (context) => {
    const dir = scratch(context);
    await ranOnce(dir);
    const env = cliEnv();
    const journal = journalPath(dir);
    const intact = readFileSync(journal, 'utf8');

    appendFileSync(journal, '{"v":1,"seq":99,"ty');
    expect(await quickStatus(['status', 'runbook.yaml'], dir, env)).toBeUndefined();
    const torn = await cli(['status', 'runbook.yaml'], { cwd: dir });
    expect(torn.code).toBe(0);
    expect(torn.stderr).toMatch(/was cut off mid-write/);

    const lines = intact.split('\n');
    lines[1] = lines[1]!.replace('"step-1"', '"step-9"');
    writeFileSync(journal, lines.join('\n'));
    expect(await quickStatus(['status', 'runbook.yaml'], dir, env)).toBeUndefined();
    const damaged = await cli(['status', 'runbook.yaml'], { cwd: dir });
    expect(damaged.code).toBe(2);
    expect(damaged.stderr).toMatch(/line 2/);

    rmSync(journal);
    writeFileSync(journal, '');
    expect(await quickStatus(['status', 'runbook.yaml'], dir, env)).toBeUndefined();
    expect((await cli(['status', 'runbook.yaml'], { cwd: dir })).code).toBe(2);
  });

  it('declines while the journal is locked: the full command reads who holds it (a running step is running, not interrupted)', async (context) => {
    const dir = scratch(context);
    await ranOnce(dir);
    const env = cliEnv();
    const unlocked = await quickStatus(['status', 'runbook.yaml'], dir, env);
    expect(unlocked).toBeDefined();
    // This test process stands for the holder: alive, on this machine, since now.
    const holder = { user: 'alice', host: hostname(), pid: process.pid, since: new Date().toISOString(), command: 'run' };
    writeFileSync(`${journalPath(dir)}.lock`, `${JSON.stringify(holder)}\n`);
    expect(await quickStatus(['status', 'runbook.yaml'], dir, env)).toBeUndefined();
    const full = await cli(['status', 'runbook.yaml'], { cwd: dir });
    expect(full.code).toBe(0);
    expect(full.stdout).toContain(`locked: alice@${hostname()} (pid ${process.pid}, cutover run since ${holder.since}) is running`);
    expect(full.stdout).toContain(`next: wait: the journal is locked by alice@${hostname()} (pid ${process.pid}`);
    // A holder that is gone (killed between steps): its lock blocks the next command, and status says so.
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    writeFileSync(`${journalPath(dir)}.lock`, `${JSON.stringify({ ...holder, pid: dead })}\n`);
    const stale = await cli(['status', 'runbook.yaml'], { cwd: dir });
    expect(stale.stdout).toContain(
      `next: run step-2: "cutover run runbook.yaml" (first "cutover unlock runbook.yaml": the lock of alice@${hostname()} (pid ${dead}`,
    );
    expect(stale.stdout).not.toContain('locked:');
    rmSync(`${journalPath(dir)}.lock`);
    expect(await quickStatus(['status', 'runbook.yaml'], dir, env)).toBe(unlocked);
  });

  it('answers only the plain form of the command line', () => {
    expect(quickStatusArgs(['status', 'rb.yaml'])).toEqual({ file: 'rb.yaml', json: false, color: true });
    expect(quickStatusArgs(['status', '--json', 'rb.yaml', '--no-color'])).toEqual({ file: 'rb.yaml', json: true, color: false });
    expect(quickStatusArgs(['status', '--journal', 'j.jsonl', 'rb.yaml'])).toEqual({ file: 'rb.yaml', journal: 'j.jsonl', json: false, color: true });
    expect(quickStatusArgs(['status', '--journal=j.jsonl', 'rb.yaml'])).toEqual({ file: 'rb.yaml', journal: 'j.jsonl', json: false, color: true });
    for (const args of [
      ['status'],
      ['status', '--help'],
      ['status', 'rb.yaml', '--journal'],
      ['status', '--journal', '--json', 'rb.yaml'],
      ['status', '--journal=', 'rb.yaml'],
      ['status', 'a.yaml', 'b.yaml'],
      ['status', '--check', 'rb.yaml'],
      ['status', '--watch', 'rb.yaml'],
      ['log', 'rb.yaml'],
      ['status', '-x'],
      ['status', '--', 'rb.yaml'],
    ]) {
      expect(quickStatusArgs(args), args.join(' ')).toBeUndefined();
    }
  });
});
