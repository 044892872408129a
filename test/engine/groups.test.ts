/**
 * Groups in the engine, in-process: the expansion is one flat, ordered list of steps, so a
 * group runs item after item, a rollback undoes in exact reverse across items, and a crash
 * inside an item resumes there. Check-only steps (gates) run their checks and are passed
 * over by a rollback. Traffic ramps from a foreach over mappings apply their own weights.
 */
import { describe, expect, it } from 'vitest';
import { buildStatus, itemLines } from '../../src/cli/views/status.js';
import { buildPlan } from '../../src/engine/plan.js';
import { buildReportModel } from '../../src/report/model.js';
import { MigrationWorld, runbookFrom } from '../helpers/migration-world.js';

const SHARDS = ['s1', 's2', 's3'];

/** A gate, then a group of three steps over three shards, then a last step. */
const grouped = (onFailure = 'stop') =>
  runbookFrom(`  - id: ready
    verify: verify
  - group: move
    foreach: { shard: [${SHARDS.join(', ')}] }
    steps:
${['pause', 'switch', 'resume']
  .map(
    (stage) => `      - id: ${stage}
        run: apply \${shard}-${stage}
        verify: has \${shard}-${stage}
        rollback: { run: "undo \${shard}-${stage}", verify: "lacks \${shard}-${stage}" }
        onFailure: ${onFailure}
`,
  )
  .join('')}  - id: done
    run: apply done
    verify: has done
    rollback: { run: undo done, verify: lacks done }
`);

const forward = (shards: string[]) => shards.flatMap((shard) => ['pause', 'switch', 'resume'].map((stage) => `${shard}-${stage}`));

describe('a group over three items', () => {
  it('expands to <group>-<item>-<step>, item after item, with the group and item on each step', () => {
    const runbook = grouped();
    expect(runbook.steps.map((s) => s.id)).toEqual([
      'ready',
      ...SHARDS.flatMap((shard) => ['pause', 'switch', 'resume'].map((stage) => `move-${shard}-${stage}`)),
      'done',
    ]);
    expect(runbook.steps[4]?.group).toEqual({ id: 'move', item: 's2', index: 2, of: 3 });
    expect(runbook.steps[0]?.group).toBeUndefined();
    // Each expanded step has its own digest.
    expect(new Set(runbook.steps.map((s) => s.digest)).size).toBe(runbook.steps.length);
  });

  it('runs every step of one item before the next item, one at a time', async () => {
    const world = new MigrationWorld(grouped());
    expect(await world.run()).toMatchObject({ state: 'completed' });
    expect(world.ledger).toEqual([...forward(SHARDS).map((name) => `apply ${name}`), 'apply done']);
    const started = world
      .events()
      .filter((e) => e.type === 'step.started')
      .map((e) => e.step);
    expect(started).toEqual(world.runbook.steps.map((s) => s.id));
  });

  it('a failure in item 2 rolls back in exact reverse across items (rollback-all)', async () => {
    const world = new MigrationWorld(grouped('rollback-all'));
    world.failApplyOf.add('s2-switch');
    const outcome = await world.run();
    expect(outcome).toMatchObject({ state: 'rolled_back', step: 'move-s2-switch' });
    // The failed step first (its effect is unknown: its rollback is safe to run), then newest first across items.
    expect(world.ledger.slice(4)).toEqual(['undo s2-switch', 'undo s2-pause', 'undo s1-resume', 'undo s1-switch', 'undo s1-pause']);
    expect(outcome).toMatchObject({ steps: ['move-s2-switch', 'move-s2-pause', 'move-s1-resume', 'move-s1-switch', 'move-s1-pause', 'ready'] });
    expect([...world.flags]).toEqual([]);
    // The gate was passed over: nothing to undo, no wall.
    const state = world.state();
    expect(state.steps.get('ready')?.state).toBe('rolled-back');
  });

  it('rollback --to a step inside an item undoes only what came after it, newest first', async () => {
    const world = new MigrationWorld(grouped());
    expect(await world.run()).toMatchObject({ state: 'completed' });
    const outcome = await world.rollback({ to: 'move-s2-pause' });
    expect(outcome).toEqual({ state: 'rolled_back', steps: ['done', 'move-s3-resume', 'move-s3-switch', 'move-s3-pause', 'move-s2-resume', 'move-s2-switch'] });
    expect([...world.flags].sort()).toEqual(['s1-pause', 's1-resume', 's1-switch', 's2-pause']);
  });

  it('a crash inside item 2 resumes there: the interrupted step is judged by its verify and not run twice', async () => {
    const world = new MigrationWorld(grouped());
    world.crashApplyOf = { name: 's2-switch', afterChange: true };
    expect(await world.run()).toBe('crashed');
    expect(world.state().steps.get('move-s2-switch')?.state).toBe('running');
    expect(await world.run()).toMatchObject({ state: 'completed' });
    expect(world.ledger.filter((line) => line === 'apply s2-switch')).toEqual([]);
    expect(world.ledger).toEqual([
      ...forward(SHARDS)
        .filter((name) => name !== 's2-switch')
        .map((name) => `apply ${name}`),
      'apply done',
    ]);
    expect(world.state().steps.get('move-s2-switch')?.state).toBe('succeeded');
  });

  it('a crash before the change resumes by running the interrupted step of item 2 again', async () => {
    const world = new MigrationWorld(grouped());
    world.crashApplyOf = { name: 's2-switch', afterChange: false };
    expect(await world.run()).toBe('crashed');
    expect(await world.run()).toMatchObject({ state: 'completed' });
    expect(world.ledger.filter((line) => line === 'apply s2-switch')).toEqual(['apply s2-switch']);
    expect([...world.flags].sort()).toEqual([...forward(SHARDS), 'done'].sort());
  });

  it('plan, status and the report group the steps by item', async () => {
    const world = new MigrationWorld(grouped());
    expect(await world.run({ until: 'move-s2-switch' })).toMatchObject({ state: 'advanced' });
    const plan = buildPlan(world.runbook, world.state());
    expect(plan.steps.map((s) => s.group?.item ?? '-')).toEqual(['-', 's1', 's1', 's1', 's2', 's2', 's2', 's3', 's3', 's3', '-']);
    const outline = {
      name: world.runbook.name,
      file: world.runbook.file,
      steps: world.runbook.steps.map((s) => ({ id: s.id, digest: s.digest, ...(s.group ? { group: { id: s.group.id, item: s.group.item } } : {}) })),
    };
    const status = buildStatus(outline, world.state(), 'memory');
    expect(status.items).toEqual([
      { group: 'move', item: 's1', done: 3, total: 3 },
      { group: 'move', item: 's2', done: 2, total: 3, at: { id: 'move-s2-resume', state: 'pending' } },
      { group: 'move', item: 's3', done: 0, total: 3, at: { id: 'move-s3-pause', state: 'pending' } },
    ]);
    expect(itemLines(status)).toEqual(['move s1: 3/3 steps', 'move s2: 2/3 steps (at move-s2-resume: pending)', 'move s3: 0/3 steps']);
    expect(status.steps[1]).toMatchObject({ id: 'move-s1-pause', group: { id: 'move', item: 's1' } });
    const report = buildReportModel({ events: world.events(), runbook: { name: outline.name, steps: outline.steps } });
    expect(report.items?.map((i) => `${i.item} ${i.done}/${i.total} ${i.state}`)).toEqual(['s1 3/3 succeeded', 's2 2/3 pending', 's3 0/3 pending']);
  });
});

describe('check-only steps (gates)', () => {
  const gated = () =>
    runbookFrom(`  - id: a
    run: apply a
    verify: has a
    rollback: { run: undo a, verify: lacks a }
  - id: gate
    verify: has a
    onFailure: rollback-all
  - id: b
    run: apply b
    verify: has b
    rollback: { run: undo b, verify: lacks b }
`);

  it('runs only its checks, is journaled like any step, and records no rollback need', async () => {
    const world = new MigrationWorld(gated());
    expect(world.runbook.steps[1]).toMatchObject({ action: { kind: 'gate' }, rollback: { kind: 'none' } });
    expect(await world.run()).toMatchObject({ state: 'completed', stepsRun: ['a', 'gate', 'b'] });
    expect(world.ledger).toEqual(['apply a', 'apply b']);
    expect(
      world
        .events()
        .filter((e) => e.step === 'gate')
        .map((e) => e.type),
    ).toEqual(['step.started', 'step.succeeded']);
  });

  it('a rollback passes over it instead of stopping there', async () => {
    const world = new MigrationWorld(gated());
    await world.run();
    expect(await world.rollback()).toEqual({ state: 'rolled_back', steps: ['b', 'gate', 'a'] });
    expect([...world.flags]).toEqual([]);
  });

  it('a failing gate stops the run before the next phase, and rolls back what came before it', async () => {
    const world = new MigrationWorld(gated());
    // The gate's verify fails: "has a" is false once a is undone by hand.
    await world.run({ until: 'a' });
    world.flags.delete('a');
    const outcome = await world.run();
    expect(outcome).toMatchObject({ state: 'rolled_back', step: 'gate' });
    expect(world.ledger).toEqual(['apply a', 'undo a']);
  });
});

describe('a parameterised ramp: foreach over mappings', () => {
  const ramp = () =>
    runbookFrom(
      `  - id: aws-\${step.pct}
    foreach:
      step: [{pct: 10, bake: 10m}, {pct: 50, bake: 1h}, {pct: 100, bake: 4h}]
    run:
      route53: { zone: ZAPP, name: app.example.com., type: A, weights: { onprem: "\${step.rest}", aws: "\${step.pct}" } }
    verify: verify
    bake: \${step.bake}
`.replace(/\{pct: (\d+), /g, (_, pct: string) => `{pct: ${pct}, rest: ${100 - Number(pct)}, `),
    );

  it('gives each item its own id, weights, bake and rollback', () => {
    const steps = ramp().steps;
    expect(steps.map((s) => [s.id, s.action.kind === 'route53' ? s.action.weights : undefined, s.bakeMs, s.rollback.kind])).toEqual([
      ['aws-10', { onprem: 90, aws: 10 }, 600_000, 'derived'],
      ['aws-50', { onprem: 50, aws: 50 }, 3_600_000, 'derived'],
      ['aws-100', { onprem: 0, aws: 100 }, 14_400_000, 'derived'],
    ]);
  });

  it('shifts traffic step by step and rolls it back in reverse', async () => {
    const world = new MigrationWorld(ramp());
    expect(await world.run({ until: 'aws-10' })).toMatchObject({ state: 'waiting_bake', step: 'aws-10' });
    expect(world.live()).toEqual({ onprem: 90, aws: 10 });
    world.clock.advance(600_000);
    expect(await world.run({ until: 'aws-50' })).toMatchObject({ state: 'waiting_bake', step: 'aws-50' });
    expect(world.live()).toEqual({ onprem: 50, aws: 50 });
    expect(await world.rollback()).toEqual({ state: 'rolled_back', steps: ['aws-50', 'aws-10'] });
    expect(world.live()).toEqual({ onprem: 100, aws: 0 });
  });
});
