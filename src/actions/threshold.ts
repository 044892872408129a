/** Metric values against `max:` / `min:`: the verdict and the words for it. */
import type { Threshold } from '../runbook/metric-types.js';
export { boundsOf } from '../runbook/metric-types.js';
import { describeThreshold, formatValue } from '../runbook/metric-labels.js';
export { describeThreshold, formatValue };

/** undefined: within the threshold; otherwise why not (`above max 0.8`). NaN is never within. */
export function breach(value: number, threshold: Threshold): string | undefined {
  if (Number.isNaN(value)) return 'not a number (NaN), which no threshold accepts';
  if (threshold.max !== undefined && value > threshold.max) return `above max ${formatValue(threshold.max)}`;
  if (threshold.min !== undefined && value < threshold.min) return `below min ${formatValue(threshold.min)}`;
  return undefined;
}
