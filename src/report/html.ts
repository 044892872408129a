/**
 * The report as one self-contained HTML page: inline CSS and inline SVG only, no script, no
 * font, no image or stylesheet from anywhere (a Content-Security-Policy of `default-src
 * 'none'` says so to the browser too), so it opens offline, forever, and prints to PDF.
 *
 * Accessibility: semantic headings, sections and tables (captions, scoped headers); every
 * chart is an `role="img"` SVG with a title and a description, followed by a table of the
 * same data; colours come from the Okabe-Ito palette (distinguishable with the common colour
 * vision deficiencies) and never carry meaning alone: outcomes also differ by pattern, marker
 * shape or text, and weight series by dash pattern, marker and a direct label.
 */
import { formatPercent, formatSpan, formatTime, notChecked, shortHash } from './format.js';
import type { FailureItem, NotificationItem, ReportModel, StepSummary, TimelineItem, TrafficSeries } from './model.js';
import { approvalUse } from './model.js';
import { watchMetricsHtml } from './html-watch.js';
import { buildTimeScale } from './scale.js';
import type { TimeScale } from './scale.js';

/** Okabe & Ito (2008), "Color Universal Design". */
export const OKABE_ITO = {
  black: '#000000',
  orange: '#E69F00',
  skyBlue: '#56B4E9',
  bluishGreen: '#009E73',
  yellow: '#F0E442',
  blue: '#0072B2',
  vermillion: '#D55E00',
  reddishPurple: '#CC79A7',
} as const;

/** Weight series, in order of contrast on white (yellow last). */
const SERIES_COLOURS = [
  OKABE_ITO.blue,
  OKABE_ITO.vermillion,
  OKABE_ITO.bluishGreen,
  OKABE_ITO.reddishPurple,
  OKABE_ITO.orange,
  OKABE_ITO.skyBlue,
  OKABE_ITO.black,
  OKABE_ITO.yellow,
];
const SERIES_DASHES = ['', '7 4', '2 3', '9 3 2 3'];
const MARKERS = ['circle', 'square', 'triangle', 'diamond'] as const;

export function esc(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

const OUTCOME_TEXT: Record<ReportModel['outcome'], string> = {
  'not-started': 'Not started: the journal has no step yet',
  completed: 'Completed: every step is done',
  'in-progress': 'In progress (or cutover stopped): a step or rollback has no outcome yet',
  partial: 'Partly done: some steps remain',
  failed: 'Failed: a step failed and was not fixed',
  interrupted: 'Interrupted: a step was interrupted and has not been resumed',
  'rolled-back': 'Rolled back',
  'rollback-failed': 'Rollback failed: a human is needed',
};
const OUTCOME_SYMBOL: Record<ReportModel['outcome'], string> = {
  'not-started': '○',
  completed: '✓',
  'in-progress': '…',
  partial: '◐',
  failed: '✗',
  interrupted: '‖',
  'rolled-back': '↺',
  'rollback-failed': '✗',
};

export function renderHtml(model: ReportModel): string {
  const title = `Migration report: ${model.runbook.name}`;
  const sections: { id: string; title: string; html: string }[] = [
    { id: 'summary', title: 'Summary', html: summarySection(model) },
    { id: 'timeline', title: 'Timeline', html: timelineSection(model) },
    { id: 'traffic', title: 'Traffic weights', html: trafficSection(model) },
    {
      id: 'watch-metrics',
      title: 'Watched metrics',
      html: watchMetricsHtml(model.watchMetrics, esc, { ok: OKABE_ITO.bluishGreen, bad: OKABE_ITO.vermillion, line: OKABE_ITO.blue, band: OKABE_ITO.skyBlue }),
    },
    ...(model.items && model.items.length > 0 ? [{ id: 'items', title: 'Items', html: itemsSection(model.items) }] : []),
    { id: 'steps', title: 'Steps', html: stepsSection(model) },
    { id: 'failures', title: 'Failures and retries', html: failuresSection(model) },
    { id: 'decisions', title: 'Operator decisions and approvals', html: decisionsSection(model) },
    ...(model.notifications ? [{ id: 'notifications', title: 'Notifications', html: notificationsSection(model.notifications) }] : []),
    { id: 'rehearsal', title: 'Rehearsal evidence', html: rehearsalSection(model) },
    { id: 'runs', title: 'Runs', html: runsSection(model) },
    { id: 'about', title: 'About this report', html: aboutSection(model) },
  ];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; base-uri 'none'">
<meta name="referrer" content="no-referrer">
<meta name="generator" content="cutover report">
<title>${esc(title)} (${esc(model.outcome)})</title>
<style>${CSS}</style>
</head>
<body>
<a class="skip" href="#main">Skip to the report</a>
<header>
<h1>Migration report: <span class="name">${esc(model.runbook.name)}</span></h1>
${model.runbook.description ? `<p class="description">${esc(model.runbook.description)}</p>` : ''}
<p class="outcome outcome-${esc(model.outcome)}"><span aria-hidden="true">${OUTCOME_SYMBOL[model.outcome]}</span> <strong>${esc(OUTCOME_TEXT[model.outcome])}</strong>${model.lastRunOutcome ? ` <span class="muted">(last run: ${esc(model.lastRunOutcome.replace(/_/g, ' '))})</span>` : ''}</p>
${identityList(model)}
</header>
<nav aria-label="Contents">
<ol>
${sections.map((s) => `<li><a href="#${s.id}">${esc(s.title)}</a></li>`).join('\n')}
</ol>
</nav>
<main id="main">
${sections.map((s) => `<section id="${s.id}" aria-labelledby="${s.id}-h">\n<h2 id="${s.id}-h">${esc(s.title)}</h2>\n${s.html}\n</section>`).join('\n')}
</main>
<footer>
<p>Generated by cutover${model.generatedAt ? ` at ${esc(formatTime(model.generatedAt))}` : ''} from the journal${model.journal.location ? ` <code>${esc(model.journal.location)}</code>` : ''}. Times are UTC. Secrets were masked as <code>***</code> when the journal was written; this report shows them masked.</p>
</footer>
</body>
</html>
`;
}

// ---------------------------------------------------------------------------------------
// Sections

function identityList(model: ReportModel): string {
  const rows: [string, string][] = [];
  if (model.runbook.file) rows.push(['Runbook file', `<code>${esc(model.runbook.file)}</code>`]);
  if (model.runbook.fileDigest) rows.push(['Runbook digest', `<code class="digest">${esc(model.runbook.fileDigest)}</code>`]);
  if (model.runbook.definitionDigest) rows.push(['Steps digest', `<code class="digest">${esc(model.runbook.definitionDigest)}</code>`]);
  if (model.journal.location) rows.push(['Journal', `<code>${esc(model.journal.location)}</code>`]);
  rows.push(['Journal events', `${model.journal.events}${model.journal.head ? `, chain head <code class="digest">${esc(model.journal.head)}</code>` : ''}`]);
  if (model.totals.startedAt)
    rows.push([
      'From',
      `<time datetime="${esc(model.totals.startedAt)}">${esc(formatTime(model.totals.startedAt))}</time> to <time datetime="${esc(model.totals.endedAt ?? '')}">${esc(formatTime(model.totals.endedAt))}</time>`,
    ]);
  if (model.totals.operators.length > 0) rows.push(['Operators', model.totals.operators.map((o) => `<span class="who">${esc(o)}</span>`).join(', ')]);
  return `<dl class="meta">\n${rows.map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${v}</dd></div>`).join('\n')}\n</dl>`;
}

function summarySection(model: ReportModel): string {
  const t = model.totals;
  const states = Object.entries(t.byState)
    .map(([state, count]) => `${count} ${state}`)
    .join(', ');
  const rows: [string, string][] = [
    ['Duration', `${formatSpan(t.durationMs)} (work: ${formatSpan(t.busyMs)} of steps and rollbacks running)`],
    ['Steps', `${t.steps}${states ? ` (${states})` : ''}`],
    ['Steps without incident', `${t.cleanSteps} of ${t.steps}: succeeded at the first attempt, never failed, interrupted or rolled back, no failed watch`],
    ['Step runs', `${t.stepRuns} (${t.retries} ${t.retries === 1 ? 'retry' : 'retries'})`],
    [
      'Failures',
      `${t.failures} step ${t.failures === 1 ? 'failure' : 'failures'}, ${t.interruptions} ${t.interruptions === 1 ? 'interruption' : 'interruptions'}, ${t.watchesFailed} failed ${t.watchesFailed === 1 ? 'watch' : 'watches'}`,
    ],
    ['Rollbacks', `${t.rollbacks}${t.rollbacksFailed > 0 ? ` (${t.rollbacksFailed} failed)` : ''}`],
    [
      'Traffic changes',
      `${t.trafficChanges} applied, ${t.trafficRestores} restored by rollbacks, on ${model.traffic.length} ${model.traffic.length === 1 ? 'target' : 'targets'}`,
    ],
    ['Operator decisions', String(t.decisions)],
    ['Approvals', String(t.approvals)],
    ['Runs', `${t.runs} (run, resume, rollback, rehearse invocations)`],
  ];
  return `${table(
    'Totals',
    ['What', 'Count'],
    rows.map(([k, v]) => [{ th: k }, { html: v }]),
    'totals',
  )}
${model.notes.length > 0 ? `<div class="notes" role="note"><h3>Notes</h3><ul>${model.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul></div>` : ''}`;
}

function itemsSection(items: NonNullable<ReportModel['items']>): string {
  return table(
    'Groups run their steps item after item, one item at a time',
    ['Group', 'Item', 'Steps done', 'State'],
    items.map((i) => [{ th: i.group, code: true }, { text: i.item }, { text: `${i.done}/${i.total}` }, { html: stateBadge(i.state) }]),
    'items',
  );
}

function stepsSection(model: ReportModel): string {
  if (model.steps.length === 0) return '<p>No steps.</p>';
  return table(
    'Every step: final state, attempts, duration, operators and rehearsal',
    ['Step', 'Title', 'State', 'Attempts', 'Last run', 'Operators', 'Digest', 'Rehearsal'],
    model.steps.map((s) => [
      { th: s.id, id: `step-${s.id}`, code: true },
      {
        html: `${esc(s.title ?? '')}${s.action ? `<br><small class="muted"><code>${esc(truncate(s.action, 140))}</code></small>` : ''}${s.irreversible ? `<br><small>irreversible: ${esc(s.irreversible)}</small>` : ''}${s.inRunbook ? '' : '<br><small><strong>no longer in the runbook</strong></small>'}`,
      },
      { html: stateBadge(s.state) + (s.clean ? ' <small class="muted">(no incident)</small>' : '') },
      { text: String(s.attempts) },
      { text: s.durationMs === undefined ? '-' : formatSpan(s.durationMs) },
      { text: s.operators.join(', ') || '-' },
      {
        html: `<code title="${esc(s.digest ?? '')}">${esc(shortHash(s.digest ?? s.currentDigest))}</code>${s.changed ? '<br><small><strong>changed since it ran</strong></small>' : ''}${s.unchecked ? `<br><small>${esc(notChecked(s.unchecked))}</small>` : ''}`,
      },
      {
        html: s.rehearsal
          ? `${verdictBadge(s.rehearsal.verdict)}${s.rehearsal.definition === 'different' ? '<br><small><strong>of another definition</strong></small>' : ''}`
          : '<span class="muted">none</span>',
      },
    ]),
    'steps',
  );
}

function failuresSection(model: ReportModel): string {
  if (model.failures.length === 0) return '<p>No step failed, was interrupted, or had a failing watch; no rollback failed.</p>';
  return model.failures.map((f) => failureArticle(f)).join('\n');
}

const FAILURE_KIND: Record<FailureItem['kind'], string> = { step: 'failed', rollback: 'rollback failed', interrupted: 'interrupted', watch: 'watch failed' };

function failureArticle(f: FailureItem): string {
  const facts: [string, string][] = [
    ['When', `<time datetime="${esc(f.ts)}">${esc(formatTime(f.ts))}</time>`],
    ['Who', `<span class="who">${esc(f.by)}</span>`],
  ];
  if (f.phase) facts.push(['Phase', esc(f.phase)]);
  facts.push(['Reason', esc(f.reason)]);
  if (f.exitCode !== undefined) facts.push(['Exit code', esc(f.exitCode)]);
  if (f.timedOut) facts.push(['Timed out', 'yes']);
  if (f.signal) facts.push(['Signal', esc(f.signal)]);
  if (f.decisions.length > 0)
    facts.push(['Operator chose', f.decisions.map((d) => `${esc(d.choice)} (<span class="who">${esc(d.by)}</span>, ${esc(formatTime(d.ts))})`).join('; ')]);
  facts.push([
    'Then',
    f.next
      ? `${esc(f.next.what)}${f.next.attempt !== undefined ? ` (attempt ${f.next.attempt})` : ''} at ${esc(formatTime(f.next.ts))} by <span class="who">${esc(f.next.by)}</span>${f.next.outcome ? `: ${esc(f.next.outcome)}` : ''}`
      : 'nothing yet',
  ]);
  const tail =
    f.tail.length > 0
      ? `<details open><summary>Last ${f.tail.length} ${f.tail.length === 1 ? 'line' : 'lines'} of output</summary><pre>${esc(f.tail.join('\n'))}</pre></details>`
      : '';
  return `<article class="failure" id="failure-${f.seq}" aria-labelledby="failure-${f.seq}-h">
<h3 id="failure-${f.seq}-h"><code>${esc(f.step)}</code> ${esc(FAILURE_KIND[f.kind])}${f.attempt !== undefined ? ` (attempt ${f.attempt})` : ''}</h3>
<dl class="facts">${facts.map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${v}</dd></div>`).join('')}</dl>
${tail}
</article>`;
}

function decisionsSection(model: ReportModel): string {
  const decisions =
    model.decisions.length === 0
      ? '<p>No operator decision was journaled (with <code>--yes</code> or in CI nothing is asked).</p>'
      : table(
          'Operator decisions, in order',
          ['When', 'Who', 'Step', 'Question', 'Choice'],
          model.decisions.map((d) => [
            { html: timeCell(d.ts) },
            { html: `<span class="who">${esc(d.by)}</span>` },
            { html: d.step ? stepLink(d.step) : '-' },
            { text: d.prompt },
            { html: `<strong>${esc(d.choice)}</strong>${d.note ? ` <small>(${esc(d.note)})</small>` : ''}` },
          ]),
          'decisions',
        );
  const approvals =
    model.approvals.length === 0
      ? '<p>No approval was recorded.</p>'
      : table(
          'Approvals (cutover approve)',
          ['When', 'Who', 'Step', 'Note', 'Expires', 'Used'],
          model.approvals.map((a) => [
            { html: timeCell(a.ts) },
            { html: `<span class="who">${esc(a.by)}</span>` },
            { html: stepLink(a.step) },
            { text: a.note ?? '-' },
            { text: a.expiresAt ? formatTime(a.expiresAt) : 'never' },
            { text: approvalUse(a, formatTime) },
          ]),
          'approvals',
        );
  return `${decisions}\n<h3>Approvals</h3>\n${approvals}`;
}

const PHASES: [keyof NonNullable<StepSummary['rehearsal']>['phases'], string][] = [
  ['precheck', 'precheck'],
  ['forward', 'run'],
  ['verify', 'verify'],
  ['rollback', 'rollback'],
  ['rollbackVerify', 'rollback verify'],
  ['verifyAfterRollback', 'verify fails after rollback'],
  ['stateRestored', 'traffic state restored'],
  ['reapply', 'run again'],
  ['reverify', 'verify again'],
];

function rehearsalSection(model: ReportModel): string {
  if (!model.rehearsal)
    return '<p>No rehearsal journal was given or found (<code>cutover rehearse</code> writes <code>.cutover/&lt;name&gt;.rehearsal.jsonl</code>; pass another with <code>--rehearsal PATH</code>).</p>';
  const r = model.rehearsal;
  const intro = `<p>From ${r.location ? `<code>${esc(r.location)}</code>` : 'the rehearsal journal'} (${r.events} events${r.firstTs ? `, ${esc(formatTime(r.firstTs))} to ${esc(formatTime(r.lastTs))}` : ''}). The newest rehearsal of each step; <em>same definition</em> means it rehearsed exactly the definition (digest) that ran here.</p>`;
  const rows = model.steps.map((s) => {
    const ev = s.rehearsal;
    if (!ev)
      return [{ th: s.id, code: true }, { html: '<span class="muted">never rehearsed</span>' }, { text: '-' }, { text: '-' }, { text: '-' }, { text: '-' }];
    const phases = PHASES.filter(([key]) => ev.phases[key])
      .map(([key, label]) => {
        const phase = ev.phases[key];
        return phase ? `${esc(label)}: ${phaseMark(phase.status)} ${esc(phase.status)}${phase.reason ? ` <small>(${esc(phase.reason)})</small>` : ''}` : '';
      })
      .join('<br>');
    return [
      { th: s.id, code: true },
      { html: verdictBadge(ev.verdict) + (ev.reason ? `<br><small>${esc(ev.reason)}</small>` : '') },
      { text: ev.definition === 'same' ? 'same definition' : ev.definition === 'different' ? 'another definition' : 'unknown' },
      { html: `${timeCell(ev.ts)}<br><span class="who">${esc(ev.by)}</span>` },
      { html: phases || '-' },
      { text: String(ev.history.length) },
    ];
  });
  return `${intro}\n${table('Rehearsal of each step', ['Step', 'Verdict', 'Definition', 'When, who', 'Phases', 'Rehearsals'], rows, 'rehearsal')}`;
}

function runsSection(model: ReportModel): string {
  if (model.runs.length === 0) return '<p>No run was journaled.</p>';
  return table(
    'Every command that changed the journal (run, resume, rollback)',
    ['Started', 'Finished', 'Duration', 'Command', 'Who', 'Outcome'],
    model.runs.map((r) => [
      { html: timeCell(r.startedAt) },
      { html: r.finishedAt ? timeCell(r.finishedAt) : '-' },
      { text: r.finishedAt ? formatSpan(Date.parse(r.finishedAt) - Date.parse(r.startedAt)) : '-' },
      { html: `<code>${esc(r.command)}</code>` },
      { html: `<span class="who">${esc(r.by)}</span>` },
      { text: r.outcome ? r.outcome.replace(/_/g, ' ') : 'no run.finished (cutover stopped, or still running)' },
    ]),
    'runs',
  );
}

function aboutSection(model: ReportModel): string {
  const j = model.journal;
  const rows: [string, string][] = [
    ['Report format', `cutover report model v${model.version}`],
    ['Journal', j.location ? `<code>${esc(j.location)}</code>` : '-'],
    ['Events', `${j.events} (last seq ${j.lastSeq})`],
    ['Chain head', j.head ? `<code class="digest">${esc(j.head)}</code> (sha256 of the last line; a later journal extends it)` : '-'],
    ['Repairs', j.repairs.length === 0 ? 'none' : j.repairs.map((r) => `line ${r.line} (${r.droppedBytes} bytes) at ${esc(formatTime(r.ts))}`).join('; ')],
  ];
  return `${table(
    'Where this report comes from',
    ['What', 'Value'],
    rows.map(([k, v]) => [{ th: k }, { html: v }]),
    'about',
  )}
<p>Every time is UTC. Durations of steps come from the journal (the engine's own measure where it recorded one). Charts use a time axis on which long idle gaps are drawn as breaks (marked <span aria-hidden="true">≈</span> with the time they stand for); the tables under each chart hold the same data as text.</p>`;
}

// ---------------------------------------------------------------------------------------
// Timeline (Gantt)

const LANE_H = 30;
const LABEL_W = 200;
const CHART_W = 960;

interface Lane {
  key: string;
  label: string;
  sub?: string;
  items: TimelineItem[];
}

function timelineSection(model: ReportModel): string {
  const items = model.timeline;
  if (items.length === 0 && model.steps.length === 0) return '<p>Nothing happened yet.</p>';
  const byLane = new Map<string | undefined, TimelineItem[]>();
  for (const item of items) {
    const list = byLane.get(item.step);
    if (list) list.push(item);
    else byLane.set(item.step, [item]);
  }
  const lanes: Lane[] = [];
  const runItems = byLane.get(undefined) ?? [];
  if (runItems.length > 0) lanes.push({ key: 'runs', label: 'runs', sub: 'commands', items: runItems });
  for (const step of model.steps) lanes.push({ key: step.id, label: step.id, sub: step.state, items: byLane.get(step.id) ?? [] });
  const svg = ganttSvg(lanes, model);
  const legend = `<ul class="legend" aria-label="Legend">
<li>${swatch('bar', OKABE_ITO.bluishGreen)} step run succeeded</li>
<li>${swatch('bar', OKABE_ITO.vermillion, 'cross')} failed</li>
<li>${swatch('bar', OKABE_ITO.orange, 'hatch')} interrupted</li>
<li>${swatch('bar', OKABE_ITO.blue, 'dots', true)} no outcome yet</li>
<li>${swatch('bar', OKABE_ITO.reddishPurple, 'stripes')} rollback</li>
<li>${swatch('band', OKABE_ITO.skyBlue)} bake window</li>
<li>${swatch('diamond', OKABE_ITO.black)} approval</li>
<li>${swatch('circle', OKABE_ITO.blue)} operator decision</li>
<li>${swatch('triangle', OKABE_ITO.bluishGreen)} watch ok</li>
<li>${swatch('cross', OKABE_ITO.vermillion)} watch failed / skipped</li>
</ul>`;
  const rows = items.map((i) => [
    { html: timeCell(i.start) },
    {
      html: i.end && i.kind !== 'approval' && i.kind !== 'decision' && i.kind !== 'watch' ? `${timeCell(i.end)}${i.open ? ' <small>(open)</small>' : ''}` : '-',
    },
    { text: i.durationMs !== undefined ? formatSpan(i.durationMs) : '-' },
    { html: i.step ? stepLink(i.step) : '<span class="muted">-</span>' },
    { text: i.kind },
    { html: outcomeText(i) },
    { html: `<span class="who">${esc(i.by)}</span>${i.endedBy ? `<br><small>ended by <span class="who">${esc(i.endedBy)}</span></small>` : ''}` },
    { text: [i.label, i.detail].filter(Boolean).join(': ') },
  ]);
  return `<figure class="chart">
${svg}
<figcaption>Gantt chart of the migration: one row per step (the first row: the commands that ran), time from left to right (UTC). ${legend}</figcaption>
</figure>
${table('Timeline as a table (the same data as the chart)', ['Start', 'End', 'Duration', 'Step', 'Kind', 'Outcome', 'Who', 'What'], rows, 'timeline-table')}`;
}

/** Every timeline item as a [start, end] interval (points: [t, t]); the charts' shared axis. */
function timelineIntervals(model: ReportModel): (readonly [number, number])[] {
  const intervals = model.timeline.map((i) => [Date.parse(i.start), Date.parse(i.end ?? i.start)] as const);
  if (intervals.length > 0) return intervals;
  const start = Date.parse(model.totals.startedAt ?? '1970-01-01T00:00:00Z');
  return [[start, Date.parse(model.totals.endedAt ?? model.totals.startedAt ?? '1970-01-01T00:00:00Z')]];
}

function ganttSvg(lanes: Lane[], model: ReportModel): string {
  const top = 8;
  const axisH = 34;
  const height = top + lanes.length * LANE_H + axisH;
  const scale = buildTimeScale(timelineIntervals(model), LABEL_W + 8, CHART_W - 16);
  const parts: string[] = [];
  const desc = `${lanes.length} rows from ${formatTime(new Date(scale.t0).toISOString())} to ${formatTime(new Date(scale.t1).toISOString())}; ${model.timeline.filter((i) => i.kind === 'step').length} step runs, ${model.timeline.filter((i) => i.kind === 'rollback').length} rollbacks, ${model.timeline.filter((i) => i.kind === 'bake').length} bake windows, ${model.approvals.length} approvals, ${model.decisions.length} decisions. The table below lists every item.`;
  parts.push(
    `<svg class="gantt" viewBox="0 0 ${CHART_W} ${height}" width="100%" role="img" aria-labelledby="gantt-title gantt-desc" preserveAspectRatio="xMinYMin meet">`,
  );
  parts.push(`<title id="gantt-title">Timeline of ${esc(model.runbook.name)}</title><desc id="gantt-desc">${esc(desc)}</desc>`);
  parts.push(patternDefs('g'));
  // Lanes.
  lanes.forEach((lane, index) => {
    const y = top + index * LANE_H;
    parts.push(`<g class="lane" data-lane="${esc(lane.key)}">`);
    if (index % 2 === 0) parts.push(`<rect class="lane-bg" x="0" y="${y}" width="${CHART_W}" height="${LANE_H}" fill="#f3f3f3"/>`);
    parts.push(
      `<text class="lane-label" x="6" y="${y + 13}" font-size="12" font-family="ui-monospace, SFMono-Regular, Menlo, Consolas, monospace" fill="#000">${esc(truncate(lane.label, 26))}<title>${esc(lane.label)}</title></text>`,
    );
    if (lane.sub) parts.push(`<text x="6" y="${y + 25}" font-size="10" fill="#444">${esc(lane.sub)}</text>`);
    parts.push('</g>');
  });
  // Breaks.
  for (const gap of scale.gaps) {
    const x = (gap.x0 + gap.x1) / 2;
    parts.push(
      `<g class="break"><rect x="${fx(gap.x0)}" y="${top}" width="${fx(gap.x1 - gap.x0)}" height="${lanes.length * LANE_H}" fill="#fff" fill-opacity="0.85"/><path d="M${fx(x - 5)} ${top} l6 ${fx((lanes.length * LANE_H) / 2)} l-6 ${fx((lanes.length * LANE_H) / 2)}" stroke="#666" fill="none" stroke-dasharray="3 2"/><text x="${fx(x)}" y="${top + lanes.length * LANE_H + 28}" font-size="10" text-anchor="middle" fill="#333">≈${esc(formatSpan(gap.t1 - gap.t0))}</text></g>`,
    );
  }
  // Axis.
  const axisY = top + lanes.length * LANE_H;
  parts.push(`<g class="axis"><line x1="${scale.x0}" y1="${axisY}" x2="${scale.x1}" y2="${axisY}" stroke="#333"/>`);
  for (const tick of scale.ticks) {
    parts.push(
      `<line x1="${fx(tick.x)}" y1="${top}" x2="${fx(tick.x)}" y2="${axisY + 4}" stroke="#bbb" stroke-width="0.6"/><text x="${fx(tick.x)}" y="${axisY + 15}" font-size="10" text-anchor="middle" fill="#222">${esc(tick.label)}</text>`,
    );
  }
  parts.push('</g>');
  // Items: bands and bars first, markers on top.
  const order = (i: TimelineItem) => (i.kind === 'bake' ? 0 : i.kind === 'run' || i.kind === 'step' || i.kind === 'rollback' ? 1 : 2);
  lanes.forEach((lane, index) => {
    const y = top + index * LANE_H;
    for (const item of [...lane.items].sort((a, b) => order(a) - order(b))) parts.push(ganttItem(item, y, scale));
  });
  parts.push('</svg>');
  return parts.join('\n');
}

function ganttItem(item: TimelineItem, laneY: number, scale: TimeScale): string {
  const x0 = scale.x(Date.parse(item.start));
  const tooltip = `<title>${esc(itemDescription(item))}</title>`;
  const kindAttr = `data-kind="${item.kind}" data-outcome="${item.outcome}"`;
  if (item.kind === 'bake') {
    const x1 = Math.max(x0 + 3, scale.x(Date.parse(item.end ?? item.start)));
    const stroke = item.outcome === 'watch-failed' ? OKABE_ITO.vermillion : OKABE_ITO.blue;
    return `<g class="item bake" ${kindAttr}><rect x="${fx(x0)}" y="${laneY + 22}" width="${fx(x1 - x0)}" height="6" fill="${OKABE_ITO.skyBlue}" fill-opacity="${item.open ? 0.45 : 0.8}" stroke="${stroke}" stroke-width="0.8"${item.open ? ' stroke-dasharray="3 2"' : ''}/>${tooltip}</g>`;
  }
  if (item.kind === 'step' && item.outcome === 'skipped') {
    return `<g class="item marker" ${kindAttr}>${marker('cross', x0, laneY + 12, '#555', 5)}${tooltip}</g>`;
  }
  if (item.kind === 'run' || item.kind === 'step' || item.kind === 'rollback') {
    const end = item.end ?? item.start;
    const x1 = Math.max(x0 + 4, scale.x(Date.parse(end)));
    const y = item.kind === 'run' ? laneY + 5 : laneY + 4;
    const h = item.kind === 'run' ? 14 : 16;
    const { fill, pattern, dashed } = barStyle(item);
    const w = fx(x1 - x0);
    const stroke = item.kind === 'run' ? (item.outcome === 'failed' || item.outcome === 'interrupted' ? OKABE_ITO.vermillion : '#333333') : '#000000';
    const base = `<rect x="${fx(x0)}" y="${y}" width="${w}" height="${h}" rx="2" fill="${fill}" stroke="${stroke}" stroke-width="${item.kind === 'run' ? (stroke === '#333333' ? 0.8 : 1.6) : 0.6}"${dashed ? ' stroke-dasharray="3 2"' : ''}/>`;
    const overlay = pattern ? `<rect x="${fx(x0)}" y="${y}" width="${w}" height="${h}" rx="2" fill="url(#g-${pattern})"/>` : '';
    const label =
      item.kind === 'run' && x1 - x0 > 60
        ? `<text x="${fx(x0 + 4)}" y="${y + 11}" font-size="10" fill="#000">${esc(truncate(item.label, Math.floor((x1 - x0) / 6)))}</text>`
        : '';
    return `<g class="item bar" ${kindAttr}>${base}${overlay}${label}${tooltip}</g>`;
  }
  if (item.kind === 'approval') return `<g class="item marker" ${kindAttr}>${marker('diamond', x0, laneY + 12, OKABE_ITO.black, 6)}${tooltip}</g>`;
  if (item.kind === 'decision') return `<g class="item marker" ${kindAttr}>${marker('circle', x0, laneY + 12, OKABE_ITO.blue, 4.5)}${tooltip}</g>`;
  // watch
  return `<g class="item marker" ${kindAttr}>${item.outcome === 'ok' ? marker('triangle', x0, laneY + 24, OKABE_ITO.bluishGreen, 5) : marker('cross', x0, laneY + 24, OKABE_ITO.vermillion, 5)}${tooltip}</g>`;
}

function barStyle(item: TimelineItem): { fill: string; pattern?: string; dashed?: boolean } {
  if (item.kind === 'run') {
    return { fill: item.outcome === 'unfinished' ? '#ffffff' : '#e6e6e6', ...(item.outcome === 'unfinished' ? { dashed: true } : {}) };
  }
  if (item.kind === 'rollback') {
    return item.outcome === 'failed'
      ? { fill: OKABE_ITO.reddishPurple, pattern: 'cross' }
      : item.outcome === 'succeeded'
        ? { fill: OKABE_ITO.reddishPurple, pattern: 'stripes' }
        : { fill: OKABE_ITO.reddishPurple, pattern: 'dots', dashed: true };
  }
  switch (item.outcome) {
    case 'succeeded':
      return { fill: OKABE_ITO.bluishGreen };
    case 'failed':
      return { fill: OKABE_ITO.vermillion, pattern: 'cross' };
    case 'interrupted':
      return { fill: OKABE_ITO.orange, pattern: 'hatch' };
    default:
      return { fill: OKABE_ITO.blue, pattern: 'dots', dashed: true };
  }
}

function patternDefs(prefix: string): string {
  return `<defs>
<pattern id="${prefix}-hatch" patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)"><rect width="2" height="6" fill="#000" fill-opacity="0.45"/></pattern>
<pattern id="${prefix}-stripes" patternUnits="userSpaceOnUse" width="5" height="5" patternTransform="rotate(-45)"><rect width="2" height="5" fill="#fff" fill-opacity="0.7"/></pattern>
<pattern id="${prefix}-cross" patternUnits="userSpaceOnUse" width="6" height="6"><path d="M0 0L6 6M6 0L0 6" stroke="#000" stroke-opacity="0.55" stroke-width="1.1"/></pattern>
<pattern id="${prefix}-dots" patternUnits="userSpaceOnUse" width="5" height="5"><circle cx="2.5" cy="2.5" r="1.1" fill="#fff" fill-opacity="0.85"/></pattern>
</defs>`;
}

function marker(shape: 'circle' | 'square' | 'triangle' | 'diamond' | 'cross', x: number, y: number, colour: string, r: number, hollow = false): string {
  const fill = hollow ? '#fff' : colour;
  const stroke = hollow ? colour : '#fff';
  const sw = hollow ? 1.6 : 1;
  switch (shape) {
    case 'circle':
      return `<circle cx="${fx(x)}" cy="${fx(y)}" r="${r}" fill="${fill}" stroke="${stroke}" stroke-width="${sw}"/>`;
    case 'square':
      return `<rect x="${fx(x - r * 0.85)}" y="${fx(y - r * 0.85)}" width="${fx(r * 1.7)}" height="${fx(r * 1.7)}" fill="${fill}" stroke="${stroke}" stroke-width="${sw}"/>`;
    case 'triangle':
      return `<path d="M${fx(x)} ${fx(y - r)}L${fx(x + r)} ${fx(y + r * 0.8)}L${fx(x - r)} ${fx(y + r * 0.8)}Z" fill="${fill}" stroke="${stroke}" stroke-width="${sw}"/>`;
    case 'diamond':
      return `<path d="M${fx(x)} ${fx(y - r)}L${fx(x + r)} ${fx(y)}L${fx(x)} ${fx(y + r)}L${fx(x - r)} ${fx(y)}Z" fill="${fill}" stroke="${stroke}" stroke-width="${sw}"/>`;
    case 'cross':
      return `<path d="M${fx(x - r)} ${fx(y - r)}L${fx(x + r)} ${fx(y + r)}M${fx(x + r)} ${fx(y - r)}L${fx(x - r)} ${fx(y + r)}" stroke="${colour}" stroke-width="2.2"/>`;
  }
}

/** A legend swatch; its patterns are the timeline chart's (same document). */
function swatch(kind: 'bar' | 'band' | 'circle' | 'triangle' | 'diamond' | 'cross', colour: string, pattern?: string, dashed = false): string {
  let inner: string;
  if (kind === 'bar')
    inner = `<rect x="1" y="2" width="22" height="10" rx="2" fill="${colour}" stroke="#000" stroke-width="0.6"${dashed ? ' stroke-dasharray="3 2"' : ''}/>${pattern ? `<rect x="1" y="2" width="22" height="10" rx="2" fill="url(#g-${pattern})"/>` : ''}`;
  else if (kind === 'band')
    inner = `<rect x="1" y="5" width="22" height="5" fill="${colour}" fill-opacity="0.8" stroke="${OKABE_ITO.blue}" stroke-width="0.8"/>`;
  else inner = marker(kind, 12, 7, colour, 5);
  return `<svg class="swatch" width="24" height="14" viewBox="0 0 24 14" aria-hidden="true" focusable="false">${inner}</svg>`;
}

function itemDescription(item: TimelineItem): string {
  const when =
    item.end && item.end !== item.start && item.kind !== 'approval' && item.kind !== 'decision'
      ? `${formatTime(item.start)} to ${formatTime(item.end)}${item.open ? ' (open)' : ''}`
      : formatTime(item.start);
  return `${item.step ?? 'runs'}: ${item.label}${item.detail ? ` (${item.detail})` : ''}; ${when}${item.durationMs !== undefined && item.end !== undefined ? `, ${formatSpan(item.durationMs)}` : ''}; by ${item.by}${item.endedBy ? `, ended by ${item.endedBy}` : ''}`;
}

function outcomeText(item: TimelineItem): string {
  const symbol: Partial<Record<TimelineItem['outcome'], string>> = {
    succeeded: '✓',
    passed: '✓',
    ok: '✓',
    failed: '✗',
    'watch-failed': '✗',
    interrupted: '‖',
    unfinished: '…',
    open: '…',
    skipped: '↷',
    'cut-short': '✂',
    waiting: '◷',
  };
  const s = symbol[item.outcome];
  return `${s ? `<span aria-hidden="true">${s}</span> ` : ''}${esc(item.outcome)}`;
}

// ---------------------------------------------------------------------------------------
// Traffic weights

function trafficSection(model: ReportModel): string {
  if (model.traffic.length === 0) return '<p>No Route 53 record or ELBv2 listener was changed by this journal.</p>';
  const intro = `<p>Share of traffic (weight ÷ sum of weights) per ${model.traffic.length === 1 ? 'target' : 'target, one chart each'}, from the state captured just before each change (<em>before</em>, hollow markers), what each step left (<em>after</em>, filled markers) and what rollbacks restored (<em>restored</em>).</p>`;
  return `${intro}\n${model.traffic.map((series, index) => trafficChart(series, index, model)).join('\n')}`;
}

function trafficChart(series: TrafficSeries, index: number, model: ReportModel): string {
  const id = `traffic-${index}`;
  const W = CHART_W;
  const H = 280;
  const left = 56;
  const right = W - 150;
  const topY = 18;
  const bottomY = H - 46;
  const endMs = Math.max(...series.points.map((p) => Date.parse(p.ts)), Date.parse(model.totals.endedAt ?? series.points.at(-1)?.ts ?? '1970-01-01T00:00:00Z'));
  // The timeline's time axis, so the weight charts line up with the Gantt chart above them.
  const scale = buildTimeScale([...timelineIntervals(model), ...series.points.map((p) => [Date.parse(p.ts), Date.parse(p.ts)] as const)], left + 6, right - 6);
  const y = (share: number) => bottomY - (share / 100) * (bottomY - topY);
  const parts: string[] = [];
  const keyNames = series.keys.map((k) => k.name).join(', ');
  const lastPoint = series.points.at(-1);
  const desc = `Step chart of the traffic share of ${keyNames} on ${series.label}, ${series.points.length} journaled states from ${formatTime(series.points[0]?.ts)} to ${formatTime(lastPoint?.ts)}${lastPoint ? `; last: ${series.keys.map((k) => `${k.name} ${lastPoint.shares[k.key] === null || lastPoint.shares[k.key] === undefined ? '-' : formatPercent(lastPoint.shares[k.key] as number)}`).join(', ')}` : ''}. The table below lists every state.`;
  parts.push(
    `<svg class="weights" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-labelledby="${id}-title ${id}-desc" preserveAspectRatio="xMinYMin meet" data-target="${esc(series.target)}">`,
  );
  parts.push(`<title id="${id}-title">Traffic share over time: ${esc(series.label)}</title><desc id="${id}-desc">${esc(desc)}</desc>`);
  // Grid and y axis.
  for (const share of [0, 25, 50, 75, 100]) {
    parts.push(
      `<line x1="${left}" y1="${fx(y(share))}" x2="${right}" y2="${fx(y(share))}" stroke="${share === 0 ? '#333' : '#ccc'}" stroke-width="${share === 0 ? 1 : 0.6}"/><text x="${left - 6}" y="${fx(y(share) + 3.5)}" font-size="10" text-anchor="end" fill="#222">${share}%</text>`,
    );
  }
  parts.push(
    `<text x="14" y="${fx((topY + bottomY) / 2)}" font-size="10" fill="#222" transform="rotate(-90 14 ${fx((topY + bottomY) / 2)})" text-anchor="middle">share of traffic</text>`,
  );
  for (const tick of scale.ticks)
    parts.push(
      `<line x1="${fx(tick.x)}" y1="${bottomY}" x2="${fx(tick.x)}" y2="${bottomY + 4}" stroke="#333"/><text x="${fx(tick.x)}" y="${bottomY + 16}" font-size="10" text-anchor="middle" fill="#222">${esc(tick.label)}</text>`,
    );
  for (const gap of scale.gaps) {
    const x = (gap.x0 + gap.x1) / 2;
    parts.push(
      `<g class="break"><rect x="${fx(gap.x0)}" y="${topY - 4}" width="${fx(gap.x1 - gap.x0)}" height="${bottomY - topY + 8}" fill="#fff"/><path d="M${fx(x - 4)} ${topY - 4}l5 ${fx((bottomY - topY + 8) / 2)}l-5 ${fx((bottomY - topY + 8) / 2)}" stroke="#666" fill="none" stroke-dasharray="3 2"/><text x="${fx(x)}" y="${bottomY + 30}" font-size="10" text-anchor="middle" fill="#333">≈${esc(formatSpan(gap.t1 - gap.t0))}</text></g>`,
    );
  }
  // Steps that changed the target: a faint line and the step id where there is room.
  let lastLabelX = -Infinity;
  for (const point of series.points.filter((p) => p.phase !== 'before')) {
    const x = scale.x(Date.parse(point.ts));
    parts.push(`<line x1="${fx(x)}" y1="${topY}" x2="${fx(x)}" y2="${bottomY}" stroke="#999" stroke-width="0.6" stroke-dasharray="2 3"/>`);
    if (x - lastLabelX > 70) {
      parts.push(
        `<text x="${fx(x + 3)}" y="${topY - 6}" font-size="10" fill="#333">${esc(truncate(`${point.step}${point.phase === 'restored' ? ' ↺' : ''}`, 18))}</text>`,
      );
      lastLabelX = x;
    }
  }
  // One step line per key.
  const labels: { y: number; text: string; colour: string }[] = [];
  series.keys.forEach((key, k) => {
    const colour = SERIES_COLOURS[k % SERIES_COLOURS.length] as string;
    const dash = SERIES_DASHES[k % SERIES_DASHES.length] as string;
    const shape = MARKERS[k % MARKERS.length] as (typeof MARKERS)[number];
    const known = series.points.filter((p) => p.shares[key.key] !== undefined && p.shares[key.key] !== null);
    if (known.length === 0) return;
    let d = '';
    known.forEach((p, i) => {
      const px = scale.x(Date.parse(p.ts));
      const py = y(p.shares[key.key] as number);
      d += i === 0 ? `M${fx(px)} ${fx(py)}` : `H${fx(px)}V${fx(py)}`;
    });
    d += `H${fx(scale.x(endMs))}`;
    // Journal text stays out of attributes (a set identifier can be anything): the series is numbered.
    parts.push(
      `<g class="series" data-series="${k}"><path d="${d}" fill="none" stroke="${colour}" stroke-width="2.4"${dash ? ` stroke-dasharray="${dash}"` : ''} stroke-linejoin="round"/>`,
    );
    for (const p of known) {
      const share = p.shares[key.key] as number;
      parts.push(
        `<g>${marker(shape, scale.x(Date.parse(p.ts)), y(share), colour, 4.2, p.phase === 'before')}<title>${esc(`${key.name}: weight ${p.weights[key.key]} = ${formatPercent(share)}, ${p.phase} ${p.step} at ${formatTime(p.ts)} by ${p.by}`)}</title></g>`,
      );
    }
    parts.push('</g>');
    const lastShare = known.at(-1)?.shares[key.key] as number;
    labels.push({ y: y(lastShare), text: `${key.name} ${formatPercent(lastShare)}`, colour });
  });
  // Direct labels at the right, pushed apart so they never overlap.
  labels.sort((a, b) => a.y - b.y);
  for (let i = 1; i < labels.length; i++) {
    const prev = labels[i - 1] as (typeof labels)[number];
    const cur = labels[i] as (typeof labels)[number];
    if (cur.y - prev.y < 13) cur.y = prev.y + 13;
  }
  labels.forEach((label) => {
    parts.push(
      `<text class="direct-label" x="${right + 8}" y="${fx(label.y + 4)}" font-size="12" fill="#000"><tspan fill="${label.colour}" font-weight="bold">■</tspan> ${esc(truncate(label.text, 22))}</text>`,
    );
  });
  parts.push('</svg>');

  const legend = `<ul class="legend" aria-label="Series">${series.keys
    .map((key, k) => {
      const colour = SERIES_COLOURS[k % SERIES_COLOURS.length] as string;
      const dash = SERIES_DASHES[k % SERIES_DASHES.length] as string;
      const shape = MARKERS[k % MARKERS.length] as (typeof MARKERS)[number];
      return `<li><svg class="swatch" width="34" height="14" viewBox="0 0 34 14" aria-hidden="true" focusable="false"><path d="M1 7H33" stroke="${colour}" stroke-width="2.4"${dash ? ` stroke-dasharray="${dash}"` : ''}/>${marker(shape, 17, 7, colour, 4.2)}</svg> ${esc(key.name)}${key.name !== key.key ? ` <small class="muted"><code>${esc(truncate(key.key, 90))}</code></small>` : ''}</li>`;
    })
    .join('')}</ul>`;
  const rows = series.points.map((p) => [
    { html: timeCell(p.ts) },
    { text: p.phase + (p.recovered ? ' (recovered)' : '') },
    { html: stepLink(p.step) },
    { html: `<span class="who">${esc(p.by)}</span>` },
    ...series.keys.map((key) => {
      const weight = p.weights[key.key];
      const share = p.shares[key.key];
      return { text: weight === undefined ? '-' : `${weight}${share === null || share === undefined ? '' : ` (${formatPercent(share)})`}` };
    }),
  ]);
  return `<article class="traffic-target" aria-labelledby="${id}-h">
<h3 id="${id}-h">${esc(series.kind === 'route53' ? 'Route 53' : 'ELBv2')}: <code>${esc(series.label)}</code></h3>
<p class="muted">Target <code>${esc(series.target)}</code>; changed by ${series.steps.map((s) => stepLink(s)).join(', ')}.</p>
<figure class="chart">
${parts.join('\n')}
<figcaption>Traffic share per ${series.kind === 'route53' ? 'set identifier' : 'target group'} over time (UTC). ${legend}</figcaption>
</figure>
${table(`Weights of ${series.label} (the same data as the chart): weight (share)`, ['When', 'State', 'Step', 'Who', ...series.keys.map((k) => k.name)], rows, `${id}-table`)}
</article>`;
}

// ---------------------------------------------------------------------------------------
// Helpers

type Cell = { th: string; id?: string; code?: boolean } | { html: string } | { text: string };

function table(caption: string, headers: string[], rows: Cell[][], cls: string): string {
  const head = `<thead><tr>${headers.map((h) => `<th scope="col">${esc(h)}</th>`).join('')}</tr></thead>`;
  const body = rows
    .map(
      (row) =>
        `<tr>${row
          .map((cell) => {
            if ('th' in cell)
              return `<th scope="row"${cell.id ? ` id="${esc(cell.id)}"` : ''}>${cell.code ? `<code>${esc(cell.th)}</code>` : esc(cell.th)}</th>`;
            if ('html' in cell) return `<td>${cell.html}</td>`;
            return `<td>${esc(cell.text)}</td>`;
          })
          .join('')}</tr>`,
    )
    .join('\n');
  return `<div class="table-wrap"><table class="${esc(cls)}">\n<caption>${esc(caption)}</caption>\n${head}\n<tbody>\n${body}\n</tbody>\n</table></div>`;
}

function timeCell(iso: string): string {
  return `<time datetime="${esc(iso)}">${esc(formatTime(iso))}</time>`;
}

function stepLink(id: string): string {
  return /^[a-z0-9][a-z0-9-]*$/.test(id) ? `<a href="#step-${id}"><code>${esc(id)}</code></a>` : `<code>${esc(id)}</code>`;
}

function stateBadge(state: string): string {
  const symbol: Record<string, string> = {
    succeeded: '✓',
    skipped: '↷',
    failed: '✗',
    'rollback-failed': '✗',
    interrupted: '‖',
    running: '…',
    'rolling-back': '…',
    'rolled-back': '↺',
    pending: '○',
  };
  return `<span class="state state-${esc(state)}"><span aria-hidden="true">${symbol[state] ?? ''}</span> ${esc(state)}</span>`;
}

function verdictBadge(verdict: string): string {
  const symbol: Record<string, string> = { passed: '✓', irreversible: '⊘', 'rollback-unverified': '?', failed: '✗' };
  return `<span class="verdict verdict-${esc(verdict)}"><span aria-hidden="true">${symbol[verdict] ?? ''}</span> ${esc(verdict)}</span>`;
}

function phaseMark(status: string): string {
  return `<span aria-hidden="true">${status === 'passed' ? '✓' : status === 'failed' ? '✗' : '?'}</span>`;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(1, max - 1))}…`;
}

function fx(n: number): string {
  return (Math.round(n * 10) / 10).toString();
}

const CSS = `
:root { color-scheme: light; --ink: #111; --muted: #555; --rule: #d0d0d0; --bg-alt: #f5f5f5; --ok: #00694d; --bad: #a33a00; --warn: #7a5200; }
* { box-sizing: border-box; }
html { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; font-size: 15px; line-height: 1.45; color: var(--ink); background: #fff; }
body { margin: 0 auto; max-width: 1060px; padding: 1.2rem 1.4rem 3rem; }
code, pre, .digest { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: 0.9em; }
.digest { word-break: break-all; }
h1 { font-size: 1.7rem; margin: 0.2rem 0 0.4rem; }
h1 .name { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
h2 { font-size: 1.3rem; margin: 2rem 0 0.6rem; padding-bottom: 0.2rem; border-bottom: 2px solid var(--ink); }
h3 { font-size: 1.05rem; margin: 1.2rem 0 0.4rem; }
a { color: #0a4f8a; }
.skip { position: absolute; left: -9999px; }
.skip:focus { left: 1rem; top: 1rem; background: #fff; padding: 0.3rem 0.6rem; border: 2px solid #000; }
.description { font-size: 1.05rem; margin: 0 0 0.6rem; }
.muted { color: var(--muted); }
.who { white-space: nowrap; }
.outcome { display: inline-block; padding: 0.35rem 0.7rem; border: 2px solid currentColor; border-radius: 4px; margin: 0.2rem 0 0.8rem; }
.outcome-completed { color: var(--ok); }
.outcome-failed, .outcome-rollback-failed { color: var(--bad); }
.outcome-interrupted, .outcome-in-progress, .outcome-partial { color: var(--warn); }
.meta { margin: 0.4rem 0 1rem; }
.meta div, .facts div { display: grid; grid-template-columns: 10rem minmax(0, 1fr); gap: 0.6rem; padding: 0.05rem 0; }
dt { font-weight: 600; }
dd { margin: 0; min-width: 0; overflow-wrap: anywhere; }
nav ol { list-style: none; display: flex; flex-wrap: wrap; gap: 0.2rem 1.2rem; padding: 0.5rem 0; margin: 0; border-top: 1px solid var(--rule); border-bottom: 1px solid var(--rule); }
.table-wrap { overflow-x: auto; margin: 0.5rem 0 1rem; }
table { border-collapse: collapse; width: 100%; font-size: 0.88rem; }
caption { text-align: left; font-weight: 600; padding: 0.3rem 0; }
th, td { border: 1px solid var(--rule); padding: 0.25rem 0.45rem; text-align: left; vertical-align: top; }
thead th { background: #e9e9e9; }
tbody tr:nth-child(even) { background: var(--bg-alt); }
table.totals th[scope=row], table.about th[scope=row] { width: 13rem; }
.state-succeeded, .verdict-passed { color: var(--ok); font-weight: 600; }
.state-failed, .state-rollback-failed, .verdict-failed { color: var(--bad); font-weight: 600; }
.state-interrupted, .state-running, .state-rolling-back, .verdict-rollback-unverified { color: var(--warn); font-weight: 600; }
figure.chart { margin: 0.6rem 0 0.4rem; }
figure.chart > svg { display: block; width: 100%; height: auto; border: 1px solid var(--rule); background: #fff; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
figcaption { font-size: 0.85rem; color: var(--muted); margin-top: 0.3rem; }
.legend { list-style: none; padding: 0; margin: 0.3rem 0 0; display: flex; flex-wrap: wrap; gap: 0.2rem 1rem; color: var(--ink); }
.legend li { display: flex; align-items: center; gap: 0.3rem; }
.swatch { flex: none; display: inline-block; width: auto; height: 14px; border: 0; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.failure { border-left: 4px solid #D55E00; padding: 0.1rem 0 0.3rem 0.8rem; margin: 0.8rem 0; }
pre { background: #f4f4f4; border: 1px solid var(--rule); padding: 0.5rem 0.7rem; overflow-x: auto; white-space: pre-wrap; overflow-wrap: anywhere; font-size: 0.82rem; max-height: 28rem; }
.notes { border: 1px solid #E69F00; background: #fff8e6; padding: 0.2rem 0.9rem; margin: 0.8rem 0; }
footer { margin-top: 2.5rem; border-top: 1px solid var(--rule); font-size: 0.85rem; color: var(--muted); }
@page { margin: 14mm 12mm; }
@media print {
  html { font-size: 10pt; }
  body { max-width: none; padding: 0; }
  nav, .skip { display: none; }
  a { color: inherit; text-decoration: none; }
  h2 { break-after: avoid; page-break-after: avoid; }
  h3 { break-after: avoid; page-break-after: avoid; }
  figure, .failure, tr, .meta div { break-inside: avoid; page-break-inside: avoid; }
  .table-wrap { overflow: visible; }
  pre { max-height: none; overflow: visible; }
  details > summary { list-style: none; }
  tbody tr:nth-child(even) { background: none; }
}
`;

function notificationsSection(items: readonly NotificationItem[]): string {
  const sent = items.filter((n) => n.sent).length;
  return `<p>${sent} sent, ${items.length - sent} failed. Webhooks are named as in the runbook's <code>notify:</code> (or by position); their URLs are never journaled.</p>\n${table(
    'Webhook deliveries, in order',
    ['When', 'Webhook', 'Event', 'Step', 'Delivery'],
    items.map((n) => [
      { html: timeCell(n.ts) },
      { text: n.webhook },
      { text: n.event },
      { html: n.step ? stepLink(n.step) : '-' },
      {
        text: n.sent
          ? `sent (HTTP ${n.status ?? '?'}, ${n.attempts} ${n.attempts === 1 ? 'try' : 'tries'})`
          : `failed after ${n.attempts} ${n.attempts === 1 ? 'try' : 'tries'}: ${n.reason ?? ''}`,
      },
    ]),
    'notifications',
  )}`;
}
