/**
 * The state model (journal/replay.ts) and "what happens next" (engine/next.ts), and the
 * defects of the issue "One migration state model", each as an in-process sequence of
 * commands on one journal: run, fail, crash, approve, roll back, edit, hand changes.
 */
import { describe, expect, it } from 'vitest';
import { buildStatus } from '../../src/cli/views/status.js';
import { buildPlan } from '../../src/engine/plan.js';
import { nonInteractiveOperator } from '../../src/engine/operator.js';
import type { BeforeStepChoice, Operator } from '../../src/engine/operator.js';
import { describeRefusal, plainHint, whatNext } from '../../src/engine/next.js';
import { withDiffs } from '../../src/engine/definition-diff.js';
import { previewRestores } from '../../src/engine/traffic-preview.js';
import { rollbackCandidates } from '../../src/engine/rollback.js';
import { runRunbook } from '../../src/engine/run.js';
import { buildReportModel } from '../../src/report/model.js';
import { formatSpan } from '../../src/report/format.js';
import { DNS } from '../helpers/fake-traffic.js';
import { MigrationWorld, dns, runbookFrom, shell } from '../helpers/migration-world.js';

const canary = () => runbookFrom([dns('dns-10', 90, 10), dns('dns-25', 75, 25), dns('dns-50', 50, 50), dns('dns-100', 0, 100)].join(''));

describe('run --until', () => {
  it('stops and says so when the --until step is already done, instead of running every remaining step (a CI retry)', async () => {
    const world = new MigrationWorld(canary());
    expect(await world.run({ until: 'dns-10' })).toMatchObject({ state: 'advanced', stepsRun: ['dns-10'], next: 'dns-25' });
    const before = world.events().length;

    const again = await world.run({ until: 'dns-10' });
    expect(again).toEqual({
      state: 'up_to_date',
      stepsRun: [],
      reason: 'nothing to do: --until dns-10 is already done; the next step is dns-25 ("cutover run --until dns-25 migration.yaml")',
    });
    expect(world.events().length, 'nothing journaled').toBe(before);
    expect(world.live()).toEqual({ onprem: 90, aws: 10 });
  });

  it('runs only the steps up to --until, and refuses an unknown step with a suggestion', async () => {
    const world = new MigrationWorld(canary());
    expect(await world.run({ until: 'dns-25' })).toMatchObject({ state: 'advanced', stepsRun: ['dns-10', 'dns-25'], next: 'dns-50' });
    expect(await world.run({ until: 'dns-5O' })).toEqual({
      state: 'refused',
      stepsRun: [],
      reason: '--until dns-5O: no such step (did you mean dns-50?); "cutover plan migration.yaml" lists the steps',
    });
    expect(world.live()).toEqual({ onprem: 75, aws: 25 });
  });
});

describe('plan, dry-run and status say what run does', () => {
  const cases: { name: string; setup: (world: MigrationWorld) => Promise<void>; refusal?: string; next?: string }[] = [
    { name: 'a fresh journal', setup: async () => {}, next: 'dns-10' },
    {
      name: 'a completed step edited since it ran',
      setup: async (world) => {
        await world.run({ until: 'dns-10' });
        world.runbook = runbookFrom([dns('dns-10', 85, 15), dns('dns-25', 75, 25), dns('dns-50', 50, 50), dns('dns-100', 0, 100)].join(''));
      },
      refusal: 'changed',
    },
    {
      name: 'a partly rolled back step',
      setup: async (world) => {
        await world.run({ until: 'dns-25' });
        world.crashNext = { op: 'restore', afterChange: false };
        expect(await world.rollback({ last: 1 })).toBe('crashed');
      },
      refusal: 'partly-rolled-back',
    },
    {
      name: 'a failed verify (onFailure: stop): run tries the step again',
      setup: async (world) => {
        world.failNextVerify = true;
        await world.run();
      },
      next: 'dns-10',
    },
    {
      name: 'an interrupted step',
      setup: async (world) => {
        world.crashNext = { op: 'apply', afterChange: true };
        expect(await world.run()).toBe('crashed');
      },
      next: 'dns-10',
    },
  ];
  for (const testCase of cases) {
    it(`agree after ${testCase.name}`, async () => {
      const world = new MigrationWorld(canary());
      await testCase.setup(world);
      const state = world.state();
      const now = world.clock.now().getTime();
      const next = whatNext(world.runbook.steps, state, {}, now);
      const plan = buildPlan(world.runbook, state, {}, now);
      const status = buildStatus(world.runbook, state, 'memory', now);
      expect(next.refusal?.kind).toBe(testCase.refusal);
      expect(plan.refusal?.kind).toBe(testCase.refusal);
      if (next.refusal) {
        // plan (and run) add the field-level diff of a changed step; status, from its outline, names the step and points to plan.
        expect(plan.refusal?.reason).toBe(describeRefusal(withDiffs(next.refusal, world.runbook, state), plainHint(world.runbook.file)));
        expect(status.nextAction).toBe(describeRefusal(next.refusal, plainHint(world.runbook.file)));
      }
      expect(plan.next).toBe(testCase.next);
      expect(status.next).toBe(testCase.next);
      // And run does exactly that.
      const before = world.events().length;
      const outcome = await world.run({ maxSteps: 1 });
      const started = world
        .events()
        .slice(before)
        .filter((e) => e.type === 'step.started' || e.type === 'step.succeeded');
      if (testCase.refusal) {
        expect(outcome).toMatchObject({ state: 'refused' });
        expect(started).toEqual([]);
      } else {
        expect(started[0]?.step).toBe(testCase.next);
      }
    });
  }
});

describe('rollback covers every step whose effect may be applied', () => {
  it('restores a traffic step whose verify failed after it changed traffic (onFailure: stop)', async () => {
    const world = new MigrationWorld(canary());
    await world.run({ until: 'dns-10' });
    world.failNextVerify = true;
    expect(await world.run()).toMatchObject({ state: 'failed', step: 'dns-25' });
    expect(world.live()).toEqual({ onprem: 75, aws: 25 });
    expect(rollbackCandidates(world.state()).map((c) => c.id)).toEqual(['dns-25', 'dns-10']);

    expect(await world.rollback()).toEqual({ state: 'rolled_back', steps: ['dns-25', 'dns-10'] });
    expect(world.live()).toEqual({ onprem: 100, aws: 0 });
  });

  it('restores a traffic step whose change went through but whose answer was lost, and one that was killed after its change', async () => {
    const world = new MigrationWorld(canary());
    world.traffic.faults.push({
      op: 'apply',
      afterChange: true,
      error: new (await import('../../src/actions/traffic/types.js')).TrafficError('ModifyListener: socket hang up'),
    });
    expect(await world.run()).toMatchObject({ state: 'failed', step: 'dns-10' });
    expect(world.live()).toEqual({ onprem: 90, aws: 10 });
    expect(await world.rollback()).toEqual({ state: 'rolled_back', steps: ['dns-10'] });
    expect(world.live()).toEqual({ onprem: 100, aws: 0 });

    world.crashNext = { op: 'apply', afterChange: true };
    expect(await world.run()).toBe('crashed');
    expect(world.state().steps.get('dns-10')?.state).toBe('running');
    expect(await world.rollback()).toEqual({ state: 'rolled_back', steps: ['dns-10'] });
    expect(world.live()).toEqual({ onprem: 100, aws: 0 });
  });

  it('asks about a failed shell step, whose effect is unknown: --failed-steps rollback runs its rollback, skip leaves it', async () => {
    const rb = runbookFrom([shell('deploy'), shell('migrate-db')].join(''));
    const world = new MigrationWorld(rb);
    world.failNextVerify = true;
    expect(await world.run()).toMatchObject({ state: 'failed', step: 'deploy' });
    expect(rollbackCandidates(world.state())).toMatchObject([{ id: 'deploy', uncertain: 'it failed in its verify' }]);
    expect(await world.rollback()).toEqual({ state: 'refused', reason: 'effect unknown: --failed-steps needed' });
    expect(await world.rollback({ failedSteps: 'skip' })).toEqual({ state: 'nothing_to_roll_back' });
    expect(world.ledger).toEqual(['apply deploy']);
    expect(await world.rollback({ failedSteps: 'rollback' })).toEqual({ state: 'rolled_back', steps: ['deploy'] });
    expect(world.ledger).toEqual(['apply deploy', 'undo deploy']);
  });

  it('leaves out a step that failed its precheck (nothing ran)', async () => {
    const rb = runbookFrom(shell('deploy', '    precheck: has ready\n'));
    const world = new MigrationWorld(rb);
    expect(await world.run()).toMatchObject({ state: 'failed', step: 'deploy' });
    expect(world.state().steps.get('deploy')).toMatchObject({ state: 'failed', effect: 'none', failedPhase: 'precheck' });
    expect(rollbackCandidates(world.state())).toEqual([]);
  });

  it.each([
    ['rollback-step', [], 'failed'],
    ['rollback-all', ['undo first'], 'rolled_back'],
  ])('onFailure: %s after a failed precheck never runs the rollback of the step that never ran', async (onFailure, undone, state) => {
    const rb = runbookFrom(shell('first') + shell('deploy', `    precheck: has ready\n    onFailure: ${onFailure}\n`));
    const world = new MigrationWorld(rb);
    const outcome = await world.run();
    expect(outcome).toMatchObject({ state, step: 'deploy' });
    expect(world.ledger).toEqual(['apply first', ...undone]);
    expect(world.events().some((e) => e.step === 'deploy' && e.type === 'rollback.started')).toBe(false);
    if (state === 'failed') expect((outcome as { reason: string }).reason).toContain('deploy never ran its action, so nothing was rolled back');
  });
});

describe('the drift guard', () => {
  it('stops a step when someone set the weights to its own target by hand: its capture would make the rollback a no-op', async () => {
    const world = new MigrationWorld(canary());
    await world.run({ until: 'dns-10' });
    world.handChange({ onprem: 75, aws: 25 });
    const outcome = await world.run({ until: 'dns-25' });
    expect(outcome).toMatchObject({ state: 'failed', step: 'dns-25' });
    expect((outcome as { reason: string }).reason).toContain('changed since step dns-10 (aws: journal says 10, live 25; onprem: journal says 90, live 75)');
    expect(world.state().steps.get('dns-25')?.restoreCapture).toBeUndefined();
  });

  it('in a new journal, stops before the first change when live weights already equal a later step (the migration is further along)', async () => {
    const world = new MigrationWorld(canary(), { onprem: 0, aws: 100 });
    const outcome = await world.run();
    expect(outcome).toMatchObject({ state: 'failed', step: 'dns-10' });
    expect((outcome as { reason: string }).reason).toContain('is already at the weights of the later step dns-100');
    expect(world.live()).toEqual({ onprem: 0, aws: 100 });
    expect(world.traffic.ops('apply')).toEqual([]);
  });

  it('a rollback the drift guard refused leaves the step as it was, so run can go forward once the hand change is undone', async () => {
    const world = new MigrationWorld(canary());
    await world.run({ until: 'dns-25' });
    world.handChange({ onprem: 60, aws: 40 });
    expect(await world.rollback({ last: 1 })).toMatchObject({ state: 'stopped', step: 'dns-25', steps: [] });
    expect(world.state().steps.get('dns-25')?.state).toBe('succeeded');
    expect(world.events().some((e) => e.type === 'rollback.started' || e.type === 'rollback.failed')).toBe(false);
    world.handChange({ onprem: 75, aws: 25 });
    expect(await world.run({ until: 'dns-50' })).toMatchObject({ state: 'advanced', stepsRun: ['dns-50'] });
  });
});

describe('a derived rollback puts back weights only', () => {
  it('a structural change (a set added by hand) stops it before anything is journaled, even with --force, and the preview says so', async () => {
    const world = new MigrationWorld(canary());
    await world.run({ until: 'dns-10' });
    world.traffic.structural = ['weighted set "canary" added'];
    const eventsBefore = world.events().length;
    const stopped = await world.rollback({ force: true });
    expect(stopped).toMatchObject({ state: 'stopped', step: 'dns-10' });
    expect((stopped as { reason: string }).reason).toContain(
      'changed since the step captured it in a way a rollback cannot undo (weighted set "canary" added)',
    );
    expect(
      world
        .events()
        .slice(eventsBefore)
        .map((e) => e.type),
    ).toEqual(['run.started', 'run.finished']);
    expect(world.traffic.ops('restore')).toEqual([]);
    const previews = await previewRestores(world.state(), [{ id: 'dns-10', order: [] }], world.traffic, new AbortController().signal, { checkDrift: true });
    expect(previews.get('dns-10')).toMatchObject({ structural: expect.stringContaining('weighted set "canary" added') });
  });
});

describe('rollback previews chain', () => {
  it('plan --rollback / rollback --dry-run show each restore starting from what the later one leaves', async () => {
    const world = new MigrationWorld(canary());
    await world.run({ until: 'dns-25' });
    const state = world.state();
    const previews = await previewRestores(
      state,
      [
        { id: 'dns-25', order: ['onprem', 'aws'] },
        { id: 'dns-10', order: ['onprem', 'aws'] },
      ],
      world.traffic,
      new AbortController().signal,
      { checkDrift: true },
    );
    expect(previews.get('dns-25')).toEqual({ label: 'app.example.com. A in ZAPP', change: 'onprem 75 -> 90, aws 25 -> 10' });
    expect(previews.get('dns-10')).toEqual({ label: 'app.example.com. A in ZAPP', change: 'onprem 90 -> 100, aws 10 -> 0' });
    expect(world.traffic.ops('reread')).toHaveLength(1);
  });
});

describe('approvals', () => {
  it('are used by one attempt: after a rollback of the approved step the next run waits for a new one', async () => {
    const rb = runbookFrom(
      [
        dns('dns-25', 75, 25),
        '  - id: go\n    run: { manual: "look at the dashboards" }\n    rollback: none\n    irreversible: an approval has nothing to undo\n',
        dns('dns-100', 0, 100),
      ].join(''),
    );
    const world = new MigrationWorld(rb);
    expect(await world.run()).toMatchObject({ state: 'waiting_approval', step: 'go' });
    await world.approve('go');
    expect(await world.run()).toMatchObject({ state: 'completed' });
    expect(world.state().approvals[0]?.usedBy).toMatchObject({ attempt: 1 });
    expect(await world.rollback({ to: 'dns-25' })).toMatchObject({ state: 'rolled_back', steps: ['dns-100', 'go'] });
    expect(await world.run()).toMatchObject({ state: 'waiting_approval', step: 'go' });
    expect(world.live()).toEqual({ onprem: 75, aws: 25 });
  });

  it('recorded but unused is revoked by a rollback that starts before it is used', async () => {
    const rb = runbookFrom(
      [dns('dns-25', 75, 25), '  - id: go\n    run: { manual: "look" }\n    rollback: none\n    irreversible: nothing to undo\n', dns('dns-100', 0, 100)].join(
        '',
      ),
    );
    const world = new MigrationWorld(rb);
    await world.run();
    await world.approve('go');
    await world.rollback();
    expect(world.state().approvals[0]?.revokedBy).toBeDefined();
    expect(await world.run()).toMatchObject({ state: 'waiting_approval', step: 'go' });
    expect(world.live()).toEqual({ onprem: 75, aws: 25 });
  });
});

describe('status and report agree', () => {
  it('on an interrupted step and on how durations are written', async () => {
    const world = new MigrationWorld(canary());
    await world.run({ until: 'dns-10' });
    world.clock.advance(1_704);
    world.crashNext = { op: 'apply', afterChange: false };
    expect(await world.run()).toBe('crashed');
    const state = world.state();
    const events = world.events();
    const status = buildStatus(world.runbook, state, 'memory', world.clock.now().getTime());
    const report = buildReportModel({ events, runbook: { name: world.runbook.name, steps: world.runbook.steps.map((s) => ({ id: s.id, digest: s.digest })) } });
    for (const row of status.steps) {
      const summary = report.steps.find((s) => s.id === row.id);
      expect(summary?.state, row.id).toBe(row.state);
      expect(summary?.durationMs, row.id).toBe(row.durationMs);
    }
    expect(formatSpan(1_704)).toBe('1.7s');
    expect(state.targets.get(DNS)?.unconfirmed).toBeDefined();
  });
});

describe('bake windows are watched until they close, the last step included', () => {
  const baked = () =>
    runbookFrom(
      [
        dns('dns-10', 90, 10, '    bake: 30m\n    watch: verify\n    onFailure: rollback-step\n'),
        dns('dns-100', 0, 100, '    bake: 30m\n    watch: verify\n    onFailure: rollback-step\n'),
      ].join(''),
    );

  it('--max-steps 1 that applies a baked step watches once and reports baking (exit 11), not advanced', async () => {
    const world = new MigrationWorld(baked());
    const outcome = await world.run({ maxSteps: 1 });
    expect(outcome).toMatchObject({ state: 'waiting_bake', step: 'dns-10', next: 'dns-100', stepsRun: ['dns-10'] });
    expect(
      world
        .events()
        .filter((e) => e.type === 'bake.watch')
        .map((e) => e.step),
    ).toEqual(['dns-10']);
  });

  it('after the last step, each run evaluates its watch while the window is open, and a failure rolls back by itself', async () => {
    const world = new MigrationWorld(baked());
    expect(await world.run({ maxSteps: 1 })).toMatchObject({ state: 'waiting_bake', step: 'dns-10' });
    world.clock.advance(31 * 60_000);
    const last = await world.run();
    expect(last).toMatchObject({ state: 'waiting_bake', step: 'dns-100', stepsRun: ['dns-100'] });
    expect(last).not.toHaveProperty('next');
    expect(buildStatus(world.runbook, world.state(), 'memory', world.clock.now().getTime()).nextAction).toContain('dns-100 is baking until');

    world.clock.advance(10 * 60_000);
    world.failNextVerify = true;
    const watched = await world.run();
    expect(watched).toMatchObject({ state: 'rolled_back', steps: ['dns-100'] });
    expect(world.live()).toEqual({ onprem: 90, aws: 10 });

    // A failed watch stops every later run until someone looks, and plan/status say the same.
    const state = world.state();
    expect(whatNext(world.runbook.steps, state, {}, world.clock.now().getTime()).refusal?.kind).toBe('watch-failed');
    expect(buildPlan(world.runbook, state, {}, world.clock.now().getTime()).refusal?.kind).toBe('watch-failed');
    expect(await world.run()).toMatchObject({ state: 'failed', step: 'dns-100' });
  });

  it('completes once the last bake has passed, with a passing watch', async () => {
    const world = new MigrationWorld(baked());
    await world.run({ maxSteps: 1 });
    world.clock.advance(31 * 60_000);
    await world.run();
    world.clock.advance(31 * 60_000);
    expect(await world.run()).toEqual({ state: 'completed', stepsRun: [] });
  });
});

describe('skipping a manual go/no-go', () => {
  const GATE = '  - id: go\n    run: { manual: "look at the dashboards" }\n    rollback: none\n    irreversible: nothing to undo\n    confirm: true\n';
  const operator = (answers: BeforeStepChoice[], confirmations: ({ note: string } | undefined)[]): Operator => ({
    ...nonInteractiveOperator(),
    interactive: true,
    name: 'alice@laptop',
    beforeStep: async () => answers.shift() ?? 'quit',
    confirmSkip: async () => confirmations.shift(),
    manual: async () => 'not-yet',
  });

  it('needs the step id typed and a reason, both journaled; an unconfirmed skip asks again', async () => {
    const world = new MigrationWorld(runbookFrom([GATE, dns('dns-100', 0, 100)].join('')));
    const outcome = await world.run({ until: 'go' }, operator(['skip', 'skip'], [undefined, { note: 'change freeze lifted by the CAB' }]));
    expect(outcome).toMatchObject({ state: 'advanced', next: 'dns-100', stepsRun: [] });
    const events = world.events();
    expect(events.filter((e) => e.type === 'decision').map((e) => e.data)).toEqual([
      { prompt: 'skip this manual step? (its id typed to confirm)', choice: 'skip', note: 'change freeze lifted by the CAB' },
    ]);
    expect(events.find((e) => e.type === 'step.skipped')?.data).toEqual({ reason: 'skipped by the operator: change freeze lifted by the CAB' });
  });

  it('is impossible with skippable: false', async () => {
    const world = new MigrationWorld(runbookFrom([`${GATE}    skippable: false\n`, dns('dns-100', 0, 100)].join('')));
    const outcome = await world.run({}, operator(['skip', 'quit'], [{ note: 'should not be asked' }]));
    expect(outcome).toMatchObject({ state: 'advanced', next: 'go' });
    expect(world.events().some((e) => e.type === 'step.skipped')).toBe(false);
    expect(world.live()).toEqual({ onprem: 100, aws: 0 });
  });
});

describe('resume after cutover was killed during a traffic step', () => {
  const cases = [
    { name: 'after its change reached AWS: recovered by its verify, not sent again', afterChange: true, applies: 1, recovered: true },
    { name: 'before its change was sent: run again (the one change reaches AWS on resume)', afterChange: false, applies: 1, recovered: false },
  ];
  for (const testCase of cases) {
    it(testCase.name, async () => {
      const world = new MigrationWorld(canary());
      world.crashNext = { op: 'apply', afterChange: testCase.afterChange };
      expect(await world.run({ until: 'dns-10' })).toBe('crashed');
      expect(world.state().steps.get('dns-10')?.state).toBe('running');
      const resumed = await world.run({ until: 'dns-10' });
      expect(resumed).toMatchObject({ state: 'advanced', stepsRun: ['dns-10'], next: 'dns-25' });
      expect(world.traffic.ops('apply')).toHaveLength(testCase.applies);
      const success = world
        .events()
        .filter((e) => e.type === 'step.succeeded')
        .at(-1);
      expect(success?.data).toMatchObject(testCase.recovered ? { recovered: true } : { durationMs: expect.any(Number) });
      expect(world.live()).toEqual({ onprem: 90, aws: 10 });
    });
  }
});

describe('waiting out a bake at a terminal', () => {
  it('shows the latest watch result and when the next check is, not only the time left', async () => {
    const world = new MigrationWorld(runbookFrom([dns('dns-10', 90, 10, '    bake: 3m\n    watch: verify\n'), dns('dns-100', 0, 100)].join('')));
    const ctx = await world.context();
    const lines: string[] = [];
    ctx.reporter = { notify: (notice) => (notice.kind === 'info' ? lines.push(notice.message) : undefined) };
    expect(await runRunbook(ctx, { command: 'run', bake: 'wait' })).toMatchObject({ state: 'completed', stepsRun: ['dns-10', 'dns-100'] });
    expect(lines[0]).toMatch(/^baking: 3m left before dns-100; watch ok at 00:00:00Z \(passed\), next check in 1m$/);
    expect(world.events().filter((e) => e.type === 'bake.watch')).toHaveLength(4);
  });
});

describe('the JSON summary', () => {
  it('has a version, and a reason whenever the run did not end well', async () => {
    const { summaryObject } = await import('../../src/cli/handlers/run.js');
    expect(summaryObject({ state: 'interrupted', stepsRun: [], step: 'dns-10', signal: 'SIGTERM' }, 143)).toEqual({
      type: 'summary',
      version: 1,
      state: 'interrupted',
      stepsRun: [],
      step: 'dns-10',
      signal: 'SIGTERM',
      reason: 'interrupted by SIGTERM',
      exitCode: 143,
    });
    const world = new MigrationWorld(runbookFrom(dns('dns-10', 90, 10, '    onFailure: rollback-step\n')));
    world.failNextVerify = true;
    const rolled = await world.run();
    expect(summaryObject(rolled as never, 1)).toMatchObject({
      version: 1,
      state: 'rolled_back',
      steps: ['dns-10'],
      step: 'dns-10',
      reason: 'verify failed: verify failed',
    });
    expect(summaryObject({ state: 'completed', stepsRun: [] }, 0)).not.toHaveProperty('reason');
  });
});

describe("a CI retry of run --until during that step's bake", () => {
  it('still evaluates the watch (and reports baking), then does nothing once the window has closed', async () => {
    const world = new MigrationWorld(
      runbookFrom([dns('dns-10', 90, 10, '    bake: 30m\n    watch: verify\n    onFailure: rollback-step\n'), dns('dns-100', 0, 100)].join('')),
    );
    expect(await world.run({ until: 'dns-10' })).toMatchObject({ state: 'waiting_bake', step: 'dns-10', next: 'dns-100' });
    world.clock.advance(10 * 60_000);
    world.failNextVerify = true;
    expect(await world.run({ until: 'dns-10' })).toMatchObject({ state: 'rolled_back', steps: ['dns-10'] });
    expect(world.live()).toEqual({ onprem: 100, aws: 0 });
    expect(
      world
        .events()
        .filter((e) => e.type === 'bake.watch')
        .map((e) => e.data.ok),
    ).toEqual([true, false]);
  });
});
