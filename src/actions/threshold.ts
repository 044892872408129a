/** Metric values against `max:` / `min:`: the verdict and the words for it. */
import type { Threshold } from '../runbook/metric-types.js';
export { boundsOf } from '../runbook/metric-types.js';

/** Up to 6 significant digits, without exponent noise for ordinary values: 0.0123, 812.5, 1.23457e+9. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  return String(Number(value.toPrecision(6)));
}

export function describeThreshold(threshold: Threshold): string {
  const parts: string[] = [];
  if (threshold.min !== undefined) parts.push(`>= ${formatValue(threshold.min)}`);
  if (threshold.max !== undefined) parts.push(`<= ${formatValue(threshold.max)}`);
  return parts.join(' and ');
}

/** undefined: within the threshold; otherwise why not (`above max 0.8`). NaN is never within. */
export function breach(value: number, threshold: Threshold): string | undefined {
  if (Number.isNaN(value)) return 'not a number (NaN), which no threshold accepts';
  if (threshold.max !== undefined && value > threshold.max) return `above max ${formatValue(threshold.max)}`;
  if (threshold.min !== undefined && value < threshold.min) return `below min ${formatValue(threshold.min)}`;
  return undefined;
}

