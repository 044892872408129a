/**
 * A time axis for the report's charts. A migration is bursts of work separated by long waits
 * (a night, a bake, an approval), so a purely linear axis squeezes every step into a hairline.
 * Idle gaps that are long (at least `minGapMs` and `minGapFraction` of the whole span) are
 * drawn as a fixed-width break, labelled with the time they stand for; everything else is
 * linear. The charts draw the breaks, so the reader always sees where time was cut.
 */

export interface ScaleSegment {
  t0: number;
  t1: number;
  x0: number;
  x1: number;
  /** A compressed idle gap (drawn as a break). */
  gap: boolean;
}

export interface Tick {
  t: number;
  x: number;
  label: string;
}

export interface TimeScale {
  t0: number;
  t1: number;
  x0: number;
  x1: number;
  segments: ScaleSegment[];
  gaps: ScaleSegment[];
  x(t: number): number;
  ticks: Tick[];
}

export interface ScaleOptions {
  gapWidth?: number;
  minGapMs?: number;
  minGapFraction?: number;
  /** Minimum distance between tick labels, in px. */
  tickSpacing?: number;
}

const NICE_STEPS = [
  1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000,
  10_800_000, 21_600_000, 43_200_000, 86_400_000, 172_800_000, 604_800_000,
];

export function buildTimeScale(intervals: readonly (readonly [number, number])[], x0: number, x1: number, options: ScaleOptions = {}): TimeScale {
  const gapWidth = options.gapWidth ?? 26;
  const minGapMs = options.minGapMs ?? 10 * 60_000;
  const minGapFraction = options.minGapFraction ?? 0.1;
  const valid = intervals.filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b)).map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as [number, number]);
  let t0 = valid.length > 0 ? Math.min(...valid.map(([a]) => a)) : 0;
  let t1 = valid.length > 0 ? Math.max(...valid.map(([, b]) => b)) : 1000;
  if (t1 - t0 < 1000) {
    // Less than a second (or a single instant): show one second so ticks make sense.
    const middle = (t0 + t1) / 2;
    t0 = Math.floor(middle - 500);
    t1 = t0 + 1000;
  }
  const total = t1 - t0;

  // Busy blocks: merged intervals.
  const sorted = [...valid].sort((a, b) => a[0] - b[0]);
  const blocks: [number, number][] = [];
  for (const [a, b] of sorted) {
    const current = blocks.at(-1);
    if (current && a <= current[1]) current[1] = Math.max(current[1], b);
    else blocks.push([a, b]);
  }
  const gaps: [number, number][] = [];
  for (let i = 1; i < blocks.length; i++) {
    const start = (blocks[i - 1] as [number, number])[1];
    const end = (blocks[i] as [number, number])[0];
    if (end - start >= minGapMs && end - start >= minGapFraction * total) gaps.push([start, end]);
  }
  const width = x1 - x0;
  // Never let breaks eat more than a third of the width.
  const usableGaps =
    gaps.length * gapWidth > width / 3
      ? gaps
          .sort((a, b) => b[1] - b[0] - (a[1] - a[0]))
          .slice(0, Math.floor(width / 3 / gapWidth))
          .sort((a, b) => a[0] - b[0])
      : gaps;
  const busyTime = total - usableGaps.reduce((n, [a, b]) => n + (b - a), 0);
  const busyWidth = width - usableGaps.length * gapWidth;

  const segments: ScaleSegment[] = [];
  let cursorT = t0;
  let cursorX = x0;
  const busyCount = usableGaps.length + 1;
  const pushBusy = (end: number) => {
    const duration = end - cursorT;
    const w = busyTime > 0 ? (duration / busyTime) * busyWidth : busyWidth / busyCount;
    segments.push({ t0: cursorT, t1: end, x0: cursorX, x1: cursorX + w, gap: false });
    cursorX += w;
    cursorT = end;
  };
  for (const [a, b] of usableGaps) {
    pushBusy(a);
    segments.push({ t0: a, t1: b, x0: cursorX, x1: cursorX + gapWidth, gap: true });
    cursorX += gapWidth;
    cursorT = b;
  }
  pushBusy(t1);

  const x = (t: number): number => {
    if (t <= t0) return x0;
    if (t >= t1) return x1;
    for (const s of segments) {
      if (t >= s.t0 && t <= s.t1) return s.t1 === s.t0 ? s.x0 : s.x0 + ((t - s.t0) / (s.t1 - s.t0)) * (s.x1 - s.x0);
    }
    return x1;
  };

  const spacing = options.tickSpacing ?? 90;
  const ticks: Tick[] = [];
  const withDate = new Date(t0).toISOString().slice(0, 10) !== new Date(t1).toISOString().slice(0, 10);
  for (const s of segments.filter((seg) => !seg.gap)) {
    const w = s.x1 - s.x0;
    const duration = s.t1 - s.t0;
    if (w < 1) continue;
    const wanted = Math.max(1, Math.floor(w / spacing));
    const step = NICE_STEPS.find((candidate) => duration / candidate <= wanted) ?? (NICE_STEPS.at(-1) as number);
    const candidates = [s.t0, ...range(Math.ceil(s.t0 / step) * step, s.t1, step)];
    for (const t of candidates) {
      const tx = x(t);
      const previous = ticks.at(-1);
      if (previous && tx - previous.x < spacing * 0.8) continue;
      if (x1 - tx < spacing * 0.4 && t !== s.t0) continue;
      ticks.push({ t, x: tx, label: tickLabel(t, step, withDate) });
    }
  }
  return { t0, t1, x0, x1, segments, gaps: segments.filter((s) => s.gap), x, ticks };
}

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let t = from; t <= to && out.length < 1000; t += step) out.push(t);
  return out;
}

function tickLabel(t: number, step: number, withDate: boolean): string {
  const iso = new Date(t).toISOString();
  const date = iso.slice(5, 10);
  const time = step < 1000 ? iso.slice(11, 23) : step < 60_000 ? iso.slice(11, 19) : iso.slice(11, 16);
  return withDate ? `${date} ${time}` : time;
}
