/** One-line summaries of the metric checks, for plan, prompts and status: everything resolved, no header values. */
import { alarmLabel, describeThreshold, metricLabel, prometheusLabel, queryEndpoint, statLabel, windowLabel } from './metric-labels.js';
import type { MetricCheck } from './metric-types.js';

export function describeMetricCheck(check: MetricCheck): string {
  switch (check.kind) {
    case 'cloudwatchAlarm':
      return `${alarmLabel(check)} must be OK${check.insufficientData === 'pass' ? ' (INSUFFICIENT_DATA passes)' : ' (INSUFFICIENT_DATA fails)'}`;
    case 'cloudwatchMetric': {
      const { query } = check;
      const inputs =
        query.kind === 'expression'
          ? ` with ${Object.entries(query.metrics)
              .map(([id, metric]) => `${id} = ${statLabel(metric)}`)
              .join('; ')}`
          : '';
      const noData = check.noData === 'pass' ? ', no data passes' : '';
      return `${metricLabel(check)}${inputs} over the ${windowLabel(check)} must be ${describeThreshold(check)}${noData}`;
    }
    case 'prometheus': {
      // Header names only: their values are credentials.
      const headers = Object.keys(check.headers);
      return `${prometheusLabel(check)} at ${queryEndpoint(check.url)} must be ${describeThreshold(check)}${headers.length > 0 ? ` (headers: ${headers.join(', ')})` : ''}`;
    }
  }
}
