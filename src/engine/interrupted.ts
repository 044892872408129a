/**
 * Resume rules for a step that started and never finished (DESIGN.md section 3): make
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
import { definitionToCheck } from './runnable.js';
import type { RunOutcome } from './outcome.js';

export type InterruptedResolution =
  | { kind: 'done' }
  | { kind: 'retry' }
  | { kind: 'stop'; outcome: (stepsRun: string[]) => RunOutcome };

const POLL_MS = 1_000;
const KILL_GRACE_MS = 5_000;

export async function resolveInterrupted(ctx: EngineContext, current: Step, found: StepRecord): Promise<InterruptedResolution> {
  // Judge the step by what ran, with the real secret values: the runbook's definition when it
  // is the same step; its current checks when it was edited (the journal's copy is masked).
  const step = found.definition ? definitionToCheck(ctx.runbook, found.definition) : current;
  const attempt = found.attempts;
  if (found.state === 'running') {
    await record(ctx, { type: 'step.interrupted', step: step.id, attempt, data: { reason: 'found unfinished on resume: cutover stopped while the step was running' } });
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
    if (orphan === 'interrupted') return { kind: 'stop', outcome: (stepsRun) => ({ state: 'interrupted', stepsRun, step: step.id, signal: String(ctx.signal.reason ?? 'SIGINT') }) };
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
    if (verified === 'aborted') return { kind: 'stop', outcome: (stepsRun) => ({ state: 'interrupted', stepsRun, step: step.id, signal: String(ctx.signal.reason ?? 'SIGINT') }) };
    if (verified && !verified.ok) return { kind: 'retry' };
    await record(ctx, { type: 'step.succeeded', step: step.id, attempt, data: { durationMs: 0, recovered: true, traffic: applied.left } });
    return { kind: 'done' };
  }

  if (step.verify) {
    ctx.reporter.notify({ kind: 'info', step: step.id, message: 'checking the interrupted step with its verify' });
    const result = await runChecks(ctx, step, attempt, 'verify', step.verify);
    if (result === 'aborted') return { kind: 'stop', outcome: (stepsRun) => ({ state: 'interrupted', stepsRun, step: step.id, signal: String(ctx.signal.reason ?? 'SIGINT') }) };
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
      if (result.kind === 'rolled-back') return { kind: 'stop', outcome: (stepsRun) => ({ state: 'rolled_back', stepsRun, steps: [step.id], step: step.id, reason: 'the interrupted step was rolled back on resume' }) };
      if (result.kind === 'aborted') return { kind: 'stop', outcome: (stepsRun) => ({ state: 'interrupted', stepsRun, step: step.id, signal: String(ctx.signal.reason ?? 'SIGINT') }) };
      const reason = result.kind === 'irreversible' ? `step "${step.id}" is irreversible: ${result.reason}` : result.reason;
      return { kind: 'stop', outcome: (stepsRun) => ({ state: 'rollback_failed', stepsRun, step: step.id, reason }) };
    }
    case 'abort':
      return stop(`step "${step.id}" was interrupted and has no verify to tell whether it completed; resume interactively, or pass --on-interrupted retry|rollback`);
  }
}

/**
 * The command of an interrupted step (or rollback) that an earlier cutover left running on
 * this machine: the operator (or --on-interrupted kill) chooses to wait for it or kill it,
 * journaled as a decision. 'gone' once it has exited; 'running' when it outlived the step's
 * timeout (or a kill); 'interrupted' when a signal stopped cutover while it waited.
 *
 * A signal during the wait stops the waiting, not the command: the operator chose to let it
 * finish (killing it is the other choice, never made for them), and a command that has been
 * running unwatched since the crash may be safer finished than cut short. So it is left
 * running, and that is journaled (step.interrupted with `leftRunning`) and said plainly, with
 * how to stop it. The next command on this journal finds it again and waits for it (or kills
 * it) before it judges the step; nothing runs twice.
 */
export async function settleOrphan(ctx: EngineContext, step: Step, attempt: number, child: { pid: number; pgid: number; host: string }, what: 'step' | 'rollback'): Promise<'gone' | 'running' | 'interrupted'> {
  const whose = what === 'step' ? "the interrupted step's" : "the interrupted rollback's";
  ctx.reporter.notify({ kind: 'warning', step: step.id, message: `${whose} process group ${child.pgid} is still running` });
  const choice = await ctx.operator.runningChild(step, child);
  await record(ctx, { type: 'decision', step: step.id, attempt, data: { prompt: `${what === 'step' ? '' : 'rollback '}process group ${child.pgid} still running`, choice } });
  if (choice === 'kill') return (await killAndWait(ctx, child.pgid)) ? 'gone' : 'running';
  const waited = await waitForExit(ctx, child.pgid, step.timeoutMs ?? Infinity);
  if (waited === 'gone') return 'gone';
  if (waited === 'timeout') return 'running';
  const signal = String(ctx.signal.reason ?? 'SIGINT');
  const command = what === 'step' ? `command of step "${step.id}"` : `rollback command of step "${step.id}"`;
  const check = what === 'step' ? 'its verify' : 'its rollback.verify';
  await record(ctx, {
    type: 'step.interrupted',
    step: step.id,
    attempt,
    data: { signal, reason: `${signal} while cutover waited for the orphaned ${command} (process group ${child.pgid}), which was left running`, leftRunning: { pid: child.pid, pgid: child.pgid, host: child.host } },
  });
  ctx.reporter.notify({
    kind: 'warning',
    step: step.id,
    message:
      `${signal}: stopped waiting. The orphaned ${command} is STILL RUNNING (process group ${child.pgid}, pid ${child.pid}, on ${child.host}): ` +
      `it was left alone because the choice was to wait for it, and it may still change things. ` +
      `The next cutover command on this journal waits for it again, then judges the ${what} by ${check}. To stop it now: kill -TERM -- -${child.pgid}`,
  });
  return 'interrupted';
}

/** Polls until the group is gone ('gone'), limitMs passed ('timeout') or the command is signalled ('aborted'). */
export async function waitForExit(ctx: EngineContext, pgid: number, limitMs: number, signal: AbortSignal | undefined = ctx.signal): Promise<'gone' | 'timeout' | 'aborted'> {
  const deadline = ctx.clock.now().getTime() + limitMs;
  while (ctx.processes.groupAlive(pgid)) {
    if (signal?.aborted) return 'aborted';
    if (ctx.clock.now().getTime() >= deadline) return 'timeout';
    try {
      await ctx.clock.sleep(POLL_MS, signal);
    } catch {
      return 'aborted';
    }
  }
  return 'gone';
}

/** SIGTERM, then SIGKILL after the grace; not cut short by a signal to cutover (the kill is already under way). */
export async function killAndWait(ctx: EngineContext, pgid: number): Promise<boolean> {
  ctx.processes.killGroup(pgid, 'SIGTERM');
  if ((await waitForExit(ctx, pgid, KILL_GRACE_MS, undefined)) === 'gone') return true;
  ctx.processes.killGroup(pgid, 'SIGKILL');
  return (await waitForExit(ctx, pgid, KILL_GRACE_MS, undefined)) === 'gone';
}
