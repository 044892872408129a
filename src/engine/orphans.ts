/**
 * A child process group an earlier cutover left running: wait for it or kill it. Shared by
 * the resume of an interrupted step (interrupted.ts) and of an interrupted rollback
 * (rollback-recovery.ts), so neither imports the other.
 */
import type { Step } from '../runbook/types.js';
import type { EngineContext } from './context.js';
import { record } from './execution.js';

const POLL_MS = 1_000;
const KILL_GRACE_MS = 5_000;

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
export async function settleOrphan(
  ctx: EngineContext,
  step: Step,
  attempt: number,
  child: { pid: number; pgid: number; host: string },
  what: 'step' | 'rollback',
): Promise<'gone' | 'running' | 'interrupted'> {
  const whose = what === 'step' ? "the interrupted step's" : "the interrupted rollback's";
  ctx.reporter.notify({ kind: 'warning', step: step.id, message: `${whose} process group ${child.pgid} is still running` });
  const choice = await ctx.operator.runningChild(step, child);
  await record(ctx, {
    type: 'decision',
    step: step.id,
    attempt,
    data: { prompt: `${what === 'step' ? '' : 'rollback '}process group ${child.pgid} still running`, choice },
  });
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
    data: {
      signal,
      reason: `${signal} while cutover waited for the orphaned ${command} (process group ${child.pgid}), which was left running`,
      leftRunning: { pid: child.pid, pgid: child.pgid, host: child.host },
    },
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
export async function waitForExit(
  ctx: EngineContext,
  pgid: number,
  limitMs: number,
  signal: AbortSignal | undefined = ctx.signal,
): Promise<'gone' | 'timeout' | 'aborted'> {
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
