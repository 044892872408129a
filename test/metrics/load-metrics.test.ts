/** The metric checks in the runbook format: resolved with defaults, and every shape mistake found with its position. */
import { describe, expect, it } from 'vitest';
import { describeCheck } from '../../src/runbook/describe.js';
import { loadRunbookText } from '../../src/runbook/load.js';
import type { LoadResult } from '../../src/runbook/load.js';

const runbook = (checks: string, extra = '') => `cutover: 1
name: t
${extra}steps:
  - id: a
    run: echo hi
    rollback: none
    irreversible: prints
    verify:
${checks}
`;

function load(text: string, env: Record<string, string> = {}): LoadResult {
  return loadRunbookText('rb.yaml', text, { env });
}

function problems(result: LoadResult) {
  return result.diagnostics.map(({ line, col, severity, rule, message }) => ({ at: `${line}:${col}`, severity, rule, message }));
}

describe('metric checks: resolved', () => {
  it('applies the defaults and interpolates every value', () => {
    const result = load(
      runbook(
        `      - cloudwatchAlarm: { alarms: ["\${svc}-5xx", "\${svc}-latency"] }
      - cloudwatchAlarm: { prefix: "\${svc}-", insufficientData: pass }
        retryFor: 2m
      - cloudwatchMetric:
          namespace: AWS/ApplicationELB
          name: TargetResponseTime
          dimensions: { TargetGroup: "targetgroup/\${svc}/abc" }
          statistic: p99
          last: 5m
          max: 0.8
      - cloudwatchMetric:
          expression: 100 * errors / requests
          metrics:
            errors: { namespace: AWS/ApplicationELB, name: HTTPCode_Target_5XX_Count, statistic: Sum }
            requests: { namespace: AWS/ApplicationELB, name: RequestCount, statistic: Sum }
          last: 10m
          period: 1m
          min: 0
          max: 1
          noData: pass
      - prometheus:
          url: http://prom:9090/
          query: sum(rate(errors_total{service="\${svc}"}[5m]))
          headers: { Authorization: "Bearer \${env.PROM_TOKEN}" }
          max: 0.5`,
        'vars: { svc: green }\nsecrets: [PROM_TOKEN]\n',
      ),
      { PROM_TOKEN: 's3cr3t-token' },
    );
    expect(problems(result)).toEqual([]);
    if (!result.ok) return;
    const verify = result.runbook.steps[0]?.verify;
    expect(verify).toEqual([
      { kind: 'cloudwatchAlarm', alarms: ['green-5xx', 'green-latency'], insufficientData: 'fail' },
      { kind: 'cloudwatchAlarm', prefix: 'green-', insufficientData: 'pass', retry: { forMs: 120_000, intervalMs: 10_000 } },
      {
        kind: 'cloudwatchMetric',
        query: {
          kind: 'metric',
          metric: { namespace: 'AWS/ApplicationELB', name: 'TargetResponseTime', dimensions: { TargetGroup: 'targetgroup/green/abc' }, statistic: 'p99' },
        },
        lastMs: 300_000,
        periodMs: 300_000,
        noData: 'fail',
        max: 0.8,
      },
      {
        kind: 'cloudwatchMetric',
        query: {
          kind: 'expression',
          expression: '100 * errors / requests',
          metrics: {
            errors: { namespace: 'AWS/ApplicationELB', name: 'HTTPCode_Target_5XX_Count', dimensions: {}, statistic: 'Sum' },
            requests: { namespace: 'AWS/ApplicationELB', name: 'RequestCount', dimensions: {}, statistic: 'Sum' },
          },
        },
        lastMs: 600_000,
        periodMs: 60_000,
        noData: 'pass',
        min: 0,
        max: 1,
      },
      {
        kind: 'prometheus',
        url: 'http://prom:9090/',
        query: 'sum(rate(errors_total{service="green"}[5m]))',
        headers: { Authorization: 'Bearer s3cr3t-token' },
        timeoutMs: 10_000,
        max: 0.5,
      },
    ]);
    // What plan shows: every check resolved, never a header value.
    expect(describeCheck(verify)).toEqual([
      'CloudWatch alarms green-5xx, green-latency must be OK (INSUFFICIENT_DATA fails)',
      'CloudWatch alarms named green-* must be OK (INSUFFICIENT_DATA passes) (retry for 2m every 10s)',
      'CloudWatch AWS/ApplicationELB TargetResponseTime p99 {TargetGroup=targetgroup/green/abc} over the last 5m must be <= 0.8',
      'CloudWatch expression "100 * errors / requests" with errors = AWS/ApplicationELB HTTPCode_Target_5XX_Count Sum; requests = AWS/ApplicationELB RequestCount Sum over the last 10m (period 1m) must be >= 0 and <= 1, no data passes',
      'Prometheus query "sum(rate(errors_total{service=\\"green\\"}[5m]))" at http://prom:9090/api/v1/query must be <= 0.5 (headers: Authorization)',
    ]);
  });
});

describe('metric checks: validation, with positions', () => {
  const cases: { name: string; checks: string; expected: { at: string; severity: string; rule: string; message: RegExp }[] }[] = [
    {
      name: 'alarms and prefix together',
      checks: '      - cloudwatchAlarm: { alarms: [a], prefix: b }',
      expected: [{ at: '9:26', severity: 'error', rule: 'invalid-value', message: /either "alarms: \[name, \.\.\.\]" or "prefix/ }],
    },
    {
      name: 'an unknown insufficientData verdict',
      checks: '      - cloudwatchAlarm: { alarms: [a], insufficientData: ok }',
      expected: [{ at: '9:59', severity: 'error', rule: 'invalid-value', message: /insufficientData is "fail" or "pass"/ }],
    },
    {
      name: 'a metric without a threshold, with a bad statistic and a bad period',
      checks: `      - cloudwatchMetric:
          namespace: AWS/ApplicationELB
          name: RequestCount
          statistic: P99
          period: 90s
          last: 5m`,
      expected: [
        { at: '10:11', severity: 'error', rule: 'invalid-value', message: /give a threshold/ },
        { at: '12:22', severity: 'error', rule: 'invalid-value', message: /"P99" is not a CloudWatch statistic/ },
        { at: '13:19', severity: 'error', rule: 'invalid-value', message: /a CloudWatch period is 1s, 5s, 10s, 20s, 30s or a whole number of minutes/ },
      ],
    },
    {
      name: 'no threshold',
      checks: '      - cloudwatchMetric: { namespace: N, name: M, last: 5m }',
      expected: [{ at: '9:27', severity: 'error', rule: 'invalid-value', message: /give a threshold: "max: <number>"/ }],
    },
    {
      name: 'a metric and an expression',
      checks: '      - cloudwatchMetric: { namespace: N, name: M, expression: "a * 2", metrics: { a: { namespace: N, name: M } }, last: 5m, max: 1 }',
      expected: [{ at: '9:9', severity: 'error', rule: 'cloudwatch-metric', message: /either one metric .* or "expression"/ }],
    },
    {
      name: 'an expression with the reserved id, a metric it does not use and a dimension outside',
      checks:
        '      - cloudwatchMetric: { expression: "a * 2", dimensions: { X: y }, metrics: { a: { namespace: N, name: M }, cutover: { namespace: N, name: M } }, last: 5m, max: 1 }',
      expected: [
        { at: '9:113', severity: 'error', rule: 'cloudwatch-metric', message: /"cutover" is the id cutover gives the expression/ },
        { at: '9:113', severity: 'warning', rule: 'cloudwatch-metric', message: /metric "cutover" is not used by the expression/ },
        { at: '9:50', severity: 'error', rule: 'cloudwatch-metric', message: /"dimensions" goes into each metric/ },
      ],
    },
    {
      name: 'a period longer than the window',
      checks: '      - cloudwatchMetric: { namespace: N, name: M, last: 1m, period: 5m, max: 1 }',
      expected: [{ at: '9:70', severity: 'error', rule: 'cloudwatch-metric', message: /the period \(5m\) is longer than the window/ }],
    },
    {
      name: 'a prometheus check without query, with a literal token',
      checks: '      - prometheus: { url: "http://p", headers: { Authorization: "Bearer abc" }, max: 1 }',
      expected: [
        { at: '9:21', severity: 'error', rule: 'missing-key', message: /missing required key "query"/ },
        { at: '9:66', severity: 'warning', rule: 'literal-credential', message: /the Authorization header is written in the runbook; take it from a secret/ },
      ],
    },
    {
      name: 'a typo in a key',
      checks: '      - prometheus: { url: "http://p", qeury: "up", max: 1 }',
      expected: [{ at: '9:40', severity: 'error', rule: 'unknown-key', message: /unknown key "qeury" in prometheus; did you mean "query"\?/ }],
    },
  ];
  it.each(cases)('$name', ({ checks, expected }) => {
    const result = load(runbook(checks));
    const found = problems(result);
    expect(found).toHaveLength(expected.length);
    for (const want of expected) {
      expect(found).toContainEqual({ at: want.at, severity: want.severity, rule: want.rule, message: expect.stringMatching(want.message) });
    }
  });
});
