/** Durations in runbooks: `500ms`, `30s`, `15m`, `1h30m`, `2d`. A unit is always required. */
export const DURATION_PATTERN = '^(\\d+d)?(\\d+h)?(\\d+m)?(\\d+s)?(\\d+ms)?$';
const DURATION_RE = new RegExp(DURATION_PATTERN);
const UNIT_MS: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000, ms: 1 };

/**
 * The longest duration a runbook may give. Timers of any length work (support/clock.ts:
 * a month-long bake is plausible), but beyond a year a duration is surely a typo, and
 * beyond Date's range the arithmetic on it breaks.
 */
export const MAX_DURATION_MS = 365 * 86_400_000;

/** Returns milliseconds, or undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  if (text === '' || !DURATION_RE.test(text)) return undefined;
  let total = 0;
  for (const match of text.matchAll(/(\d+)(ms|d|h|m|s)/g)) {
    total += Number(match[1]) * (UNIT_MS[match[2] as string] ?? 0);
  }
  return total;
}

export function isDuration(text: string): boolean {
  return parseDuration(text) !== undefined;
}

/** Renders milliseconds back in the runbook's notation, largest units first. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const unit of ['d', 'h', 'm', 's', 'ms'] as const) {
    const size = UNIT_MS[unit] as number;
    const count = Math.floor(rest / size);
    if (count > 0) {
      out += `${count}${unit}`;
      rest -= count * size;
    }
  }
  return out;
}
