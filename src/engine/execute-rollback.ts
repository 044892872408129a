/** Undo one step with the definition recorded in the journal, never the edited file. */
import type { Step } from '../runbook/types.js';
import type { EngineContext } from './context.js';
import { executionFor, record } from './execution.js';
import { runChecks } from './execute-step.js';

export type RollbackResult =
  | { kind: 'rolled-back' }
  | { kind: 'irreversible'; reason: string }
  | { kind: 'failed'; reason: string; tail: string[] }
  | { kind: 'aborted' };

export async function rollbackStep(ctx: EngineContext, step: Step, why: string): Promise<RollbackResult> {
  const rollback = step.rollback;
  // A manual step with nothing to undo (an approval, a look) is passed, not a wall:
  // cutover changed nothing there. Any other irreversible step stops the rollback.
  if (rollback.kind === 'none' && step.action.kind !== 'manual') return { kind: 'irreversible', reason: rollback.reason };
  const attempt = ctx.journal.events.filter((e) => e.type === 'rollback.started' && e.step === step.id).length + 1;
  const startedAt = ctx.clock.now().getTime();
  await record(ctx, { type: 'rollback.started', step: step.id, attempt, data: { digest: step.digest, reason: why } });
  const fail = async (phase: 'action' | 'verify', reason: string, tail: string[], exitCode?: number): Promise<RollbackResult> => {
    await record(ctx, { type: 'rollback.failed', step: step.id, attempt, data: { phase, reason, tail, ...(exitCode === undefined ? {} : { exitCode }) } });
    return { kind: 'failed', reason, tail };
  };
  const aborted = async (): Promise<RollbackResult> => {
    await fail('action', `interrupted by ${String(ctx.signal.reason ?? 'SIGINT')}`, []);
    return { kind: 'aborted' };
  };

  if (rollback.kind === 'none') {
    await record(ctx, { type: 'rollback.succeeded', step: step.id, attempt, data: { durationMs: 0 } });
    return { kind: 'rolled-back' };
  }
  if (rollback.kind === 'derived') {
    return fail('action', 'restoring captured Route 53 / ELBv2 state is not available in this version of cutover', []);
  }
  const run = rollback.run;
  if (run.kind === 'manual') {
    const choice = await ctx.operator.manual(step, run.instructions);
    if (choice === 'not-yet') return fail('action', 'the manual rollback was not confirmed as done', []);
    await record(ctx, { type: 'decision', step: step.id, attempt, data: { prompt: 'manual rollback done?', choice: 'done' } });
  } else if (run.kind === 'route53' || run.kind === 'elbv2') {
    return fail('action', `${run.kind} actions are not available in this version of cutover`, []);
  } else {
    const result = await ctx.actions.runAction(run, executionFor(ctx, step, attempt, 'rollback'));
    if (!result.ok) {
      if (result.aborted || ctx.signal.aborted) return aborted();
      return fail('action', result.reason, result.tail, result.exitCode);
    }
  }
  if (rollback.verify) {
    const result = await runChecks(ctx, step, attempt, 'rollback-verify', rollback.verify);
    if (result === 'aborted') return aborted();
    if (!result.ok) return fail('verify', `rollback verify failed: ${result.summary}`, result.details);
  }
  await record(ctx, { type: 'rollback.succeeded', step: step.id, attempt, data: { durationMs: ctx.clock.now().getTime() - startedAt } });
  return { kind: 'rolled-back' };
}
