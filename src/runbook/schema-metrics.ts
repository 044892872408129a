/**
 * The metric checks' schemas: cloudwatchAlarm, cloudwatchMetric, prometheus. A factory, so
 * that schema.ts hands in its shared pieces (strict objects with "did you mean", durations,
 * retryFor/interval) without an import cycle.
 */
import { z } from 'zod';
import { parseDuration } from './duration.js';

interface Pieces<R extends z.ZodRawShape> {
  strict: <T extends z.ZodRawShape>(shape: T, where: string) => z.ZodObject<T, z.core.$strict>;
  duration: z.ZodType<string>;
  retryFields: R;
}

/** CloudWatch statistics: the five basic ones, percentiles (p99, p99.9) and the other extended statistics. */
export const STATISTIC_PATTERN =
  '^(SampleCount|Average|Sum|Minimum|Maximum|IQM|(p|tm|wm|tc|ts)\\d{1,2}(\\.\\d+)?|(p|tm|wm|tc|ts)100|(TM|WM|TC|TS|PR)\\(.+\\))$';
/** Metric math ids: a lower-case letter, then letters, digits and _. */
export const METRIC_ID_PATTERN = '^[a-z][a-zA-Z0-9_]*$';
/** The id cutover gives the expression itself in GetMetricData. */
export const EXPRESSION_ID = 'cutover';

/** CloudWatch periods are 1, 5, 10, 20 or 30 seconds, or a multiple of 60 seconds. */
export function isCloudwatchPeriod(ms: number): boolean {
  return [1_000, 5_000, 10_000, 20_000, 30_000].includes(ms) || (ms > 0 && ms % 60_000 === 0);
}

const thresholdFields = {
  max: z.number({ error: 'max is a number: the highest value that passes' }).optional().meta({ description: 'The check fails when the value is above this' }),
  min: z.number({ error: 'min is a number: the lowest value that passes' }).optional().meta({ description: 'The check fails when the value is below this' }),
};

const hasThreshold = (value: { max?: number; min?: number }) => value.max !== undefined || value.min !== undefined;
const THRESHOLD_MESSAGE = 'give a threshold: "max: <number>" (fails above it), "min: <number>" (fails below it), or both';

const missingData = (what: string) => z.enum(['fail', 'pass'], { error: `${what} is "fail" or "pass"` });

export function metricCheckSchemas<R extends z.ZodRawShape>({ strict, duration, retryFields }: Pieces<R>) {
  const statistic = z
    .string()
    .regex(new RegExp(STATISTIC_PATTERN), {
      error: (issue) =>
        `"${String(issue.input)}" is not a CloudWatch statistic; use Average, Sum, Minimum, Maximum, SampleCount, or a percentile such as p99 or p99.9`,
    })
    .optional()
    .meta({ description: 'Average (default), Sum, Minimum, Maximum, SampleCount, a percentile (p99, p99.9) or another extended statistic (tm90, IQM)' });
  const metricFields = {
    namespace: z.string().min(1).meta({ description: 'Metric namespace, e.g. AWS/ApplicationELB' }),
    name: z.string().min(1).meta({ description: 'Metric name, e.g. HTTPCode_Target_5XX_Count' }),
    dimensions: z
      .record(z.string().min(1), z.string())
      .optional()
      .meta({ description: 'Dimension name: value, e.g. {TargetGroup: targetgroup/green/0123456789abcdef}' }),
    statistic,
    unit: z.string().min(1).optional().meta({ description: 'Only datapoints published with this unit (default: any)' }),
  };
  const period = duration.refine((text) => isCloudwatchPeriod(parseDuration(text) ?? 0), {
    error: 'a CloudWatch period is 1s, 5s, 10s, 20s, 30s or a whole number of minutes',
  });

  const cloudwatchAlarm = strict(
    {
      cloudwatchAlarm: strict(
        {
          alarms: z
            .array(z.string().min(1), { error: 'alarms is a list of alarm names' })
            .min(1, { error: 'alarms needs at least one name' })
            .max(100, { error: 'at most 100 alarm names (DescribeAlarms takes 100); use prefix for more' })
            .optional()
            .meta({ description: 'Alarm names; every one must exist and be OK' }),
          prefix: z.string().min(1).optional().meta({ description: 'Every alarm whose name starts with this must be OK (at least one must exist)' }),
          insufficientData: missingData('insufficientData')
            .optional()
            .meta({ description: 'What an alarm in INSUFFICIENT_DATA counts as: fail (default) or pass' }),
        },
        'cloudwatchAlarm',
      ).refine((value) => (value.alarms === undefined) !== (value.prefix === undefined), {
        error: 'cloudwatchAlarm takes either "alarms: [name, ...]" or "prefix: <name prefix>", exactly one',
      }),
      ...retryFields,
    },
    'a cloudwatchAlarm check',
  );

  const cloudwatchMetric = strict(
    {
      cloudwatchMetric: strict(
        {
          namespace: metricFields.namespace.optional(),
          name: metricFields.name.optional(),
          dimensions: metricFields.dimensions,
          statistic: metricFields.statistic,
          unit: metricFields.unit,
          expression: z.string().min(1).optional().meta({ description: 'A metric math expression over the ids of `metrics`, e.g. 100 * errors / requests' }),
          metrics: z
            .record(
              z.string().regex(new RegExp(METRIC_ID_PATTERN), { error: 'a metric id starts with a lower-case letter, then letters, digits and _' }),
              strict(metricFields, 'a metric of cloudwatchMetric.metrics'),
            )
            .optional()
            .meta({ description: 'The metrics the expression uses, by id: {errors: {namespace, name, dimensions, statistic}}' }),
          last: duration.meta({ description: 'The window: the last 5m (ending at the last full minute)' }),
          period: period.optional().meta({ description: 'Period of each datapoint (default: the whole window, one value)' }),
          noData: missingData('noData').optional().meta({ description: 'What no datapoint in the window counts as: fail (default) or pass' }),
          ...thresholdFields,
        },
        'cloudwatchMetric',
      ).refine(hasThreshold, { error: THRESHOLD_MESSAGE }),
      ...retryFields,
    },
    'a cloudwatchMetric check',
  );

  const prometheus = strict(
    {
      prometheus: strict(
        {
          url: z.string().min(1).meta({ description: 'Base URL of the Prometheus HTTP API, e.g. http://prometheus:9090 (cutover adds /api/v1/query)' }),
          query: z
            .string()
            .min(1, { error: 'query needs a PromQL expression' })
            .meta({ description: 'A PromQL instant query that answers one value (a scalar or a one-element vector)' }),
          headers: z
            .record(z.string(), z.string())
            .optional()
            .meta({ description: 'Request headers, e.g. {Authorization: "Bearer ${env.PROM_TOKEN}"} with PROM_TOKEN listed under secrets' }),
          timeout: duration.optional().meta({ description: 'Timeout of the request (default 10s)' }),
          ...thresholdFields,
        },
        'prometheus',
      ).refine(hasThreshold, { error: THRESHOLD_MESSAGE }),
      ...retryFields,
    },
    'a prometheus check',
  );

  return { cloudwatchAlarm, cloudwatchMetric, prometheus };
}
