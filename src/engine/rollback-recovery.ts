/**
 * A rollback that cutover was killed in the middle of (rollback.started, no outcome) is
 * resumed the way an interrupted step is: first make sure its command is no longer running
 * (wait, or kill on the operator's choice), then let `rollback.verify` judge whether the
 * undo already happened. Without this, `cutover rollback` would run the undo twice.
 */
import { replay } from '../journal/replay.js';
import type { Step } from '../runbook/types.js';
import type { EngineContext } from './context.js';
import { runChecks } from './execute-step.js';
import { record } from './execution.js';
import { settleOrphan } from './orphans.js';

export type RollbackRecovery =
  /** The undo is done (its verify passes): journal it as recovered, do not run it again. */
  | { kind: 'recovered'; attempt: number }
  /** Run the rollback (again). */
  | { kind: 'run' }
  /** Its command is still running and will not stop; or the operator interrupted the wait. */
  | { kind: 'stuck'; reason: string; aborted: boolean };

export async function recoverInterruptedRollback(ctx: EngineContext, step: Step): Promise<RollbackRecovery> {
  const found = replay(ctx.journal.events).steps.get(step.id);
  if (found?.state !== 'rolling-back') return { kind: 'run' };
  const attempt = ctx.journal.events.filter((e) => e.type === 'rollback.started' && e.step === step.id).length;
  const child = found.child;
  if (child && child.phase === 'rollback' && child.host === ctx.host && ctx.processes.groupAlive(child.pgid)) {
    const orphan = await settleOrphan(ctx, step, attempt, child, 'rollback');
    if (orphan !== 'gone') {
      return {
        kind: 'stuck',
        aborted: orphan === 'interrupted',
        reason: `the rollback command of step "${step.id}" (process group ${child.pgid}) is still running; stop it, then run the rollback again`,
      };
    }
  }
  if (step.rollback.kind === 'action' && step.rollback.verify) {
    ctx.reporter.notify({ kind: 'info', step: step.id, message: 'checking the interrupted rollback with its verify' });
    const result = await runChecks(ctx, step, attempt, 'rollback-verify', step.rollback.verify);
    if (result === 'aborted') return { kind: 'stuck', aborted: true, reason: `interrupted by ${String(ctx.signal.reason ?? 'SIGINT')}` };
    if (result.ok) return { kind: 'recovered', attempt };
    ctx.reporter.notify({ kind: 'info', step: step.id, message: `rollback verify failed (${result.summary}): the undo did not complete; running it again` });
  }
  return { kind: 'run' };
}

/** Journals a recovered rollback. */
export async function recordRecoveredRollback(ctx: EngineContext, step: Step, attempt: number): Promise<void> {
  await record(ctx, { type: 'rollback.succeeded', step: step.id, attempt, data: { durationMs: 0, recovered: true } });
}
