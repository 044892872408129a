/** The step prompt's "run all remaining without asking" (Ansible --step's continue), on the in-process engine. */
import { describe, expect, it } from 'vitest';
import { nonInteractiveOperator } from '../../src/engine/operator.js';
import type { BeforeStepChoice, Operator } from '../../src/engine/operator.js';
import { planRollback, rollbackRunbook } from '../../src/engine/rollback.js';
import { replay } from '../../src/journal/replay.js';
import { MigrationWorld, runbookFrom, shell } from '../helpers/migration-world.js';

const CONFIRM = '    confirm: true\n';
const MANUAL = '  - id: go\n    run: { manual: "look at the dashboards" }\n    rollback: none\n    irreversible: nothing to undo\n    confirm: true\n';

function operator(answers: BeforeStepChoice[], asked: string[]): Operator {
  return {
    ...nonInteractiveOperator(),
    interactive: true,
    name: 'alice@laptop',
    beforeStep: async (step) => {
      asked.push(`before ${step.id}`);
      return answers.shift() ?? 'quit';
    },
    manual: async (step) => {
      asked.push(`manual ${step.id}`);
      return 'done';
    },
    onFailure: async (step) => {
      asked.push(`failure ${step.id}`);
      return 'abort';
    },
  };
}

describe('run all remaining without asking', () => {
  it('asks no more step prompts in this run, journals the choice, and the next run asks again', async () => {
    const world = new MigrationWorld(runbookFrom(['a', 'b', 'c', 'd'].map((id) => shell(id, CONFIRM)).join('')));
    const asked: string[] = [];
    expect(await world.run({ until: 'c' }, operator(['run', 'continue'], asked))).toMatchObject({ state: 'advanced', stepsRun: ['a', 'b', 'c'], next: 'd' });
    expect(asked).toEqual(['before a', 'before b']);
    const decisions = world.events().filter((e) => e.type === 'decision');
    expect(decisions.map((e) => [e.step, e.data.choice])).toEqual([
      ['a', 'run'],
      ['b', 'continue'],
    ]);
    expect(decisions[1]?.data.note).toBe('run all remaining steps of this run without asking (manual steps and failures still ask)');
    expect(decisions[1]?.by).toBeTruthy();

    const again: string[] = [];
    await world.run({}, operator(['quit'], again));
    expect(again, 'a new invocation asks again').toEqual(['before d']);
  });

  it('still asks at a manual step and at a failure', async () => {
    const world = new MigrationWorld(runbookFrom([shell('a', CONFIRM), MANUAL, shell('c', CONFIRM), shell('d', CONFIRM)].join('')));
    const asked: string[] = [];
    // c fails: the failure menu is still asked.
    const original = world.actions.runAction;
    world.actions.runAction = async (action, context) =>
      action.kind === 'shell' && action.script.includes('apply c')
        ? { ok: false, reason: 'exit code 1', exitCode: 1, tail: [], durationMs: 1 }
        : original(action, context);
    expect(await world.run({}, operator(['continue'], asked))).toMatchObject({ state: 'failed', step: 'c', stepsRun: ['a', 'go'] });
    expect(asked).toEqual(['before a', 'manual go', 'failure c']);
  });
});

describe('rollback --confirm-each', () => {
  it('asks before each step, newest first, journals each answer, and a no stops there (older steps stay applied)', async () => {
    const world = new MigrationWorld(runbookFrom(['a', 'b', 'c'].map((id) => shell(id)).join('')));
    await world.run();
    const questions: string[] = [];
    const answers = [true, false];
    const ctx = await world.context({
      operator: {
        ...nonInteractiveOperator(),
        interactive: true,
        name: 'alice@laptop',
        confirm: async (question) => (questions.push(question), answers.shift() ?? false),
      },
    });
    const plan = planRollback(replay(ctx.journal.events), ['a', 'b', 'c'], {});
    if (!plan.ok) throw new Error(plan.reason);
    expect(await rollbackRunbook(ctx, plan.steps, { confirmEach: true })).toEqual({ state: 'cancelled', steps: ['c'], step: 'b' });
    expect(questions).toEqual(['Roll back c (undo c)?', 'Roll back b (undo b)?']);
    expect(world.ledger).toEqual(['apply a', 'apply b', 'apply c', 'undo c']);
    expect(
      world
        .events()
        .filter((e) => e.type === 'decision')
        .map((e) => [e.step, e.data.choice]),
    ).toEqual([
      ['c', 'rollback'],
      ['b', 'stop'],
    ]);
  });
});
