/**
 * The state model across process boundaries: the journal found from any directory, the
 * old journal place refused, read-only commands that create nothing, `run --dry-run` with
 * the bounds and refusals of `run`, a CI retry of `run --until`, and `rollback` deciding a
 * failed shell step.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, cliEnv, describeResult, journalPath, readJournal, readLedger, requireBuild, scratch, writeLedgerRunbook } from './helpers.js';

describe.concurrent('the migration state across commands', () => {
  beforeAll(requireBuild);

  it('the default journal lives next to the runbook: another directory finds it, and read-only commands create nothing there', async (context) => {
    const dir = scratch(context);
    const elsewhere = path.join(dir, 'elsewhere');
    mkdirSync(elsewhere);
    const runbook = writeLedgerRunbook(dir, [{}, {}, {}]);
    const first = await cli(['run', '--yes', '--max-steps', '1', runbook], { cwd: dir });
    expect(first.code, describeResult(first)).toBe(0);

    for (const args of [
      ['status', runbook],
      ['plan', '--offline', runbook],
      ['run', '--dry-run', runbook],
      ['log', runbook],
      ['rollback', '--dry-run', runbook],
    ]) {
      const result = await cli(args, { cwd: elsewhere });
      expect(result.code, describeResult(result)).toBe(0);
    }
    const status = await cli(['status', '--json', runbook], { cwd: elsewhere });
    expect((JSON.parse(status.stdout) as { next: string; journal: string }).next).toBe('step-2');
    expect((JSON.parse(status.stdout) as { journal: string }).journal).toBe(journalPath(dir));
    expect(readdirSync(elsewhere), 'read-only commands wrote nothing').toEqual([]);

    // run from the other directory continues the same journal (step-1 is not run again).
    const second = await cli(['run', '--yes', '--max-steps', '1', runbook], { cwd: elsewhere });
    expect(second.code, describeResult(second)).toBe(0);
    expect(readLedger(dir)).toEqual(['step-1', 'step-2']);
    expect(existsSync(path.join(elsewhere, '.cutover'))).toBe(false);
    expect(
      readJournal(journalPath(dir))
        .filter((e) => e.type === 'step.succeeded')
        .map((e) => e.step),
    ).toEqual(['step-1', 'step-2']);
  });

  it('a journal left in the working directory (where it used to live) stops the command instead of starting a new one', async (context) => {
    const dir = scratch(context);
    const runbooks = path.join(dir, 'runbooks');
    mkdirSync(runbooks);
    const runbook = writeLedgerRunbook(runbooks, [{}, {}], { name: 'legacy' });
    // The old layout: .cutover/ of the directory cutover ran in, not next to the runbook.
    expect((await cli(['run', '--yes', '--max-steps', '1', runbook], { cwd: dir })).code).toBe(0);
    mkdirSync(path.join(dir, '.cutover'), { recursive: true });
    renameSync(path.join(runbooks, '.cutover', 'legacy.journal.jsonl'), path.join(dir, '.cutover', 'legacy.journal.jsonl'));

    for (const args of [
      ['run', '--yes', runbook],
      ['status', runbook],
    ]) {
      const refused = await cli(args, { cwd: dir });
      expect(refused.code, describeResult(refused)).toBe(2);
      expect(refused.stderr).toContain(`${path.join(dir, '.cutover', 'legacy.journal.jsonl')} holds a journal of runbook "legacy"`);
      expect(refused.stderr).toContain(`mv ${path.join(dir, '.cutover', 'legacy.journal.jsonl')} ${path.join(runbooks, '.cutover', 'legacy.journal.jsonl')}`);
    }
    expect(readLedger(runbooks)).toEqual(['step-1']);
    // --journal names it: it carries on from there.
    const carried = await cli(['run', '--yes', '--journal', '.cutover/legacy.journal.jsonl', runbook], { cwd: dir });
    expect(carried.code, describeResult(carried)).toBe(0);
    expect(readLedger(runbooks)).toEqual(['step-1', 'step-2']);
  });

  it('run --until a step that is already done does nothing (a CI retry from shell history); --dry-run says the same', async (context) => {
    const dir = scratch(context);
    const runbook = writeLedgerRunbook(dir, [{}, {}, {}]);
    expect((await cli(['run', '--yes', '--until', 'step-1', runbook], { cwd: dir })).code).toBe(0);
    const dry = await cli(['run', '--dry-run', '--until', 'step-1', runbook], { cwd: dir });
    expect(dry.code, describeResult(dry)).toBe(0);
    expect(dry.stdout).toContain('would do nothing: nothing to do: --until step-1 is already done; the next step is step-2');
    const retry = await cli(['run', '--yes', '--detailed-exitcode', '--until', 'step-1', runbook], { cwd: dir });
    expect(retry.code, describeResult(retry)).toBe(0);
    expect(retry.stderr).toContain('nothing to do: --until step-1 is already done');
    expect(readLedger(dir)).toEqual(['step-1']);
  });

  it('run --dry-run honours --max-steps and --until, and shows the refusal run would give', async (context) => {
    const dir = scratch(context);
    const runbook = writeLedgerRunbook(dir, [{}, {}, {}]);
    const bounded = await cli(['run', '--dry-run', '--max-steps', '1', runbook], { cwd: dir });
    expect(bounded.code, describeResult(bounded)).toBe(0);
    expect(bounded.stdout).toContain('would run:');
    expect(bounded.stdout).toContain('--max-steps 1: would stop before step-2');
    expect(bounded.stdout).not.toMatch(/step-3: Step 3/);
    const until = await cli(['run', '--dry-run', '--until', 'step-2', runbook], { cwd: dir });
    expect(until.stdout).toContain('--until step-2: would stop before step-3');

    expect((await cli(['run', '--yes', '--max-steps', '1', runbook], { cwd: dir })).code).toBe(0);
    // Edit the completed step: run refuses, and so do plan and the dry run.
    writeLedgerRunbook(dir, [{ run: 'echo step-one >> ${dir}/ledger' }, {}, {}]);
    const refusedDry = await cli(['run', '--dry-run', runbook], { cwd: dir });
    expect(refusedDry.code, describeResult(refusedDry)).toBe(2);
    expect(refusedDry.stdout).toContain('run would refuse: completed step(s) changed since they ran: step-1');
    const plan = await cli(['plan', '--offline', runbook], { cwd: dir });
    expect(plan.stdout).toContain('run would refuse: completed step(s) changed since they ran: step-1');
    const run = await cli(['run', '--yes', runbook], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('completed step(s) changed since they ran: step-1');
    expect(readLedger(dir)).toEqual(['step-1']);
  });

  it('rollback of a failed shell step is decided: CI stops and asks for --failed-steps; rollback runs its undo, skip leaves it', async (context) => {
    const dir = scratch(context);
    const runbook = writeLedgerRunbook(dir, [{}, { run: 'echo step-2 >> ${dir}/ledger; exit 3' }]);
    const failed = await cli(['run', '--yes', runbook], { cwd: dir });
    expect(failed.code, describeResult(failed)).toBe(1);
    expect(readLedger(dir)).toEqual(['step-1', 'step-2']);

    const dry = await cli(['rollback', '--dry-run', runbook], { cwd: dir });
    expect(dry.stdout).toContain('1. step-2:');
    expect(dry.stdout).toContain('effect unknown: it failed in its action');

    const undecided = await cli(['rollback', '--yes', runbook], { cwd: dir });
    expect(undecided.code, describeResult(undecided)).toBe(2);
    expect(undecided.stderr).toContain('whether these steps changed anything is unknown: step-2 (it failed in its action)');
    expect(readLedger(dir)).toEqual(['step-1', 'step-2']);

    const skipped = await cli(['rollback', '--yes', '--failed-steps', 'skip', runbook], { cwd: dir });
    expect(skipped.code, describeResult(skipped)).toBe(0);
    expect(readLedger(dir)).toEqual(['step-1', 'step-2', 'undo-1']);

    const rolled = await cli(['rollback', '--yes', '--failed-steps', 'rollback', runbook], { cwd: dir });
    expect(rolled.code, describeResult(rolled)).toBe(0);
    expect(readLedger(dir)).toEqual(['step-1', 'step-2', 'undo-1', 'undo-2']);
    const decisions = readJournal(journalPath(dir))
      .filter((e) => e.type === 'decision' && e.data.note !== undefined)
      .map((e) => [e.step, e.data.choice, e.data.note]);
    expect(decisions).toEqual([
      ['step-2', 'leave as is', '--failed-steps skip'],
      ['step-2', 'rollback', '--failed-steps rollback'],
    ]);
  });

  it('hints carry the flags that found the journal and resolved the runbook, and work when copied', async (context) => {
    const dir = scratch(context);
    const gate = { id: 'gate', run: { manual: 'look at the dashboards' }, verify: null, rollback: 'none', irreversible: 'nothing to undo' };
    const runbook = writeLedgerRunbook(dir, [{}, gate, {}]);
    const journal = path.join(dir, 'shared', 'e2e journal.jsonl');
    mkdirSync(path.dirname(journal));
    const first = await cli(['run', '--yes', '--journal', journal, '--var', `dir=${dir}`, runbook], { cwd: dir });
    expect(first.code, describeResult(first)).toBe(0);
    const approve = `cutover approve --journal '${journal}' --var dir=${dir} ${runbook} gate`;
    expect(first.stderr).toContain(`"${approve}"`);
    const typo = await cli(['approve', '--journal', journal, runbook, 'gat'], { cwd: dir });
    expect(typo.code, describeResult(typo)).toBe(2);
    expect(typo.stderr).toContain('no step "gat"');
    expect(typo.stderr).toContain('(did you mean gate?)');
    // Copied as printed (minus the program name): it approves in that journal, and the next run goes on.
    const copied = await cli(['approve', '--journal', journal, '--var', `dir=${dir}`, runbook, 'gate'], { cwd: dir });
    expect(copied.code, describeResult(copied)).toBe(0);
    expect(copied.stderr).toContain(`the next "cutover run --journal '${journal}' --var dir=${dir} ${runbook}" carries it out`);
    const status = await cli(['status', '--journal', journal, runbook], { cwd: dir });
    expect(status.stdout).toContain(`"cutover run --journal '${journal}' ${runbook}"`);
    const second = await cli(['run', '--yes', '--journal', journal, runbook], { cwd: dir });
    expect(second.code, describeResult(second)).toBe(0);
    expect(readLedger(dir)).toEqual(['step-1', 'step-3']);
  });

  it('a rollback runs with the real value of a secret (the journal holds it masked) and never runs a rewritten journal unasked', async (context) => {
    const dir = scratch(context);
    const runbook = path.join(dir, 'secret.yaml');
    writeFileSync(
      runbook,
      `cutover: 1
name: secret
vars:
  pw: { secret: true }
steps:
  - id: a
    run: "true"
    rollback: "printf '%s' \${pw} > ${dir}/undone"
`,
    );
    expect((await cli(['run', '--yes', '--var', 'pw=hunter2', runbook], { cwd: dir })).code).toBe(0);
    const rolled = await cli(['rollback', '--yes', '--var', 'pw=hunter2', runbook], { cwd: dir });
    expect(rolled.code, describeResult(rolled)).toBe(0);
    expect(readFileSync(path.join(dir, 'undone'), 'utf8')).toBe('hunter2');
    expect(readFileSync(journalPath(dir, 'secret'), 'utf8')).not.toContain('hunter2');

    // Someone with write access rewrites the journaled rollback and recomputes the hash chain.
    const tamper = (digest?: string) => {
      const file = journalPath(dir, 'secret');
      const lines = readFileSync(file, 'utf8')
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      const started = lines.filter((e) => e.type === 'step.started').at(-1) as {
        data: { definition: { digest: string; rollback: { run: { script: string } } }; digest: string };
      };
      started.data.definition.rollback.run.script = `touch ${dir}/PWNED`;
      if (digest) started.data.digest = started.data.definition.digest = digest;
      let prev: string | null = null;
      const rechained = lines.map((event) => {
        const line = JSON.stringify({ ...event, prev });
        prev = createHash('sha256').update(line, 'utf8').digest('hex');
        return line;
      });
      writeFileSync(file, `${rechained.join('\n')}\n`);
    };
    // Same digest as the runbook's step: the runbook's definition runs, never the journal's text.
    rmSync(path.join(dir, 'undone'));
    expect((await cli(['run', '--yes', '--var', 'pw=hunter2', runbook], { cwd: dir })).code).toBe(0);
    tamper();
    const same = await cli(['rollback', '--yes', '--var', 'pw=hunter2', runbook], { cwd: dir });
    expect(same.code, describeResult(same)).toBe(0);
    expect(readFileSync(path.join(dir, 'undone'), 'utf8')).toBe('hunter2');
    expect(existsSync(path.join(dir, 'PWNED'))).toBe(false);
    // Another digest too: the journal's text would run, and it holds masked values: it never runs, even trusted.
    expect((await cli(['run', '--yes', '--var', 'pw=hunter2', runbook], { cwd: dir })).code).toBe(0);
    tamper('sha256:0000');
    const refused = await cli(['rollback', '--yes', '--trust-journal', '--var', 'pw=hunter2', runbook], { cwd: dir });
    expect(refused.code, describeResult(refused)).toBe(3);
    expect(refused.stderr).toContain('the journaled definition of a differs from the runbook');
    expect(refused.stderr).toContain('holds masked secret values');
    expect(existsSync(path.join(dir, 'PWNED'))).toBe(false);
  });

  it('at a manual step, CI output (plain and --json) shows what it asks and the exact approve command', async (context) => {
    const dir = scratch(context);
    const gate = {
      id: 'gate',
      run: { manual: 'Check the replication dashboard: lag under 1s' },
      verify: null,
      rollback: 'none',
      irreversible: 'nothing to undo',
    };
    const runbook = writeLedgerRunbook(dir, [gate, {}]);
    const plain = await cli(['run', '--yes', runbook], { cwd: dir, env: cliEnv({ CI: 'true' }) });
    expect(plain.code, describeResult(plain)).toBe(0);
    expect(plain.stderr).toContain('It asks: Check the replication dashboard: lag under 1s');
    expect(plain.stderr).toContain(`"cutover approve ${runbook} gate"`);
    const json = await cli(['run', '--yes', '--json', runbook], { cwd: dir, env: cliEnv({ CI: 'true' }) });
    expect(json.code, describeResult(json)).toBe(0);
    const summary = JSON.parse(json.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
    expect(summary).toMatchObject({
      type: 'summary',
      version: 1,
      state: 'waiting_approval',
      step: 'gate',
      approve: `cutover approve ${runbook} gate`,
      instructions: 'Check the replication dashboard: lag under 1s',
    });
    expect(json.stderr).toContain('It asks: Check the replication dashboard: lag under 1s');
  });
});
