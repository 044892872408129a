/**
 * Hints copied from rehearse, lock and unlock messages act on the same journal with the
 * same variables (issue 18), and "Output is in" names the step's log file, which exists.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, describeResult, requireBuild, scratch } from './helpers.js';

const RUNBOOK = `cutover: 1
name: e2e
vars:
  target: { description: no default }
steps:
  - id: ok
    run: echo \${target}
    rollback: "true"
  - id: breaks
    run: echo about to fail; exit 3
    rollback: "true"
`;

describe.concurrent('hints that work when copied', () => {
  beforeAll(requireBuild);

  it('rehearse: its rollback hint names the rehearsal journal and the --var; "Output is in" names the log of the failed attempt', async (context) => {
    const dir = scratch(context);
    const runbook = path.join(dir, 'rb.yaml');
    writeFileSync(runbook, RUNBOOK);
    const result = await cli(['rehearse', '--yes', '--var', 'target=blue', runbook], { cwd: dir });
    expect(result.code, describeResult(result)).toBe(1);
    const rehearsal = path.join(dir, '.cutover', 'e2e.rehearsal.jsonl');
    expect(result.stderr).toContain(`"cutover rollback --journal ${rehearsal} --var target=blue ${runbook}"`);
    const log = /Output is in ([^ ]+\.log)\./.exec(result.stderr)?.[1];
    expect(log, result.stderr).toBe(path.join('.cutover', 'logs', 'breaks.1.log'));
    expect(existsSync(path.join(dir, log ?? ''))).toBe(true);
  });

  it('a failed run names its log file; a step that ran no command names none', async (context) => {
    const dir = scratch(context);
    const runbook = path.join(dir, 'rb.yaml');
    writeFileSync(runbook, RUNBOOK);
    const failed = await cli(['run', '--yes', '--var', 'target=blue', runbook], { cwd: dir });
    expect(failed.code, describeResult(failed)).toBe(1);
    expect(failed.stderr).toContain(`Output is in ${path.join('.cutover', 'logs', 'breaks.1.log')}.`);
    const again = await cli(['resume', '--yes', '--var', 'target=blue', runbook], { cwd: dir });
    expect(again.stderr).toContain(`Output is in ${path.join('.cutover', 'logs', 'breaks.2.log')}.`);

    const manual = path.join(dir, 'manual.yaml');
    writeFileSync(
      manual,
      'cutover: 1\nname: manual\nsteps:\n  - id: look\n    run: { wait: 1ms }\n    precheck: { http: { url: "http://127.0.0.1:9/", timeout: 200ms } }\n    rollback: none\n    irreversible: a person looks\n',
    );
    const noLog = await cli(['run', '--yes', manual], { cwd: dir });
    expect(noLog.code, describeResult(noLog)).toBe(1);
    expect(noLog.stderr).not.toContain('Output is in');
  });

  it('a lock message and unlock carry the flags that located the journal and resolved the runbook', async (context) => {
    const dir = scratch(context);
    const runbook = path.join(dir, 'rb.yaml');
    writeFileSync(runbook, RUNBOOK);
    const journal = path.join(dir, 'elsewhere.jsonl');
    // An empty lock file: a crash between creating and writing it.
    writeFileSync(`${journal}.lock`, '');
    const locked = await cli(['run', '--yes', '--journal', journal, '--var', 'target=blue', runbook], { cwd: dir });
    expect(locked.code, describeResult(locked)).toBe(4);
    expect(locked.stderr).toContain(`cutover unlock --journal ${journal} --var target=blue ${runbook}`);
    mkdirSync(path.join(dir, '.cutover'), { recursive: true });
    const unlocked = await cli(['unlock', '--journal', journal, runbook], { cwd: dir });
    expect(unlocked.code, describeResult(unlocked)).toBe(0);
    expect(unlocked.stderr).toContain(`check "cutover status --journal ${journal} ${runbook}"`);

    const resume = await cli(['resume', '--yes', '--var', 'target=blue', runbook], { cwd: dir });
    expect(resume.code, describeResult(resume)).toBe(2);
    expect(resume.stderr).toContain(`nothing to resume; start with "cutover run --var target=blue ${runbook}"`);
  });
});
