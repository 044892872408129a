/**
 * Resume rules for a step that started and never finished (docs/running.md, "Resume"): make
 * sure its child is gone, then let `verify` judge it; without verify, ask (or follow
 * --on-interrupted). Verify-then-retry is what keeps a step from running twice.
 */
import type { StepRecord } from '../journal/replay.js';
import type { Step } from '../runbook/types.js';
import type { EngineContext } from './context.js';
import { runChecks } from './execute-step.js';
import { trafficAlreadyApplied } from './execute-traffic.js';
import { record } from './execution.js';
import { rollbackStep } from './execute-rollback.js';
import { settleOrphan } from './orphans.js';
import { definitionToCheck } from './runnable.js';
import type { RunOutcome } from './outcome.js';

export type InterruptedResolution = { kind: 'done' } | { kind: 'retry' } | { kind: 'stop'; outcome: (stepsRun: string[]) => RunOutcome };

export async function resolveInterrupted(ctx: EngineContext, current: Step, found: StepRecord): Promise<InterruptedResolution> {
  // Judge the step by what ran, with the real secret values: the runbook's definition when it
  // is the same step; its current checks when it was edited (the journal's copy is masked).
  const step = found.definition ? definitionToCheck(ctx.runbook, found.definition) : current;
  const attempt = found.attempts;
  if (found.state === 'running') {
    await record(ctx, {
      type: 'step.interrupted',
      step: step.id,
      attempt,
      data: { reason: 'found unfinished on resume: cutover stopped while the step was running' },
    });
  }
  const stop = (reason: string): InterruptedResolution => ({ kind: 'stop', outcome: (stepsRun) => ({ state: 'failed', stepsRun, step: step.id, reason }) });

  const child = found.child;
  if (child && child.host !== ctx.host) {
    const question = `step "${step.id}" was running on ${child.host} (pid ${child.pid}); cutover cannot see that machine. Is that process gone?`;
    if (!(await ctx.operator.confirm(question))) {
      return stop(`step "${step.id}" was interrupted on ${child.host}; make sure pid ${child.pid} there has exited, then resume interactively`);
    }
  } else if (child && ctx.processes.groupAlive(child.pgid)) {
    const orphan = await settleOrphan(ctx, step, attempt, child, 'step');
    // A signal while waiting is an interruption (exit 130/143), not a failure of the step.
    if (orphan === 'interrupted')
      return { kind: 'stop', outcome: (stepsRun) => ({ state: 'interrupted', stepsRun, step: step.id, signal: String(ctx.signal.reason ?? 'SIGINT') }) };
    if (orphan === 'running') return stop(`the process group ${child.pgid} of step "${step.id}" is still running; stop it, then resume`);
  }

  if (step.action.kind === 'route53' || step.action.kind === 'elbv2') {
    // Traffic steps check themselves: live weights against the step's, then verify if any.
    const applied = await trafficAlreadyApplied(ctx, step.action);
    if (!applied.applied) {
      ctx.reporter.notify({ kind: 'info', step: step.id, message: `${applied.reason}: running the step again (changing weights twice is harmless)` });
      return { kind: 'retry' };
    }
    const verified = step.verify ? await runChecks(ctx, step, attempt, 'verify', step.verify) : undefined;
    if (verified === 'aborted')
      return { kind: 'stop', outcome: (stepsRun) => ({ state: 'interrupted', stepsRun, step: step.id, signal: String(ctx.signal.reason ?? 'SIGINT') }) };
    if (verified && !verified.ok) return { kind: 'retry' };
    await record(ctx, { type: 'step.succeeded', step: step.id, attempt, data: { durationMs: 0, recovered: true, traffic: applied.left } });
    return { kind: 'done' };
  }

  if (step.verify) {
    ctx.reporter.notify({ kind: 'info', step: step.id, message: 'checking the interrupted step with its verify' });
    const result = await runChecks(ctx, step, attempt, 'verify', step.verify);
    if (result === 'aborted')
      return { kind: 'stop', outcome: (stepsRun) => ({ state: 'interrupted', stepsRun, step: step.id, signal: String(ctx.signal.reason ?? 'SIGINT') }) };
    if (result.ok) {
      await record(ctx, { type: 'step.succeeded', step: step.id, attempt, data: { durationMs: 0, recovered: true } });
      return { kind: 'done' };
    }
    ctx.reporter.notify({ kind: 'info', step: step.id, message: `verify failed (${result.summary}): the step did not complete; running it again` });
    return { kind: 'retry' };
  }

  const choice = await ctx.operator.interrupted(step);
  await record(ctx, { type: 'decision', step: step.id, attempt, data: { prompt: 'interrupted step without verify: what now?', choice } });
  switch (choice) {
    case 'retry':
      return { kind: 'retry' };
    case 'mark-done':
      await record(ctx, { type: 'step.succeeded', step: step.id, attempt, data: { durationMs: 0, markedDone: true } });
      return { kind: 'done' };
    case 'rollback': {
      const result = await rollbackStep(ctx, step, 'interrupted step rolled back on resume');
      if (result.kind === 'rolled-back')
        return {
          kind: 'stop',
          outcome: (stepsRun) => ({
            state: 'rolled_back',
            stepsRun,
            steps: [step.id],
            step: step.id,
            reason: 'the interrupted step was rolled back on resume',
          }),
        };
      if (result.kind === 'aborted')
        return { kind: 'stop', outcome: (stepsRun) => ({ state: 'interrupted', stepsRun, step: step.id, signal: String(ctx.signal.reason ?? 'SIGINT') }) };
      const reason = result.kind === 'irreversible' ? `step "${step.id}" is irreversible: ${result.reason}` : result.reason;
      return { kind: 'stop', outcome: (stepsRun) => ({ state: 'rollback_failed', stepsRun, step: step.id, reason }) };
    }
    case 'abort':
      return stop(
        `step "${step.id}" was interrupted and has no verify to tell whether it completed; resume interactively, or pass --on-interrupted retry|rollback`,
      );
  }
}
