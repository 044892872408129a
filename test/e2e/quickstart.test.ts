/** The quickstart as a new user meets it, and `run --dry-run`. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, quickstartIn, describeResult, journalPath, readJournal, readLedger, requireBuild, scratch, stepTimeline, writeLedgerRunbook } from './helpers.js';

beforeAll(requireBuild);

const QUICKSTART_STEPS = ['seed-onprem', 'provision-aws', 'copy-data', 'check-copy', 'switch-traffic'];

describe.concurrent('quickstart', () => {
  it('run --yes stops at the manual step; approve, run again, and every step has succeeded', async (context) => {
    const dir = scratch(context);
    const QUICKSTART = quickstartIn(dir);
    const site = path.join(dir, 'site');
    const vars = ['--var', `workdir=${site}`];

    const first = await cli(['run', '--yes', QUICKSTART, ...vars], { cwd: dir });
    expect(first.code, describeResult(first)).toBe(0);
    expect(first.stderr).toContain('waiting for approval');
    expect(first.stderr).toContain('check-copy');
    expect(readFileSync(path.join(site, 'active'), 'utf8')).toBe('onprem\n');
    expect(readFileSync(path.join(site, 'aws', 'index.html'), 'utf8')).toBe('hello from the data centre\n');

    const approve = await cli(['approve', QUICKSTART, 'check-copy', ...vars, '--note', 'looked at it'], { cwd: dir });
    expect(approve.code, describeResult(approve)).toBe(0);

    const second = await cli(['run', '--yes', QUICKSTART, ...vars], { cwd: dir });
    expect(second.code, describeResult(second)).toBe(0);
    expect(second.stderr).toContain('completed');
    expect(readFileSync(path.join(site, 'active'), 'utf8')).toBe('aws\n');

    const status = await cli(['status', '--json', QUICKSTART, ...vars], { cwd: dir });
    expect(status.code, describeResult(status)).toBe(0);
    const parsed = JSON.parse(status.stdout) as { steps: { id: string; state: string }[]; next?: string };
    expect(parsed.steps.map((s) => [s.id, s.state])).toEqual(QUICKSTART_STEPS.map((id) => [id, 'succeeded']));
    expect(parsed.next).toBeUndefined();

    const journal = journalPath(dir, 'quickstart');
    expect(statSync(journal).mode & 0o777).toBe(0o600);
    const events = readJournal(journal);
    expect(events[0]?.type).toBe('journal.created');
    expect(events.filter((e) => e.type === 'step.succeeded').map((e) => e.step)).toEqual(QUICKSTART_STEPS);
    expect(events.filter((e) => e.type === 'approval').map((e) => e.step)).toEqual(['check-copy']);
    expect(events.filter((e) => e.type === 'run.started')).toHaveLength(2);
    // The approval comes before the manual step is carried out.
    const seqOf = (type: string, step: string) => events.find((e) => e.type === type && e.step === step)?.seq ?? -1;
    expect(seqOf('approval', 'check-copy')).toBeLessThan(seqOf('step.started', 'check-copy'));
    expect(existsSync(`${journal}.lock`)).toBe(false);

    const logs = readdirSync(path.join(dir, '.cutover', 'logs'));
    expect(logs).toEqual(expect.arrayContaining(['seed-onprem.1.log', 'provision-aws.1.log', 'copy-data.1.log', 'switch-traffic.1.log']));
    for (const log of logs) expect(statSync(path.join(dir, '.cutover', 'logs', log)).mode & 0o777).toBe(0o600);
    expect(readFileSync(path.join(dir, '.cutover', 'logs', 'seed-onprem.1.log'), 'utf8')).toContain('exited with code 0');
  });
});

describe.concurrent('run --dry-run', () => {
  it('executes nothing and writes no journal', async (context) => {
    const dir = scratch(context);
    const runbook = writeLedgerRunbook(dir, [{}, {}, {}]);

    const result = await cli(['run', '--dry-run', '--yes', runbook], { cwd: dir });
    expect(result.code, describeResult(result)).toBe(0);
    expect(result.stdout).toContain('nothing is executed or journaled');
    expect(result.stdout).toContain('step-3');
    expect(existsSync(path.join(dir, 'ledger'))).toBe(false);
    expect(readLedger(dir)).toEqual([]);
    expect(existsSync(journalPath(dir))).toBe(false);
    expect(existsSync(`${journalPath(dir)}.lock`)).toBe(false);
    expect(existsSync(path.join(dir, '.cutover', 'logs'))).toBe(false);
  });

  it('after a partial run, shows completed steps as done and still runs nothing', async (context) => {
    const dir = scratch(context);
    const runbook = writeLedgerRunbook(dir, [{}, {}, {}]);
    const partial = await cli(['run', '--yes', '--max-steps', '1', runbook], { cwd: dir });
    expect(partial.code, describeResult(partial)).toBe(0);
    const before = readFileSync(journalPath(dir));

    const result = await cli(['run', '--dry-run', '--yes', runbook], { cwd: dir });
    expect(result.code, describeResult(result)).toBe(0);
    expect(result.stdout).toContain('step-1: already succeeded');
    expect(readLedger(dir)).toEqual(['step-1']);
    expect(readFileSync(journalPath(dir))).toEqual(before);
    expect(stepTimeline(readJournal(journalPath(dir)))).toEqual(['step.started:step-1', 'step.succeeded:step-1']);
  });
});
