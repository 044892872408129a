/** `retryFor: 2m, interval: 10s` on a check: poll until it passes, timed by the injected clock. */
import type { CheckRetry } from '../runbook/types.js';
import { formatDuration } from '../runbook/duration.js';
import type { CheckResult, ExecutionContext } from './types.js';

export async function withRetry(retry: CheckRetry | undefined, ctx: ExecutionContext, attempt: () => Promise<CheckResult>): Promise<CheckResult> {
  if (!retry) return attempt();
  const started = ctx.clock.now().getTime();
  for (let attempts = 1; ; attempts += 1) {
    const result = await attempt();
    if (result.ok) return attempts === 1 ? result : { ...result, summary: `${result.summary} (passed on attempt ${attempts})` };
    if (result.aborted) return result;
    const elapsed = ctx.clock.now().getTime() - started;
    if (elapsed >= retry.forMs) {
      return { ...result, summary: `${result.summary} (still failing after ${formatDuration(elapsed)}, ${attempts} attempts)` };
    }
    // Up to retryFor of waiting: say where it stands instead of a silent minute.
    const wait = Math.max(1, Math.min(retry.intervalMs, retry.forMs - elapsed));
    ctx.onProgress?.(
      `attempt ${attempts} failed (${result.summary}); next try in ${seconds(wait)}, ${seconds(retry.forMs - elapsed)} left of retryFor ${formatDuration(retry.forMs)}`,
    );
    try {
      // The last wait is cut short so the final attempt happens at the deadline, not after it;
      // at least 1ms so a zero interval cannot spin forever on a clock that only sleep advances.
      await ctx.clock.sleep(wait, ctx.signal);
    } catch (error) {
      if (!ctx.signal.aborted) throw error;
      return { ...result, aborted: true, summary: `${result.summary} (aborted while retrying)` };
    }
  }
}

/** Whole seconds, rounded up (1s for anything under a second): a countdown, not a duration. */
function seconds(ms: number): string {
  return formatDuration(Math.ceil(ms / 1000) * 1000);
}
