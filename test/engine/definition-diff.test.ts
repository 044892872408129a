/** The field-level diff of a completed step edited since it ran, in plan and in run's refusal. */
import { describe, expect, it } from 'vitest';
import { definitionDiff } from '../../src/engine/definition-diff.js';
import { buildPlan } from '../../src/engine/plan.js';
import { createMasker } from '../../src/support/mask.js';
import { loadRunbookText } from '../../src/runbook/load.js';
import type { Runbook } from '../../src/runbook/types.js';
import { MigrationWorld, dns, runbookFrom, shell } from '../helpers/migration-world.js';

const canary = (aws10: number) => runbookFrom([dns('dns-10', 100 - aws10, aws10), dns('dns-100', 0, 100)].join(''));

function withSecret(token: string, instructions: string): Runbook {
  const text = `cutover: 1
name: migration
vars: { token: { secret: true } }
defaults: { confirm: false, onFailure: stop }
steps:
  - id: go
    run: { manual: "${instructions}" }
    rollback: none
    irreversible: nothing to undo
`;
  const loaded = loadRunbookText('migration.yaml', text, { env: {}, overrides: { flags: [`token=${token}`] } });
  if (!loaded.ok) throw new Error(loaded.diagnostics.map((d) => d.message).join('\n'));
  return loaded.runbook;
}

describe('a changed completed step', () => {
  it("shows what changed, field by field, in run's refusal and in plan", async () => {
    const world = new MigrationWorld(canary(10));
    await world.run({ until: 'dns-10' });
    world.runbook = canary(15);
    const outcome = await world.run();
    expect(outcome).toMatchObject({ state: 'refused' });
    expect((outcome as { reason: string }).reason).toBe(
      'completed step(s) changed since they ran: dns-10 (action.weights.aws: 10 → 15; action.weights.onprem: 90 → 85). Review the change with "cutover plan migration.yaml", then run again with --accept-changes (journaled), or undo the edit',
    );
    const plan = buildPlan(world.runbook, world.state());
    expect(plan.steps[0]).toMatchObject({ changed: true, diff: ['action.weights.aws: 10 → 15', 'action.weights.onprem: 90 → 85'] });
    expect(plan.steps[1]?.diff).toBeUndefined();
    expect(plan.refusal?.reason).toContain('dns-10 (action.weights.aws: 10 → 15');
  });

  it('names an added or removed field, and says when only something outside the step changed', () => {
    const before = runbookFrom(shell('a')).steps[0];
    const after = runbookFrom(shell('a', '    bake: 5m\n')).steps[0];
    if (!before || !after) throw new Error('no step');
    expect(definitionDiff(before, after)).toEqual(['bakeMs: absent → 300000']);
    expect(definitionDiff(before, { ...before, digest: 'sha256:other' })).toEqual(["no field of the step changed: the runbook's env: or a secret value did"]);
  });

  it('keeps secret values masked: an unchanged secret is not a change, and a changed one shows as ***', async () => {
    const world = new MigrationWorld(withSecret('s3cr3t-one', 'log in with ${token}'));
    await world.approve('go');
    expect(await world.run()).toMatchObject({ state: 'completed' });
    const journaled = world.state().steps.get('go')?.definition;
    if (!journaled) throw new Error('not journaled');
    expect(JSON.stringify(journaled)).not.toContain('s3cr3t-one');
    const step = (runbook: Runbook) => runbook.steps[0] as NonNullable<Runbook['steps'][0]>;
    const masker = createMasker(['s3cr3t-one']);
    expect(definitionDiff(journaled, step(withSecret('s3cr3t-one', 'log in with ${token}')), masker)).toEqual([
      "no field of the step changed: the runbook's env: or a secret value did",
    ]);
    expect(definitionDiff(journaled, step(withSecret('s3cr3t-one', 'log in with ${token} twice')), masker)).toEqual([
      'action.instructions: "log in with ***" → "log in with *** twice"',
    ]);
    world.runbook = withSecret('s3cr3t-one', 'log in with ${token} twice');
    const outcome = await world.run();
    expect((outcome as { reason: string }).reason).toContain('go (action.instructions: "log in with ***" → "log in with *** twice")');
    expect((outcome as { reason: string }).reason).not.toContain('s3cr3t-one');
  });
});
