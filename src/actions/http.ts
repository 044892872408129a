/** `{http: ...}` checks: `samples` requests `interval` apart; passes when enough of them succeed. */
import type { SingleCheck } from '../runbook/types.js';
import { formatDuration } from '../runbook/duration.js';
import { setLongTimeout } from '../support/clock.js';
import type { CheckResult, ExecutionContext } from './types.js';

export type HttpCheck = Extract<SingleCheck, { kind: 'http' }>;

const ABORTED = Symbol('aborted');
/** undefined: the sample succeeded; a string: why it failed. */
type SampleOutcome = string | undefined | typeof ABORTED;

export async function runHttpCheck(check: HttpCheck, ctx: ExecutionContext): Promise<CheckResult> {
  const label = `${check.method} ${check.url}`;
  const pattern = check.bodyMatches === undefined ? undefined : new RegExp(check.bodyMatches);
  const need = `${Math.round(check.minSuccess * 1000) / 10}%`;
  const failures: string[] = [];
  const masked = (result: CheckResult): CheckResult => ctx.masker.value(result); // A URL may carry a token.
  const aborted = () => masked({ ok: false, aborted: true, summary: `${label}: aborted`, details: failures });

  let taken = 0;
  while (taken < check.samples) {
    if (taken > 0 && !(await pause(check.intervalMs, ctx))) return aborted();
    const outcome = await sample(check, pattern, ctx.signal);
    if (outcome === ABORTED) return aborted();
    taken += 1;
    if (outcome !== undefined) failures.push(`sample ${taken}/${check.samples}: ${outcome}`);
    // Once minSuccess is out of reach, more samples only delay the verdict (and a rollback).
    if ((check.samples - failures.length) / check.samples < check.minSuccess) {
      const summary = `${label}: ${failures.length} of ${taken} samples failed, cannot reach ${need} of ${check.samples}`;
      return masked({ ok: false, summary, details: failures });
    }
  }
  const successes = check.samples - failures.length;
  return masked({ ok: true, summary: `${label}: ${successes}/${check.samples} samples ok (need ${need})`, details: failures });
}

async function pause(ms: number, ctx: ExecutionContext): Promise<boolean> {
  try {
    await ctx.clock.sleep(ms, ctx.signal);
    return true;
  } catch (error) {
    if (ctx.signal.aborted) return false;
    throw error;
  }
}

async function sample(check: HttpCheck, pattern: RegExp | undefined, outer: AbortSignal): Promise<SampleOutcome> {
  // Not AbortSignal.timeout: it fires at once for a timeout over 2^31 ms (about 24.8 days).
  const timeout = new AbortController();
  const timer = setLongTimeout(() => timeout.abort(), check.timeoutMs);
  try {
    // Redirects are not followed: the status is what this URL answers, as with curl.
    const response = await fetch(check.url, {
      method: check.method,
      headers: check.headers,
      redirect: 'manual',
      signal: AbortSignal.any([outer, timeout.signal]),
    });
    if (!check.expectStatus.includes(response.status)) {
      await discard(response);
      return `status ${response.status} (expected ${check.expectStatus.join(' or ')})`;
    }
    if (!pattern) {
      await discard(response);
      return undefined;
    }
    const body = await response.text();
    return pattern.test(body) ? undefined : `status ${response.status}, body does not match /${check.bodyMatches}/`;
  } catch (error) {
    if (outer.aborted) return ABORTED;
    if (timeout.signal.aborted) return `no response within ${formatDuration(check.timeoutMs)}`;
    return describeFetchError(error);
  } finally {
    timer.clear();
  }
}

/** Frees the connection without reading a body nobody looks at. */
async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}

/** fetch() says only "fetch failed"; the cause says what happened (ECONNREFUSED, DNS, TLS). */
function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Error) return cause.message;
  return error instanceof Error ? error.message : String(error);
}
