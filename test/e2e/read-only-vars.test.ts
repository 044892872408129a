/**
 * Read-only commands need no value for a var that only steps use (issue 18): status, log,
 * report and approve answer, a step whose definition uses the var says it was not checked;
 * run and plan still need every value and name them all, with the flags to pass.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, describeResult, requireBuild, scratch } from './helpers.js';

const RUNBOOK = `cutover: 1
name: e2e
vars:
  listener: { description: the ALB listener ARN }
  zone: { description: the hosted zone }
steps:
  - id: first
    run: "true"
    rollback: "true"
  - id: uses-listener
    run: echo \${listener} \${zone}
    rollback: "true"
  - id: gate
    run: { manual: "check \${zone}" }
    rollback: none
    irreversible: a person looks
`;

describe.concurrent('vars without a value in read-only commands', () => {
  beforeAll(requireBuild);

  it('status, log and report answer; a step using the var is shown as not checked; run and plan name every missing value', async (context) => {
    const dir = scratch(context);
    const runbook = path.join(dir, 'rb.yaml');
    writeFileSync(runbook, RUNBOOK);

    const plan = await cli(['plan', '--offline', runbook], { cwd: dir });
    expect(plan.code, describeResult(plan)).toBe(2);
    expect(plan.stderr).toContain('no value for variables "listener", "zone", which this command needs; pass --var listener=… --var zone=…');
    expect(plan.stderr).not.toContain('not a valid runbook');

    const run = await cli(['run', '--yes', '--max-steps', '2', '--var', 'listener=L1', '--var', 'zone=Z1', runbook], { cwd: dir });
    expect(run.code, describeResult(run)).toBe(0);

    const status = await cli(['status', runbook], { cwd: dir });
    expect(status.code, describeResult(status)).toBe(0);
    expect(status.stdout).toMatch(/uses-listener \?\s+succeeded/);
    expect(status.stdout).toContain('? uses-listener: definition not checked: vars listener, zone have no value; pass --var listener=… --var zone=…');
    expect(status.stdout).not.toContain('changed in the runbook');
    expect(status.stdout).toContain('next: run gate');

    const json = await cli(['status', '--json', runbook], { cwd: dir });
    const rows = (JSON.parse(json.stdout) as { steps: { id: string; changed: boolean; unchecked?: string[] }[] }).steps;
    expect(rows.map((row) => [row.id, row.changed, row.unchecked])).toEqual([
      ['first', false, undefined],
      ['uses-listener', false, ['listener', 'zone']],
      ['gate', false, undefined],
    ]);

    // With the values given, a different one is a change again.
    const other = await cli(['status', '--var', 'listener=L2', '--var', 'zone=Z1', runbook], { cwd: dir });
    expect(other.stdout).toContain('uses-listener *');

    for (const args of [
      ['log', runbook],
      ['report', runbook],
    ]) {
      const result = await cli(args, { cwd: dir });
      expect(result.code, describeResult(result)).toBe(0);
    }
    const report = await cli(['report', runbook], { cwd: dir });
    expect(report.stdout).toContain('definition not checked: vars listener, zone have no value');

    // approve records a digest: the approved step needs its values, and only its own.
    const approve = await cli(['approve', runbook, 'gate'], { cwd: dir });
    expect(approve.code, describeResult(approve)).toBe(2);
    expect(approve.stderr).toContain('gate: no value for variable "zone", which this command needs; pass --var zone=…');
    const approved = await cli(['approve', '--var', 'zone=Z1', runbook, 'gate'], { cwd: dir });
    expect(approved.code, describeResult(approved)).toBe(0);
  });
});
