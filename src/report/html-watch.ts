/**
 * The report's "Watched metrics" charts: per step, bake window and metric check, a
 * sparkline of the values each watch evaluation saw, over the bake window, with the
 * threshold as a dashed line. Inline SVG with a title and a description; outcomes differ by
 * marker shape as well as colour (a circle passed, a cross failed, a hollow square: no value).
 */
import { formatTime } from './format.js';
import type { WatchMetricSeries } from './watch-metrics.js';

interface Palette {
  ok: string;
  bad: string;
  line: string;
  band: string;
}

const W = 640;
const H = 120;
const LEFT = 64;
const RIGHT = W - 16;
const TOP = 14;
const BOTTOM = H - 26;

export function watchMetricsHtml(series: readonly WatchMetricSeries[], esc: (text: unknown) => string, palette: Palette): string {
  if (series.length === 0) return '<p>No metric check (cloudwatchAlarm, cloudwatchMetric, prometheus) was evaluated as a watch during a bake.</p>';
  const intro =
    "<p>The value each watch evaluation saw, over the step's bake window (shaded), against the threshold (dashed). A filled circle passed, a cross failed, a hollow square had no value (no datapoints, an empty result).</p>";
  return `${intro}\n${series.map((s, i) => sparkline(s, i, esc, palette)).join('\n')}`;
}

function sparkline(series: WatchMetricSeries, index: number, esc: (text: unknown) => string, palette: Palette): string {
  const id = `watch-metric-${index}`;
  const times = series.points.map((p) => Date.parse(p.ts));
  const bakeStart = series.bake ? Date.parse(series.bake.start) : Math.min(...times);
  const bakeEnd = series.bake ? Date.parse(series.bake.end) : Math.max(...times);
  const t0 = Math.min(bakeStart, ...times);
  const t1 = Math.max(bakeEnd, ...times, t0 + 1);
  const x = (t: number) => LEFT + ((t - t0) / (t1 - t0)) * (RIGHT - LEFT);
  const values = series.points.flatMap((p) => (p.value === null ? [] : [p.value]));
  const bounds = [...values, ...(series.max !== undefined ? [series.max] : []), ...(series.min !== undefined ? [series.min] : [])];
  let lo = Math.min(...bounds, 0);
  let hi = Math.max(...bounds, 0);
  if (hi === lo) hi = lo + 1;
  const pad = (hi - lo) * 0.08;
  lo -= lo === 0 ? 0 : pad;
  hi += pad;
  const y = (v: number) => BOTTOM - ((v - lo) / (hi - lo)) * (BOTTOM - TOP);
  const last = series.points.at(-1);
  const threshold = [series.min !== undefined ? `min ${num(series.min)}` : '', series.max !== undefined ? `max ${num(series.max)}` : '']
    .filter(Boolean)
    .join(', ');
  const failed = series.points.filter((p) => !p.ok).length;
  const desc = `${series.points.length} watch evaluations of ${series.check} during the bake of ${series.step}${series.bake ? ` from ${formatTime(series.bake.start)} to ${formatTime(series.bake.end)}` : ''}; threshold ${threshold || 'none'}; ${failed} failed; values: ${series.points.map((p) => `${formatTime(p.ts)} ${p.value === null ? 'no value' : num(p.value)}`).join(', ')}.`;

  const parts: string[] = [];
  parts.push(
    `<svg class="sparkline" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-labelledby="${id}-title ${id}-desc" preserveAspectRatio="xMinYMin meet">`,
  );
  parts.push(`<title id="${id}-title">${esc(series.check)}: ${esc(series.step)}</title><desc id="${id}-desc">${esc(desc)}</desc>`);
  parts.push(
    `<rect x="${f(x(bakeStart))}" y="${TOP}" width="${f(Math.max(1, x(bakeEnd) - x(bakeStart)))}" height="${BOTTOM - TOP}" fill="${palette.band}" fill-opacity="0.18"/>`,
  );
  parts.push(`<path d="M${LEFT} ${BOTTOM}H${RIGHT}" stroke="#999" stroke-width="0.8"/>`);
  parts.push(
    `<text x="${LEFT - 6}" y="${f(y(hi) + 4)}" text-anchor="end" font-size="10" fill="#555">${esc(num(hi))}</text><text x="${LEFT - 6}" y="${f(y(lo) + 4)}" text-anchor="end" font-size="10" fill="#555">${esc(num(lo))}</text>`,
  );
  for (const [label, bound] of [
    ['max', series.max],
    ['min', series.min],
  ] as const) {
    if (bound === undefined) continue;
    parts.push(
      `<path d="M${LEFT} ${f(y(bound))}H${RIGHT}" stroke="${palette.bad}" stroke-width="1.2" stroke-dasharray="5 3"/><text x="${RIGHT}" y="${f(y(bound) - 3)}" text-anchor="end" font-size="10" fill="${palette.bad}">${label} ${esc(num(bound))}</text>`,
    );
  }
  // The line breaks where an evaluation had no value.
  let path = '';
  let pen = false;
  for (const p of series.points) {
    if (p.value === null) {
      pen = false;
      continue;
    }
    path += `${pen ? 'L' : 'M'}${f(x(Date.parse(p.ts)))} ${f(y(p.value))}`;
    pen = true;
  }
  if (path) parts.push(`<path d="${path}" fill="none" stroke="${palette.line}" stroke-width="1.6"/>`);
  for (const p of series.points) {
    const px = x(Date.parse(p.ts));
    const tip = `<title>${esc(`${formatTime(p.ts)}: ${p.value === null ? 'no value' : num(p.value)} (${p.ok ? 'ok' : 'failed'})`)}</title>`;
    if (p.value === null)
      parts.push(
        `<g class="point none"><rect x="${f(px - 3.5)}" y="${BOTTOM - 3.5}" width="7" height="7" fill="#fff" stroke="${p.ok ? palette.ok : palette.bad}" stroke-width="1.4"/>${tip}</g>`,
      );
    else if (p.ok) parts.push(`<g class="point ok"><circle cx="${f(px)}" cy="${f(y(p.value))}" r="3.6" fill="${palette.ok}" stroke="#fff"/>${tip}</g>`);
    else
      parts.push(
        `<g class="point failed"><path d="M${f(px - 4)} ${f(y(p.value) - 4)}L${f(px + 4)} ${f(y(p.value) + 4)}M${f(px + 4)} ${f(y(p.value) - 4)}L${f(px - 4)} ${f(y(p.value) + 4)}" stroke="${palette.bad}" stroke-width="2.2"/>${tip}</g>`,
      );
  }
  parts.push(
    `<text x="${LEFT}" y="${H - 8}" font-size="10" fill="#555">${esc(formatTime(new Date(t0).toISOString()))}</text><text x="${RIGHT}" y="${H - 8}" text-anchor="end" font-size="10" fill="#555">${esc(formatTime(new Date(t1).toISOString()))}</text>`,
  );
  parts.push('</svg>');
  const caption = `<figcaption><code>${esc(series.step)}</code>${series.attempt !== undefined && series.attempt > 1 ? ` (attempt ${series.attempt})` : ''}: ${esc(series.check)}${series.window ? `, ${esc(series.window)}` : ''}; ${series.points.length} evaluation${series.points.length === 1 ? '' : 's'}, ${failed} failed; last ${last ? esc(last.value === null ? 'no value' : num(last.value)) : '-'}${threshold ? ` (${esc(threshold)})` : ''}</figcaption>`;
  const rows = series.points
    .map(
      (p) =>
        `<tr><td><time datetime="${esc(p.ts)}">${esc(formatTime(p.ts))}</time></td><td>${esc(p.value === null ? 'no value' : num(p.value))}</td><td>${p.ok ? '<span aria-hidden="true">✓</span> ok' : '<span aria-hidden="true">✗</span> failed'}</td></tr>`,
    )
    .join('\n');
  const table = `<div class="table-wrap"><table class="watch-values">\n<caption>${esc(`Watch values of ${series.check} during the bake of ${series.step}`)}</caption>\n<thead><tr><th scope="col">Time</th><th scope="col">Value</th><th scope="col">Verdict</th></tr></thead>\n<tbody>\n${rows}\n</tbody>\n</table></div>`;
  // Each chart is followed by a table of the same data, as every chart of the report.
  return `<figure class="chart watch-metric" id="${id}">\n${parts.join('')}\n${caption}\n</figure>\n${table}`;
}

function num(value: number): string {
  return String(Number(value.toPrecision(4)));
}

function f(n: number): string {
  return (Math.round(n * 10) / 10).toString();
}
