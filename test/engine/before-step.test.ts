/**
 * The shared question before a step (engine/before-step.ts) and when a manual step counts
 * as approved (engine/approvals.ts): what run, rehearse and run --dry-run all rely on.
 */
import { describe, expect, it } from 'vitest';
import { approvalCheck } from '../../src/engine/approvals.js';
import { askBeforeStep } from '../../src/engine/before-step.js';
import { nonInteractiveOperator } from '../../src/engine/operator.js';
import type { BeforeStepChoice, Operator } from '../../src/engine/operator.js';
import type { ApprovalRecord } from '../../src/journal/replay.js';
import { shellStep } from '../report/fixtures.js';

const manual = shellStep('go', { action: { kind: 'manual', instructions: 'say go' } });

function operator(answers: BeforeStepChoice[], skips: ({ note: string } | undefined)[] = []): Operator & { asked: number } {
  const op = {
    ...nonInteractiveOperator(),
    interactive: true,
    asked: 0,
    beforeStep: async () => {
      op.asked += 1;
      return answers.shift() ?? 'quit';
    },
    confirmSkip: async () => skips.shift(),
  };
  return op;
}

describe('the question before a step', () => {
  const cases: [
    name: string,
    step: ReturnType<typeof shellStep>,
    answers: BeforeStepChoice[],
    skips: ({ note: string } | undefined)[],
    expected: unknown,
    asked: number,
    refusals: number,
  ][] = [
    ['run is run', shellStep('a'), ['run'], [], { choice: 'run' }, 1, 0],
    ['quit is quit', shellStep('a'), ['quit'], [], { choice: 'quit' }, 1, 0],
    ['a skippable step is skipped', shellStep('a'), ['skip'], [], { choice: 'skip' }, 1, 0],
    ['skippable: false is never skipped: asked again', shellStep('a', { skippable: false }), ['skip', 'run'], [], { choice: 'run' }, 2, 1],
    [
      'a manual step is skipped once its id is typed, with the reason',
      manual,
      ['skip'],
      [{ note: 'not needed' }],
      { choice: 'skip', note: 'not needed' },
      1,
      0,
    ],
    ['an unconfirmed skip of a manual step asks again', manual, ['skip', 'quit'], [undefined], { choice: 'quit' }, 2, 0],
  ];
  it.each(cases)('%s', async (_name, step, answers, skips, expected, asked, refusals) => {
    const op = operator([...answers], [...skips]);
    const refused: string[] = [];
    expect(await askBeforeStep(op, step, { index: 1, total: 1 }, (message) => refused.push(message))).toEqual(expected);
    expect(op.asked).toBe(asked);
    expect(refused).toHaveLength(refusals);
    if (refusals > 0) expect(refused[0]).toContain('cannot be skipped (skippable: false');
  });
});

describe('approvals of a manual step', () => {
  const now = Date.parse('2026-03-02T10:00:00Z');
  const approval = (extra: Partial<ApprovalRecord> = {}): ApprovalRecord => ({
    seq: 3,
    ts: '2026-03-02T09:00:00Z',
    by: 'ana',
    step: 'go',
    digest: manual.digest,
    ...extra,
  });
  const used = { usedBy: { attempt: 1, seq: 4, ts: '2026-03-02T09:01:00Z' } };
  const cases: [name: string, approvals: ApprovalRecord[], attempt: boolean, rehearsal: boolean][] = [
    ['none', [], false, false],
    ['an approval of the current digest', [approval()], true, true],
    ['of another digest (the step changed since)', [approval({ digest: 'sha256:old' })], false, false],
    ['of another step', [approval({ step: 'other' })], false, false],
    ['expired', [approval({ expiresAt: '2026-03-02T09:30:00Z' })], false, false],
    ['not yet expired', [approval({ expiresAt: '2026-03-02T11:00:00Z' })], true, true],
    ['used by an attempt: a run needs a new one, a rehearsal does not', [approval(used)], false, true],
  ];
  it.each(cases)('%s: run %s, rehearsal %s', (_name, approvals, attempt, rehearsal) => {
    expect(approvalCheck({ approvals }, 'attempt', () => now)(manual)).toBe(attempt);
    expect(approvalCheck({ approvals }, 'rehearsal', () => now)(manual)).toBe(rehearsal);
  });
});
