/**
 * Rules of the metric checks that need more than one field: what a cloudwatchMetric
 * queries (a metric or an expression, not both), its window against its period, and a
 * Prometheus credential written into the runbook.
 */
import type { Severity } from './diagnostics.js';
import { parseDuration } from './duration.js';
import { findReferences } from './interpolate.js';
import { EXPRESSION_ID, isCloudwatchPeriod } from './schema-metrics.js';
import type { PathSegment } from './source.js';

type Reporter = (path: readonly PathSegment[], rule: string, message: string, part?: 'key' | 'value', severity?: Severity) => void;
type Raw = Record<string, unknown>;

const isRecord = (value: unknown): value is Raw => typeof value === 'object' && value !== null && !Array.isArray(value);

export function checkMetricChecks(check: unknown, path: PathSegment[], report: Reporter): void {
  const checks = Array.isArray(check) ? check : [check];
  checks.forEach((item, i) => {
    if (!isRecord(item)) return;
    const at = (...rest: PathSegment[]) => (Array.isArray(check) ? [...path, i, ...rest] : [...path, ...rest]);
    if (isRecord(item.cloudwatchMetric)) checkCloudwatchMetric(item.cloudwatchMetric, (...rest) => at('cloudwatchMetric', ...rest), report);
    if (isRecord(item.prometheus)) checkPrometheusHeaders(item.prometheus, (...rest) => at('prometheus', ...rest), report);
  });
}

function checkCloudwatchMetric(metric: Raw, at: (...rest: PathSegment[]) => PathSegment[], report: Reporter): void {
  const single = metric.namespace !== undefined || metric.name !== undefined;
  const expression = metric.expression !== undefined || metric.metrics !== undefined;
  if (single && expression) {
    report(
      at(),
      'cloudwatch-metric',
      'cloudwatchMetric takes either one metric (namespace, name, dimensions, statistic) or "expression" with its "metrics", not both',
      'key',
    );
  } else if (!single && !expression) {
    report(at(), 'cloudwatch-metric', 'cloudwatchMetric needs a metric ("namespace" and "name") or an "expression" with its "metrics"', 'key');
  } else if (single) {
    for (const key of ['namespace', 'name'])
      if (metric[key] === undefined)
        report(at(), 'cloudwatch-metric', `cloudwatchMetric needs "${key}" next to "${key === 'name' ? 'namespace' : 'name'}"`, 'key');
  } else {
    if (metric.expression === undefined)
      report(
        at('metrics'),
        'cloudwatch-metric',
        '"metrics" without "expression": add the expression that combines them, e.g. expression: "100 * errors / requests"',
        'key',
      );
    if (metric.metrics === undefined) report(at('expression'), 'cloudwatch-metric', '"expression" needs "metrics": the metrics it uses, by id', 'key');
    if (isRecord(metric.metrics)) {
      if (EXPRESSION_ID in metric.metrics)
        report(
          at('metrics', EXPRESSION_ID),
          'cloudwatch-metric',
          `"${EXPRESSION_ID}" is the id cutover gives the expression itself; name this metric otherwise`,
          'key',
        );
      const expressionText = typeof metric.expression === 'string' ? metric.expression : '';
      for (const id of Object.keys(metric.metrics)) {
        if (expressionText && !new RegExp(`\\b${id}\\b`).test(expressionText))
          report(at('metrics', id), 'cloudwatch-metric', `metric "${id}" is not used by the expression`, 'key', 'warning');
      }
    }
    for (const key of ['dimensions', 'statistic', 'unit']) {
      if (metric[key] !== undefined) report(at(key), 'cloudwatch-metric', `with an expression, "${key}" goes into each metric under "metrics"`, 'key');
    }
  }
  const last = typeof metric.last === 'string' ? parseDuration(metric.last) : undefined;
  const period = typeof metric.period === 'string' ? parseDuration(metric.period) : undefined;
  if (last !== undefined && period !== undefined && isCloudwatchPeriod(period)) {
    if (period > last)
      report(
        at('period'),
        'cloudwatch-metric',
        `the period (${String(metric.period)}) is longer than the window (last: ${String(metric.last)}); a window holds whole periods`,
      );
    else if (last % period !== 0)
      report(
        at('last'),
        'cloudwatch-metric',
        `the window (${String(metric.last)}) is not a whole number of periods (${String(metric.period)}); the first period would be cut`,
        'value',
        'warning',
      );
  }
  if (last !== undefined && period === undefined && last % 60_000 !== 0 && ![1_000, 5_000, 10_000, 20_000, 30_000].includes(last)) {
    report(
      at('last'),
      'cloudwatch-metric',
      `without "period", the window is one period, and a CloudWatch period is 1s, 5s, 10s, 20s, 30s or whole minutes; write last: ${Math.max(1, Math.round(last / 60_000))}m or give a period`,
    );
  }
}

/** An auth header written in clear in the runbook would be journaled and shown: it must come from a secret. */
function checkPrometheusHeaders(prometheus: Raw, at: (...rest: PathSegment[]) => PathSegment[], report: Reporter): void {
  if (!isRecord(prometheus.headers)) return;
  for (const [name, value] of Object.entries(prometheus.headers)) {
    if (typeof value !== 'string' || !/^(authorization|proxy-authorization|x-api-key|x-scope-orgid-token|cookie)$/i.test(name)) continue;
    const hasReference = findReferences(value).some((reference) => reference.kind !== 'malformed');
    if (!hasReference) {
      report(
        at('headers', name),
        'literal-credential',
        `the ${name} header is written in the runbook; take it from a secret: "\${env.NAME}" with NAME under "secrets:", or a variable declared "secret: true"`,
        'value',
        'warning',
      );
    }
  }
}
