/** `{wait: 5m}`: a pause measured by the injected clock, so tests never really sleep. */
import type { WaitAction } from '../runbook/types.js';
import { formatDuration } from '../runbook/duration.js';
import type { ActionResult, ExecutionContext } from './types.js';

export async function runWait(action: WaitAction, ctx: ExecutionContext): Promise<ActionResult> {
  const started = ctx.clock.now().getTime();
  const elapsed = () => ctx.clock.now().getTime() - started;
  // A step timeout shorter than the wait is honoured like for any other action.
  const timedOut = ctx.timeoutMs !== undefined && ctx.timeoutMs < action.durationMs;
  try {
    await ctx.clock.sleep(timedOut ? (ctx.timeoutMs as number) : action.durationMs, ctx.signal);
  } catch (error) {
    if (!ctx.signal.aborted) throw error;
    return { ok: false, reason: 'aborted', aborted: true, tail: [], durationMs: elapsed() };
  }
  if (timedOut) return { ok: false, reason: `timed out after ${formatDuration(ctx.timeoutMs as number)}`, timedOut: true, tail: [], durationMs: elapsed() };
  return { ok: true, tail: [], durationMs: elapsed() };
}
