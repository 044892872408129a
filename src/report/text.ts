/**
 * The report's timeline as terminal text (for `cutover status --watch`): one row per step,
 * time from left to right on the same axis as the HTML chart (long idle gaps drawn as `┊`).
 * Every kind of item has its own character, so colour is optional and never the only cue.
 */
import { formatTime } from './format.js';
import type { ReportModel, TimelineItem } from './model.js';
import { buildTimeScale } from './scale.js';

export type TextStyle = 'green' | 'red' | 'yellow' | 'cyan' | 'dim' | 'bold';

export interface TextTimelineOptions {
  /** Total width in columns. */
  width: number;
  /** Colours a run of characters (identity when colours are off). */
  paint?: (style: TextStyle, text: string) => string;
}

const GLYPHS: { match: (i: TimelineItem) => boolean; glyph: string; style?: TextStyle; legend: string }[] = [
  { match: (i) => i.kind === 'step' && i.outcome === 'succeeded', glyph: '█', style: 'green', legend: 'succeeded' },
  { match: (i) => i.kind === 'step' && i.outcome === 'failed', glyph: 'X', style: 'red', legend: 'failed' },
  { match: (i) => i.kind === 'step' && i.outcome === 'interrupted', glyph: '/', style: 'yellow', legend: 'interrupted' },
  { match: (i) => i.kind === 'step' && i.outcome === 'unfinished', glyph: '>', style: 'cyan', legend: 'running' },
  { match: (i) => i.kind === 'step' && i.outcome === 'skipped', glyph: 's', style: 'dim', legend: 'skipped' },
  { match: (i) => i.kind === 'rollback', glyph: '<', style: 'yellow', legend: 'rollback' },
  { match: (i) => i.kind === 'bake', glyph: '░', style: 'cyan', legend: 'bake' },
  { match: (i) => i.kind === 'approval', glyph: 'A', style: 'bold', legend: 'approval' },
  { match: (i) => i.kind === 'decision', glyph: '?', style: 'bold', legend: 'decision' },
  { match: (i) => i.kind === 'watch' && i.outcome === 'ok', glyph: '+', style: 'green', legend: 'watch ok' },
  { match: (i) => i.kind === 'watch', glyph: '!', style: 'red', legend: 'watch failed' },
  { match: (i) => i.kind === 'run', glyph: '═', style: 'dim', legend: 'command' },
];

/** Draw order: bands first, bars over them, points last. */
const LAYER: Record<TimelineItem['kind'], number> = { bake: 0, run: 1, step: 1, rollback: 1, watch: 2, approval: 2, decision: 2 };

export function renderTextTimeline(model: ReportModel, options: TextTimelineOptions): string[] {
  const paint = options.paint ?? ((_style: TextStyle, text: string) => text);
  const byLane = new Map<string | undefined, TimelineItem[]>();
  for (const item of model.timeline) {
    const list = byLane.get(item.step);
    if (list) list.push(item);
    else byLane.set(item.step, [item]);
  }
  const lanes: { label: string; items: TimelineItem[] }[] = [];
  const runItems = byLane.get(undefined) ?? [];
  if (runItems.length > 0) lanes.push({ label: 'runs', items: runItems });
  for (const step of model.steps) lanes.push({ label: step.id, items: byLane.get(step.id) ?? [] });
  if (model.timeline.length === 0) return ['(nothing journaled yet)'];

  const labelWidth = Math.min(24, Math.max(5, ...lanes.map((l) => l.label.length)));
  const cols = Math.max(10, options.width - labelWidth - 2);
  const scale = buildTimeScale(
    model.timeline.map((i) => [Date.parse(i.start), Date.parse(i.end ?? i.start)] as const),
    0,
    cols,
    { gapWidth: 2, tickSpacing: 1e9 },
  );
  const col = (t: number) => Math.min(cols - 1, Math.max(0, Math.floor(scale.x(t))));
  const gapCols = new Set<number>();
  for (const gap of scale.gaps) for (let c = Math.floor(gap.x0); c < Math.ceil(gap.x1) && c < cols; c++) gapCols.add(c);

  const lines: string[] = [];
  const start = formatTime(new Date(scale.t0).toISOString());
  const end = formatTime(new Date(scale.t1).toISOString());
  const axis = `${start} ${'─'.repeat(Math.max(1, cols - start.length - end.length - 2))} ${end}`;
  lines.push(`${' '.repeat(labelWidth)}  ${paint('dim', axis.slice(0, cols + 1))}`);
  for (const lane of lanes) {
    const cells: { glyph: string; style?: TextStyle }[] = Array.from({ length: cols }, (_, c) => ({ glyph: gapCols.has(c) ? '┊' : ' ' }));
    for (const item of [...lane.items].sort((a, b) => LAYER[a.kind] - LAYER[b.kind])) {
      const glyph = GLYPHS.find((g) => g.match(item));
      if (!glyph) continue;
      const from = col(Date.parse(item.start));
      const to = item.end && LAYER[item.kind] < 2 ? col(Date.parse(item.end)) : from;
      for (let c = from; c <= to; c++) cells[c] = { glyph: glyph.glyph, ...(glyph.style ? { style: glyph.style } : {}) };
    }
    // Runs of one style are painted together: one pair of colour codes per run, not per cell.
    let row = '';
    for (let c = 0; c < cells.length;) {
      const style = cells[c]?.style;
      let text = '';
      while (c < cells.length && cells[c]?.style === style) text += (cells[c++] as { glyph: string }).glyph;
      row += style ? paint(style, text) : text;
    }
    const label = lane.label.length > labelWidth ? `${lane.label.slice(0, labelWidth - 1)}…` : lane.label.padEnd(labelWidth);
    lines.push(`${label}  ${row.replace(/\s+$/, '')}`);
  }
  // The legend, wrapped to the width (measured without colour codes).
  const entries = [
    ...GLYPHS.map((g) => ({ plain: `${g.glyph} ${g.legend}`, shown: `${g.style ? paint(g.style, g.glyph) : g.glyph} ${g.legend}` })),
    ...(scale.gaps.length > 0 ? [{ plain: '┊ idle gap', shown: '┊ idle gap' }] : []),
  ];
  let plain = '';
  let shown = '';
  for (const entry of entries) {
    if (plain !== '' && labelWidth + 2 + plain.length + 2 + entry.plain.length > options.width) {
      lines.push(`${' '.repeat(labelWidth)}  ${shown}`);
      plain = '';
      shown = '';
    }
    plain += `${plain ? '  ' : ''}${entry.plain}`;
    shown += `${shown ? '  ' : ''}${entry.shown}`;
  }
  if (plain) lines.push(`${' '.repeat(labelWidth)}  ${shown}`);
  return lines;
}
