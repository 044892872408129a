/**
 * The `prometheus` check: a PromQL instant query (POST /api/v1/query) that must answer one
 * value, a scalar or a one-element vector, compared with max/min. An empty result, several
 * series, NaN or an API error fail with what was answered: a query that matches nothing
 * (a renamed label, a typo) must not pass as "no errors".
 */
import { formatDuration } from '../runbook/duration.js';
import type { PrometheusCheck } from '../runbook/metric-types.js';
import { setLongTimeout } from '../support/clock.js';
import { boundsOf, breach, describeThreshold, formatValue } from './threshold.js';
import type { CheckObservation, CheckResult, ExecutionContext } from './types.js';
import { prometheusLabel, queryEndpoint } from '../runbook/metric-labels.js';

interface ApiAnswer {
  status?: string;
  error?: string;
  errorType?: string;
  warnings?: string[];
  data?: { resultType?: string; result?: unknown };
}

type Sample = [number, string];
interface Series {
  metric?: Record<string, string>;
  value?: Sample;
}

export async function runPrometheus(check: PrometheusCheck, ctx: Pick<ExecutionContext, 'signal' | 'masker'>): Promise<CheckResult> {
  const label = prometheusLabel(check);
  // The URL or the query may carry a secret; the headers surely do, and never reach a result.
  const masked = (result: CheckResult): CheckResult => ctx.masker.value(result);
  const observe = (value: number | null, ok: boolean): CheckObservation[] => [{ check: label, value, ...boundsOf(check), ok }];
  const answer = await ask(check, ctx.signal);
  if (answer.kind === 'aborted') return masked({ ok: false, aborted: true, summary: `${label}: interrupted`, details: [] });
  if (answer.kind === 'failed') return masked({ ok: false, summary: `${label}: ${answer.reason}`, details: [], observations: observe(null, false) });

  const body = answer.body;
  const details = (body.warnings ?? []).map((w) => `warning: ${w}`);
  const fail = (reason: string) => masked({ ok: false, summary: `${label}: ${reason}`, details, observations: observe(null, false) });
  const data = body.data ?? {};
  let sample: Sample | undefined;
  if (data.resultType === 'scalar') {
    sample = data.result as Sample;
  } else if (data.resultType === 'vector') {
    const series = Array.isArray(data.result) ? (data.result as Series[]) : [];
    if (series.length === 0)
      return fail(
        'the query answered no series (an empty vector); it must answer exactly one value. Check the metric and label names, or wrap the query to give a value when nothing matches (e.g. `... or vector(0)`)',
      );
    if (series.length > 1) {
      const shown = series.slice(0, 5).map((s) => describeLabels(s.metric ?? {}));
      return fail(
        `the query answered ${series.length} series (${shown.join(', ')}${series.length > 5 ? ', ...' : ''}); it must answer one: aggregate it, e.g. sum(...) or max(...)`,
      );
    }
    sample = series[0]?.value;
  } else {
    return fail(
      `the query answered a ${data.resultType ?? 'result of no known type'}; it must answer a scalar or an instant vector (no range selector [5m] at the outside)`,
    );
  }
  const value = Array.isArray(sample) ? parseSampleValue(sample[1]) : Number.NaN;
  const why = breach(value, check);
  if (why)
    return masked({
      ok: false,
      summary: `${label} answered ${formatValue(value)}, ${why}`,
      details,
      observations: observe(Number.isNaN(value) ? null : value, false),
    });
  return masked({
    ok: true,
    summary: `${label} answered ${formatValue(value)}, within ${describeThreshold(check)}`,
    details,
    observations: observe(value, true),
  });
}

type Answer = { kind: 'ok'; body: ApiAnswer } | { kind: 'failed'; reason: string } | { kind: 'aborted' };

async function ask(check: PrometheusCheck, outer: AbortSignal): Promise<Answer> {
  // Not AbortSignal.timeout: it fires at once for a timeout over 2^31 ms.
  const timeout = new AbortController();
  const timer = setLongTimeout(() => timeout.abort(), check.timeoutMs);
  try {
    // POST: a long query fits, and it stays out of proxies' access logs.
    const response = await fetch(queryEndpoint(check.url), {
      method: 'POST',
      headers: { ...check.headers, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ query: check.query }).toString(),
      redirect: 'manual',
      signal: AbortSignal.any([outer, timeout.signal]),
    });
    const text = await response.text();
    let body: ApiAnswer | undefined;
    try {
      body = JSON.parse(text) as ApiAnswer;
    } catch {
      body = undefined;
    }
    if (body?.status === 'error')
      return { kind: 'failed', reason: `Prometheus refused the query (${response.status} ${body.errorType ?? 'error'}): ${body.error ?? 'no message'}` };
    if (!response.ok)
      return {
        kind: 'failed',
        reason: `HTTP ${response.status} from ${queryEndpoint(check.url)}${response.status === 401 || response.status === 403 ? ' (check the auth header and its secret)' : ''}: ${text.slice(0, 200).trim()}`,
      };
    if (body?.status !== 'success')
      return {
        kind: 'failed',
        reason: `${queryEndpoint(check.url)} did not answer as the Prometheus API does (is the URL the Prometheus base URL?): ${text.slice(0, 200).trim()}`,
      };
    return { kind: 'ok', body };
  } catch (error) {
    if (outer.aborted) return { kind: 'aborted' };
    if (timeout.signal.aborted) return { kind: 'failed', reason: `no answer from ${queryEndpoint(check.url)} within ${formatDuration(check.timeoutMs)}` };
    const cause = (error as { cause?: unknown }).cause;
    return {
      kind: 'failed',
      reason: `cannot reach ${queryEndpoint(check.url)}: ${cause instanceof Error ? cause.message : error instanceof Error ? error.message : String(error)}`,
    };
  } finally {
    timer.clear();
  }
}

/** Prometheus writes values as strings: "0.25", "1e-05", "+Inf", "-Inf", "NaN". */
function parseSampleValue(text: unknown): number {
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  return typeof text === 'string' && text.trim() !== '' ? Number(text) : Number.NaN;
}

function describeLabels(metric: Record<string, string>): string {
  const { __name__: name, ...labels } = metric;
  const inner = Object.entries(labels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(', ');
  return `${name ?? ''}{${inner}}`;
}
