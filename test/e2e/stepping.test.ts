/** Stepping controls and read-only views: --until, --max-steps, --detailed-exitcode, plan and log on a journal. */
import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, describeResult, journalPath, readJournal, readLedger, requireBuild, scratch, writeLedgerRunbook } from './helpers.js';

beforeAll(requireBuild);

describe.concurrent('stepping and read-only views', () => {
  it('--until stops after the step; --detailed-exitcode says steps remain (10) and then completed (0)', async (context) => {
    const dir = scratch(context);
    const runbook = writeLedgerRunbook(dir, [{}, {}, {}]);
    const first = await cli(['run', '--yes', '--detailed-exitcode', '--until', 'step-2', runbook], { cwd: dir });
    expect(first.code, describeResult(first)).toBe(10);
    expect(readLedger(dir)).toEqual(['step-1', 'step-2']);

    const plan = await cli(['plan', '--json', runbook], { cwd: dir });
    expect(plan.code, describeResult(plan)).toBe(0);
    const parsed = JSON.parse(plan.stdout) as { next?: string; steps: { id: string; state: string }[] };
    expect(parsed.steps.map((s) => s.state)).toEqual(['succeeded', 'succeeded', 'pending']);
    expect(parsed.next).toBe('step-3');

    const rest = await cli(['run', '--yes', '--detailed-exitcode', runbook], { cwd: dir });
    expect(rest.code, describeResult(rest)).toBe(0);
    expect(readLedger(dir)).toEqual(['step-1', 'step-2', 'step-3']);
  });

  it('--until with an unknown step is a usage error that runs nothing and writes no journal', async (context) => {
    const dir = scratch(context);
    const runbook = writeLedgerRunbook(dir, [{}, {}]);
    const result = await cli(['run', '--yes', '--until', 'nope', runbook], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--until nope: no such step');
    expect(readLedger(dir)).toEqual([]);
    expect(existsSync(journalPath(dir))).toBe(false);
  });

  it('log prints the history, --json one event per line', async (context) => {
    const dir = scratch(context);
    const runbook = writeLedgerRunbook(dir, [{}]);
    expect((await cli(['run', '--yes', runbook], { cwd: dir })).code).toBe(0);
    const text = await cli(['log', runbook], { cwd: dir });
    expect(text.stdout).toMatch(/step\.succeeded step-1/);
    const json = await cli(['log', '--json', runbook], { cwd: dir });
    const types = json.stdout
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { type: string }).type);
    expect(types[0]).toBe('journal.created');
    expect(types).toContain('run.finished');
    expect(readJournal(journalPath(dir)).map((e) => e.type)).toEqual(types);
  });
});
