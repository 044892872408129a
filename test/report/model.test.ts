/** The report model, built from journals written the way cutover writes them (openJournal on a memory store). */
import { describe, expect, it } from 'vitest';
import { openJournal } from '../../src/journal/journal.js';
import { hashLine } from '../../src/journal/line.js';
import { MemoryJournalStore } from '../../src/journal/memory-store.js';
import { buildReportModel } from '../../src/report/model.js';
import type { ReportModel } from '../../src/report/model.js';
import { renderHtml } from '../../src/report/html.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { fakeClock } from '../../src/support/clock.js';
import { createMasker } from '../../src/support/mask.js';
import {
  ALICE,
  AWS_TG,
  BOB,
  CI_JOB,
  JournalScript,
  LB_TARGET,
  ONPREM_TG,
  R53_TARGET,
  TRAFFIC_STEPS,
  captured,
  decision,
  passedPhases,
  r53Left,
  rehearsed,
  rollbackStarted,
  rollbackSucceeded,
  route53Step,
  runFinished,
  runStarted,
  shellStep,
  stepFailed,
  stepStarted,
  stepSucceeded,
  trafficMigration,
} from './fixtures.js';

const runbookOf = (ids: string[], extra: { digests?: Record<string, string> } = {}) => ({
  name: 'web',
  description: 'Move the web tier',
  file: 'web.yaml',
  steps: ids.map((id) => ({ id, title: `Step ${id}`, digest: extra.digests?.[id] ?? `sha256:${id}-v1` })),
});

async function modelOf(j: JournalScript, ids: string[], extra: Partial<Parameters<typeof buildReportModel>[0]> = {}): Promise<ReportModel> {
  return buildReportModel({ events: await j.events(), runbook: runbookOf(ids), journalLocation: 'memory', ...extra });
}

const kinds = (model: ReportModel, step?: string) => model.timeline.filter((i) => i.step === step).map((i) => `${i.kind}:${i.outcome}`);

describe('report model', () => {
  it('a completed run: steps in runbook order, timeline with who and when, totals', async () => {
    const j = new JournalScript();
    await j.append(runStarted());
    await j.after(1_000).append(stepStarted(shellStep('a')));
    await j.after(5_000).append(stepSucceeded('a', 5_000));
    await j.after(1_000).append(stepStarted(shellStep('b')));
    await j.after(2_000).append(stepSucceeded('b', 2_000));
    await j.after(100).append(runFinished('completed'));
    const model = await modelOf(j, ['a', 'b']);

    expect(model.outcome).toBe('completed');
    expect(model.lastRunOutcome).toBe('completed');
    expect(model.runbook).toMatchObject({ name: 'web', description: 'Move the web tier', file: 'web.yaml' });
    expect(model.runbook.definitionDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(model.steps.map((s) => [s.id, s.state, s.attempts, s.clean])).toEqual([
      ['a', 'succeeded', 1, true],
      ['b', 'succeeded', 1, true],
    ]);
    expect(model.timeline.map((i) => `${i.kind}:${i.step ?? '-'}:${i.outcome}`)).toEqual(['run:-:succeeded', 'step:a:succeeded', 'step:b:succeeded']);
    const a = model.timeline.find((i) => i.step === 'a');
    expect(a).toMatchObject({ start: '2026-03-02T09:00:01.000Z', end: '2026-03-02T09:00:06.000Z', durationMs: 5_000, by: 'alice@laptop' });
    expect(model.totals).toMatchObject({
      durationMs: 9_100,
      busyMs: 7_000,
      steps: 2,
      cleanSteps: 2,
      stepRuns: 2,
      retries: 0,
      failures: 0,
      rollbacks: 0,
      runs: 1,
      operators: ['alice@laptop'],
    });
    expect(model.runs).toEqual([expect.objectContaining({ command: 'run', by: 'alice@laptop', outcome: 'completed', finishedAt: '2026-03-02T09:00:09.100Z' })]);
  });

  it('records the chain head: the sha256 of the last line', async () => {
    const j = new JournalScript();
    await j.append(runStarted(), stepStarted(shellStep('a')), stepSucceeded('a', 10));
    const model = await modelOf(j, ['a']);
    const lines = j.text.trimEnd().split('\n');
    expect(model.journal.head).toBe(hashLine(lines.at(-1) as string));
    expect(model.journal).toMatchObject({ events: lines.length, lastSeq: lines.length, location: 'memory' });
  });

  it('is serialisable: JSON round trip gives the same model', async () => {
    const j = await trafficMigration();
    const model = await modelOf(j, TRAFFIC_STEPS, { generatedAt: '2026-03-04T10:00:00Z' });
    expect(JSON.parse(JSON.stringify(model))).toEqual(model);
    expect(model.generatedAt).toBe('2026-03-04T10:00:00Z');
  });

  describe('interrupted journals', () => {
    it('a journal that ends mid-step: the step and its run are open, drawn up to now, outcome in progress', async () => {
      const j = new JournalScript();
      await j.append(runStarted());
      await j.after(1_000).append(stepStarted(shellStep('a')));
      await j.after(2_000).append(stepSucceeded('a', 2_000));
      await j.after(1_000).append(stepStarted(shellStep('b')));
      await j.after(1_000).append({ type: 'step.spawned', step: 'b', attempt: 1, data: { pid: 7, pgid: 7, host: 'laptop', phase: 'action' } });
      const model = await modelOf(j, ['a', 'b', 'c'], { now: '2026-03-02T09:10:00Z' });

      expect(model.outcome).toBe('in-progress');
      expect(model.steps.map((s) => s.state)).toEqual(['succeeded', 'running', 'pending']);
      const open = model.timeline.find((i) => i.step === 'b');
      expect(open).toMatchObject({ kind: 'step', outcome: 'unfinished', open: true, start: '2026-03-02T09:00:04.000Z', end: '2026-03-02T09:10:00.000Z' });
      expect(model.timeline.find((i) => i.kind === 'run')).toMatchObject({ outcome: 'unfinished', open: true });
      expect(model.runs[0]?.outcome).toBeUndefined();
    });

    it('Ctrl-C: the step is interrupted with its signal, and the run says so', async () => {
      const j = new JournalScript();
      await j.append(runStarted());
      await j.after(1_000).append(stepStarted(shellStep('a')));
      await j.after(3_000).append({ type: 'step.interrupted', step: 'a', attempt: 1, data: { signal: 'SIGINT', reason: 'interrupted by SIGINT' } });
      await j.after(10).append(runFinished('interrupted'));
      const model = await modelOf(j, ['a', 'b']);

      expect(model.outcome).toBe('interrupted');
      expect(kinds(model, 'a')).toEqual(['step:interrupted']);
      expect(model.failures).toEqual([expect.objectContaining({ kind: 'interrupted', step: 'a', signal: 'SIGINT', reason: 'interrupted by SIGINT' })]);
      expect(model.failures[0]?.next).toBeUndefined();
      expect(model.timeline.find((i) => i.kind === 'run')).toMatchObject({ outcome: 'interrupted', label: 'run: interrupted' });
      expect(model.totals.interruptions).toBe(1);
    });

    it('killed, then resumed by someone else: the killed run and step end at its last event; the recovery is a point', async () => {
      const j = new JournalScript();
      await j.as(ALICE).append(runStarted());
      await j.after(1_000).append(stepStarted(shellStep('a')));
      await j.after(2_000).append({ type: 'step.spawned', step: 'a', attempt: 1, data: { pid: 7, pgid: 7, host: 'laptop', phase: 'action' } });
      // (killed) an hour later, bob resumes
      await j.as(BOB).after(3_600_000).append(runStarted('resume'));
      await j.after(100).append({
        type: 'step.interrupted',
        step: 'a',
        attempt: 1,
        data: { reason: 'found unfinished on resume: cutover stopped while the step was running' },
      });
      await j.after(900).append(stepSucceeded('a', 0, 1, { recovered: true }));
      await j.after(100).append(runFinished('completed', 'resume'));
      const model = await modelOf(j, ['a']);

      expect(model.outcome).toBe('completed');
      const [killed, recovered] = model.timeline.filter((i) => i.step === 'a');
      expect(killed).toMatchObject({ outcome: 'interrupted', start: '2026-03-02T09:00:01.000Z', end: '2026-03-02T09:00:03.000Z', by: 'alice@laptop' });
      expect(recovered).toMatchObject({
        outcome: 'succeeded',
        start: '2026-03-02T10:00:04.000Z',
        end: '2026-03-02T10:00:04.000Z',
        by: 'bob@jump-host',
        detail: 'recovered on resume: its verify passed',
      });
      const [first, second] = model.timeline.filter((i) => i.kind === 'run');
      expect(first).toMatchObject({ outcome: 'unfinished', end: '2026-03-02T09:00:03.000Z', by: 'alice@laptop' });
      expect(second).toMatchObject({ label: 'resume: completed', by: 'bob@jump-host' });
      expect(model.failures).toEqual([
        expect.objectContaining({ kind: 'interrupted', by: 'bob@jump-host', next: expect.objectContaining({ what: 'recovered', by: 'bob@jump-host' }) }),
      ]);
      expect(model.steps[0]).toMatchObject({ state: 'succeeded', attempts: 1, clean: false, operators: ['alice@laptop', 'bob@jump-host'] });
      expect(model.steps[0]?.durationMs).toBeUndefined();
    });

    it('an interrupted rollback leaves the step rolling back', async () => {
      const j = new JournalScript();
      await j.append(stepStarted(shellStep('a')), stepSucceeded('a', 10), runStarted('rollback'), rollbackStarted('a'));
      await j.after(500).append({ type: 'step.interrupted', step: 'a', attempt: 1, data: { signal: 'SIGTERM', reason: 'interrupted by SIGTERM' } });
      const model = await modelOf(j, ['a']);
      expect(model.steps[0]?.state).toBe('rolling-back');
      expect(model.outcome).toBe('in-progress');
      expect(kinds(model, 'a')).toEqual(['step:succeeded', 'rollback:interrupted']);
    });
  });

  describe('rolled back journals', () => {
    it('a full rollback: newest first, each with its duration and reason; outcome rolled back', async () => {
      const j = new JournalScript();
      await j.append(runStarted());
      await j.after(1_000).append(stepStarted(shellStep('a')), stepSucceeded('a', 1_000));
      await j.after(1_000).append(stepStarted(shellStep('b')), stepSucceeded('b', 1_000), runFinished('completed'));
      await j.after(60_000).append(runStarted('rollback'));
      await j.after(100).append(rollbackStarted('b'));
      await j.after(4_000).append(rollbackSucceeded('b', 4_000));
      await j.after(100).append(rollbackStarted('a'));
      await j.after(2_000).append(rollbackSucceeded('a', 2_000));
      await j.after(100).append(runFinished('rolled_back', 'rollback'));
      const model = await modelOf(j, ['a', 'b']);

      expect(model.outcome).toBe('rolled-back');
      expect(model.steps.map((s) => [s.id, s.state, s.rollbacks, s.clean])).toEqual([
        ['a', 'rolled-back', 1, false],
        ['b', 'rolled-back', 1, false],
      ]);
      const rollbacks = model.timeline.filter((i) => i.kind === 'rollback');
      expect(rollbacks.map((r) => [r.step, r.durationMs, r.outcome])).toEqual([
        ['b', 4_000, 'succeeded'],
        ['a', 2_000, 'succeeded'],
      ]);
      expect(rollbacks[0]?.label).toBe('rollback: succeeded (rollback requested)');
      expect(model.totals).toMatchObject({ rollbacks: 2, rollbacksFailed: 0, cleanSteps: 0 });
      expect(model.runs.map((r) => [r.command, r.outcome])).toEqual([
        ['run', 'completed'],
        ['rollback', 'rolled_back'],
      ]);
    });

    it('a failed rollback: outcome rollback-failed, the failure with its tail, then retried', async () => {
      const j = new JournalScript();
      await j.append(stepStarted(shellStep('a')), stepSucceeded('a', 10), rollbackStarted('a'));
      await j.after(1_000).append({
        type: 'rollback.failed',
        step: 'a',
        attempt: 1,
        data: { phase: 'verify', reason: 'rollback verify failed: still there', tail: ['still there'] },
      });
      let model = await modelOf(j, ['a']);
      expect(model.outcome).toBe('rollback-failed');
      expect(model.failures).toEqual([expect.objectContaining({ kind: 'rollback', phase: 'rollback-verify', tail: ['still there'] })]);
      expect(model.failures[0]?.next).toBeUndefined();

      await j
        .as(BOB)
        .after(60_000)
        .append(rollbackStarted('a', 'rollback requested', 2));
      await j.after(1_000).append(rollbackSucceeded('a', 1_000, 2));
      model = await modelOf(j, ['a']);
      expect(model.outcome).toBe('rolled-back');
      expect(model.failures[0]?.next).toMatchObject({ what: 'rolled-back', by: 'bob@jump-host', outcome: 'succeeded' });
      expect(kinds(model, 'a')).toEqual(['step:succeeded', 'rollback:failed', 'rollback:succeeded']);
    });

    it('a bake cut short by a rollback ends at the rollback', async () => {
      const j = new JournalScript();
      const baking = shellStep('a', { bakeMs: 30 * 60_000 });
      await j.append(stepStarted(baking));
      await j.after(1_000).append(stepSucceeded('a', 1_000));
      await j.after(5 * 60_000).append(rollbackStarted('a'), rollbackSucceeded('a', 0));
      const model = await modelOf(j, ['a']);
      const bake = model.timeline.find((i) => i.kind === 'bake');
      expect(bake).toMatchObject({ outcome: 'cut-short', start: '2026-03-02T09:00:01.000Z', end: '2026-03-02T09:05:01.000Z' });
    });
  });

  it('multi-operator: every item says who, operators per step and overall, approvals marked used', async () => {
    const j = await trafficMigration();
    const model = await modelOf(j, TRAFFIC_STEPS);

    expect(model.totals.operators).toEqual(['alice@laptop', 'bob@jump-host', 'runner@ci-7 (ci job 4711)']);
    const step = (id: string) => model.steps.find((s) => s.id === id);
    expect(step('approve-db')?.operators).toEqual(['bob@jump-host', 'alice@laptop']);
    expect(step('dns-50')?.operators).toEqual(['runner@ci-7 (ci job 4711)', 'bob@jump-host']);
    expect(model.approvals).toEqual([expect.objectContaining({ step: 'approve-db', by: 'bob@jump-host', note: 'lag 0.2s for 10 minutes', used: true })]);
    expect(model.timeline.find((i) => i.kind === 'approval')).toMatchObject({ by: 'bob@jump-host', step: 'approve-db', detail: 'lag 0.2s for 10 minutes' });
    expect(model.decisions.map((d) => [d.by, d.step, d.choice])).toEqual([
      ['alice@laptop', 'deploy-aws', 'retry'],
      ['alice@laptop', 'approve-db', 'done'],
      ['runner@ci-7 (ci job 4711)', 'dns-50', 'force'],
      ['bob@jump-host', 'dns-50', 'rollback-step'],
    ]);
    expect(model.decisions[2]?.note).toBe('--force');
    // The CI job's run was killed; bob's resume ended it.
    expect(model.runs.map((r) => [r.command, r.by, r.outcome ?? 'unfinished'])).toEqual([
      ['run', 'alice@laptop', 'waiting_approval'],
      ['run', 'alice@laptop', 'advanced'],
      ['run', 'runner@ci-7 (ci job 4711)', 'unfinished'],
      ['resume', 'bob@jump-host', 'rolled_back'],
    ]);
    expect(model.timeline.filter((i) => i.kind === 'run').map((i) => i.outcome)).toEqual(['waiting', 'succeeded', 'unfinished', 'succeeded']);
    expect(model.timeline.every((i) => i.by !== '')).toBe(true);
    // Every state counted; dns-100 never ran.
    expect(model.totals.byState).toEqual({ succeeded: 4, 'rolled-back': 1, pending: 1 });
    expect(model.outcome).toBe('partial');
  });

  it("failures and retries: the tail, the operator's choice and the retry that followed", async () => {
    const j = await trafficMigration();
    const model = await modelOf(j, TRAFFIC_STEPS);
    const deploy = model.failures.find((f) => f.step === 'deploy-aws');
    expect(deploy).toMatchObject({
      kind: 'step',
      attempt: 1,
      phase: 'action',
      reason: 'exited with code 1',
      exitCode: 1,
      tail: ['applying k8s/app.yaml', 'error: deployment "app" exceeded its progress deadline', 'password=***'],
      decisions: [{ ts: '2026-03-02T09:02:17.000Z', by: 'alice@laptop', choice: 'retry' }],
      next: { what: 'retried', attempt: 2, outcome: 'succeeded', by: 'alice@laptop', ts: '2026-03-02T09:02:18.000Z' },
    });
    expect(model.steps.find((s) => s.id === 'deploy-aws')).toMatchObject({ attempts: 2, failures: 1, clean: false, durationMs: 130_000 });
    expect(model.totals).toMatchObject({ retries: 1, failures: 1, watchesFailed: 1, interruptions: 1, cleanSteps: 3 });
    const watch = model.failures.find((f) => f.kind === 'watch');
    expect(watch).toMatchObject({ step: 'dns-50', reason: 'healthz 14/20 (70% < 95%)', next: { what: 'rolled-back', outcome: 'succeeded' } });
    expect(model.timeline.find((i) => i.kind === 'bake' && i.step === 'dns-50')).toMatchObject({ outcome: 'watch-failed', end: '2026-03-03T08:42:04.600Z' });
    expect(model.timeline.find((i) => i.kind === 'bake' && i.step === 'dns-10')).toMatchObject({ outcome: 'passed', durationMs: 30 * 60_000 });
    expect(model.timeline.filter((i) => i.kind === 'watch').map((i) => i.outcome)).toEqual(['ok', 'ok', 'failed']);
  });

  it('traffic: a series per target, before (captured) / after (succeeded) / restored (rollback), with shares', async () => {
    const j = await trafficMigration();
    const model = await modelOf(j, TRAFFIC_STEPS);
    expect(model.traffic.map((s) => [s.target, s.kind, s.steps])).toEqual([
      [R53_TARGET, 'route53', ['dns-10', 'dns-50']],
      [LB_TARGET, 'elbv2', ['lb-25']],
    ]);
    const dns = model.traffic[0];
    expect(dns?.keys).toEqual([
      { key: 'onprem', name: 'onprem' },
      { key: 'aws', name: 'aws' },
    ]);
    expect(dns?.points.map((p) => [p.step, p.phase, p.weights.onprem, p.weights.aws, p.by])).toEqual([
      ['dns-10', 'before', 100, 0, 'alice@laptop'],
      ['dns-10', 'after', 90, 10, 'alice@laptop'],
      ['dns-50', 'before', 80, 20, 'runner@ci-7 (ci job 4711)'],
      ['dns-50', 'after', 50, 50, 'bob@jump-host'],
      ['dns-50', 'restored', 80, 20, 'bob@jump-host'],
    ]);
    expect(dns?.points[3]?.recovered).toBe(true);
    expect(dns?.points[1]?.shares).toEqual({ onprem: 90, aws: 10 });
    // ELBv2: keyed by target group ARN, named from the capture.
    const lb = model.traffic[1];
    expect(lb?.keys).toEqual([
      { key: ONPREM_TG, name: 'onprem' },
      { key: AWS_TG, name: 'aws' },
    ]);
    expect(lb?.points.map((p) => [p.phase, p.shares[ONPREM_TG], p.shares[AWS_TG]])).toEqual([
      ['before', 100, 0],
      ['after', 75, 25],
    ]);
    expect(model.totals).toMatchObject({ trafficChanges: 3, trafficRestores: 1 });
  });

  it('traffic: shares of unequal weights, and Route 53 all-zero weights (answered equally)', async () => {
    const j = new JournalScript();
    await j.append(
      stepStarted(route53Step('x', { a: 0, b: 0 })),
      captured('x', { a: 3, b: 1 }),
      stepSucceeded('x', 10, 1, { traffic: r53Left({ a: 0, b: 0 }) }),
    );
    const model = await modelOf(j, ['x']);
    const [before, after] = model.traffic[0]?.points ?? [];
    expect(before?.shares).toEqual({ a: 75, b: 25 });
    expect(after).toMatchObject({ allZero: true, shares: { a: 50, b: 50 } });
  });

  it('rehearsal evidence: the newest rehearsal per step, compared with the definition that ran', async () => {
    const j = new JournalScript();
    await j.append(stepStarted(shellStep('a')), stepSucceeded('a', 10), stepStarted(shellStep('b', { digest: 'sha256:b-v2' })), stepSucceeded('b', 10));
    const r = new JournalScript('web', '2026-02-20T10:00:00Z', { location: 'memory:rehearsal' });
    await r.as(CI_JOB).append(runStarted('rehearse'));
    await r
      .after(1_000)
      .append(rehearsed('a', 'sha256:a-v1', 'failed', { forward: { status: 'failed', durationMs: 10, reason: 'exit 1' } }, 'the action failed'));
    await r.after(60_000).append(rehearsed('a', 'sha256:a-v1', 'passed', passedPhases));
    await r.after(1_000).append(rehearsed('b', 'sha256:b-v1', 'rollback-unverified', passedPhases));
    const model = await modelOf(j, ['a', 'b', 'c'], { rehearsalEvents: await r.events(), rehearsalLocation: 'memory:rehearsal' });

    expect(model.rehearsal).toMatchObject({ location: 'memory:rehearsal', events: 5 });
    expect(model.rehearsal?.steps.map((e) => [e.step, e.verdict, e.definition, e.history.length])).toEqual([
      ['a', 'passed', 'same', 2],
      ['b', 'rollback-unverified', 'different', 1],
    ]);
    expect(model.steps.find((s) => s.id === 'a')?.rehearsal).toMatchObject({ by: 'runner@ci-7 (ci job 4711)', phases: passedPhases });
    expect(model.steps.find((s) => s.id === 'c')?.rehearsal).toBeUndefined();
    // Without a rehearsal journal there is no rehearsal section at all.
    expect((await modelOf(j, ['a'])).rehearsal).toBeUndefined();
  });

  it('a step that ran with another definition than the runbook has now is flagged; one gone from the runbook noted', async () => {
    const j = new JournalScript();
    await j.append(stepStarted(shellStep('a')), stepSucceeded('a', 10), stepStarted(shellStep('old')), stepSucceeded('old', 10));
    const model = buildReportModel({ events: await j.events(), runbook: runbookOf(['a'], { digests: { a: 'sha256:a-v2' } }) });
    expect(model.steps.map((s) => [s.id, s.changed, s.inRunbook])).toEqual([
      ['a', true, true],
      ['old', false, false],
    ]);
    expect(model.notes.join('\n')).toContain('Step old is in the journal but no longer in the runbook');
    expect(model.totals.steps).toBe(1);
  });

  it('works from the journal alone (no runbook): steps in first-seen order, name from journal.created', async () => {
    const j = new JournalScript('payments');
    await j.append(stepStarted(shellStep('b')), stepSucceeded('b', 10), stepStarted(shellStep('a')));
    const model = buildReportModel({ events: await j.events() });
    expect(model.runbook.name).toBe('payments');
    expect(model.steps.map((s) => s.id)).toEqual(['b', 'a']);
    expect(model.steps[0]).toMatchObject({ title: 'Step b', action: './migrate.sh b', actionKind: 'shell' });
  });

  it('an empty journal: not started, no items', () => {
    const model = buildReportModel({ events: [], runbook: runbookOf(['a']) });
    expect(model.outcome).toBe('not-started');
    expect(model.timeline).toEqual([]);
    expect(model.totals.durationMs).toBe(0);
    expect(model.steps.map((s) => s.state)).toEqual(['pending']);
  });

  it('masked secrets stay masked: the journal holds ***, and so do the model, the HTML and the Markdown', async () => {
    const secret = 'hunter2-s3cr3t';
    const j = new JournalScript('web', '2026-03-02T09:00:00Z', { secrets: [secret] });
    await j.append(stepStarted(shellStep('a', { title: `Log in with ${secret}` })));
    await j.after(1_000).append(stepFailed('a', `psql: password ${secret} rejected`, 1, [`connecting with PGPASSWORD=${secret}`]));
    await j.append(decision('a', 'step failed (action): what now?', 'abort', `token ${secret}`));
    expect(j.text).not.toContain(secret);
    const model = await modelOf(j, ['a']);
    const outputs = [JSON.stringify(model), renderHtml(model), renderMarkdown(model)];
    for (const text of outputs) {
      expect(text).not.toContain(secret);
      expect(text).toContain('***');
    }
    expect(model.failures[0]).toMatchObject({ reason: 'psql: password *** rejected', tail: ['connecting with PGPASSWORD=***'] });
  });

  it('an S3 lease taken over from a killed command is listed and noted', async () => {
    const j = new JournalScript();
    await j.as(CI_JOB).append(runStarted(), stepStarted(shellStep('a')));
    await j
      .as(BOB)
      .after(300_000)
      .append({
        type: 'lock.takeover',
        data: {
          lock: 's3://acme/web.journal.jsonl.lock',
          previousHolder: { user: 'runner', host: 'ci-7', pid: 303, command: 'run', since: '2026-03-02T09:00:00.000Z', ci: 'ci job 4711' },
          expiredAt: '2026-03-02T09:02:00.000Z',
        },
      });
    await j.append(runStarted('resume'));
    const model = await modelOf(j, ['a']);
    expect(model.lockTakeovers).toEqual([
      {
        seq: 4,
        ts: '2026-03-02T09:05:00.000Z',
        by: 'bob@jump-host',
        lock: 's3://acme/web.journal.jsonl.lock',
        previousHolder: 'runner@ci-7 (ci job 4711), pid 303, run since 2026-03-02T09:00:00.000Z',
        expiredAt: '2026-03-02T09:02:00.000Z',
      },
    ]);
    expect(model.notes[0]).toContain('bob@jump-host took over the expired lease of the journal held by runner@ci-7 (ci job 4711)');
    // The killed command's run and step end at its last event.
    expect(model.timeline.find((i) => i.kind === 'step')).toMatchObject({ outcome: 'interrupted', end: '2026-03-02T09:00:00.000Z' });
  });

  it('a repaired journal (torn line cut off) is noted', async () => {
    const j = new JournalScript();
    await j.append(stepStarted(shellStep('a')));
    const torn = `${j.text}{"v":1,"seq":3,"ts":"2026-`;
    // Reopened with the torn text: the next append cuts it off and journals journal.repaired.
    const journal = await openJournal(new MemoryJournalStore(torn), {
      runbook: { name: 'web', file: 'web.yaml' },
      identity: ALICE,
      masker: createMasker([]),
      clock: fakeClock(new Date('2026-03-02T09:05:00Z')),
    });
    await journal.append(stepSucceeded('a', 10));
    const model = buildReportModel({ events: journal.events });
    expect(model.journal.repairs).toEqual([expect.objectContaining({ line: 3 })]);
    expect(model.notes[0]).toMatch(/Line 3 of the journal was cut off mid-write/);
  });
});
