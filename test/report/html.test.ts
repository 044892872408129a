/**
 * The HTML report: self-contained (nothing that would make a request), well-formed and
 * accessible (headings, captioned tables, labelled charts each followed by a table), in the
 * Okabe-Ito palette, and safe with hostile text in the journal.
 */
import { describe, expect, it } from 'vitest';
import { OKABE_ITO, renderHtml } from '../../src/report/html.js';
import { buildReportModel } from '../../src/report/model.js';
import type { ReportModel } from '../../src/report/model.js';
import { bakedWorld } from '../helpers/watched-world.js';
import {
  JournalScript,
  TRAFFIC_STEPS,
  decision,
  passedPhases,
  rehearsed,
  runStarted,
  shellStep,
  stepFailed,
  stepStarted,
  stepSucceeded,
  trafficMigration,
} from './fixtures.js';

// ---------------------------------------------------------------------------------------
// A small HTML checker: tags balanced, attributes parsed, text free of stray markup.

interface Tag {
  name: string;
  attrs: Map<string, string>;
  /** Names of the open ancestors, outermost first. */
  parents: string[];
  /** Index in the document order of tags. */
  index: number;
}

const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr']);
const RAW_TEXT = new Set(['style', 'script']);
const TAG_RE = /<(\/?)([a-zA-Z][a-zA-Z0-9:-]*)((?:\s+[^\s=>/]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))?)*)\s*(\/?)>/y;
const ATTR_RE = /([^\s=>/]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/g;

function parseHtml(html: string): { tags: Tag[]; texts: string[]; styles: string[]; errors: string[] } {
  const tags: Tag[] = [];
  const texts: string[] = [];
  const styles: string[] = [];
  const errors: string[] = [];
  const stack: string[] = [];
  let i = 0;
  if (!/^<!doctype html>/i.test(html)) errors.push('no <!doctype html> first');
  i = html.indexOf('>') + 1;
  while (i < html.length) {
    const lt = html.indexOf('<', i);
    const text = html.slice(i, lt === -1 ? html.length : lt);
    if (text) texts.push(text);
    if (/&(?!(?:[a-zA-Z]+|#\d+|#x[0-9a-fA-F]+);)/.test(text)) errors.push(`unescaped & in text: ${text.slice(0, 60)}`);
    if (text.includes('>')) errors.push(`stray > in text: ${text.slice(0, 60)}`);
    if (lt === -1) break;
    if (html.startsWith('<!--', lt)) {
      i = html.indexOf('-->', lt) + 3;
      continue;
    }
    TAG_RE.lastIndex = lt;
    const match = TAG_RE.exec(html);
    if (!match) {
      errors.push(`stray < at ${lt}: ${html.slice(lt, lt + 40)}`);
      i = lt + 1;
      continue;
    }
    const [whole, closing, rawName, rawAttrs, selfClosing] = match as unknown as [string, string, string, string, string];
    const name = rawName.toLowerCase();
    i = lt + whole.length;
    if (closing) {
      const open = stack.pop();
      if (open !== name) errors.push(`</${name}> closes <${open ?? 'nothing'}>`);
      continue;
    }
    const attrs = new Map<string, string>();
    for (const attr of rawAttrs.matchAll(ATTR_RE)) {
      const key = (attr[1] as string).toLowerCase();
      if (attrs.has(key)) errors.push(`<${name}> repeats ${key}`);
      attrs.set(key, attr[2] ?? attr[3] ?? attr[4] ?? '');
    }
    tags.push({ name, attrs, parents: [...stack], index: tags.length });
    const inSvg = stack.includes('svg') || name === 'svg';
    if (selfClosing && !inSvg && !VOID.has(name)) errors.push(`<${name}/> self-closed outside SVG`);
    if (VOID.has(name) || (selfClosing && inSvg)) continue;
    if (RAW_TEXT.has(name)) {
      const end = html.indexOf(`</${name}>`, i);
      if (name === 'style') styles.push(html.slice(i, end));
      i = end + name.length + 3;
      continue;
    }
    stack.push(name);
  }
  if (stack.length > 0) errors.push(`unclosed: ${stack.join(' > ')}`);
  return { tags, texts, styles, errors };
}

const BLOCK =
  /^(?:td|th|tr|li|p|div|dt|dd|h[1-6]|caption|br|section|article|figure|figcaption|pre|details|summary|table|thead|tbody|ul|ol|nav|header|footer|main|title|desc|text|g|svg)$/i;

/** The decoded text of the page (what a reader sees), whitespace collapsed, for content assertions. */
function visibleText(html: string): string {
  return html
    .replace(/<style>[\s\S]*?<\/style>/g, ' ')
    .replace(/<\/?([a-zA-Z][\w:-]*)[^>]*>/g, (_tag, name: string) => (BLOCK.test(name) ? ' ' : ''))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}

function assertSelfContained(html: string): void {
  const { tags, styles, errors } = parseHtml(html);
  expect(errors).toEqual([]);
  const forbidden = [
    'script',
    'link',
    'img',
    'iframe',
    'frame',
    'object',
    'embed',
    'base',
    'form',
    'input',
    'audio',
    'video',
    'source',
    'track',
    'image',
    'use',
    'foreignobject',
    'picture',
    'portal',
  ];
  expect(tags.filter((t) => forbidden.includes(t.name)).map((t) => t.name)).toEqual([]);
  for (const tag of tags) {
    for (const [key, value] of tag.attrs) {
      expect(key.startsWith('on'), `<${tag.name} ${key}>`).toBe(false);
      if (['href', 'xlink:href'].includes(key)) expect(value, `<${tag.name} ${key}="${value}">`).toMatch(/^#[\w-]+$/);
      expect(['src', 'srcset', 'action', 'formaction', 'poster', 'background', 'data', 'ping', 'manifest', 'cite', 'longdesc', 'style']).not.toContain(key);
      expect(value, `<${tag.name} ${key}>`).not.toMatch(/https?:\/\//i);
      for (const url of value.matchAll(/url\(([^)]*)\)/gi)) expect(url[1], `<${tag.name} ${key}="${value}">`).toMatch(/^#[\w-]+$/);
    }
  }
  for (const css of styles) {
    expect(css).not.toMatch(/@import|https?:\/\/|@font-face|url\(/i);
  }
  // The browser is told as well: nothing may be fetched.
  const csp = tags.find((t) => t.name === 'meta' && t.attrs.get('http-equiv')?.toLowerCase() === 'content-security-policy');
  expect(csp?.attrs.get('content')).toContain("default-src 'none'");
}

function assertAccessibleStructure(html: string): void {
  const { tags, errors } = parseHtml(html);
  expect(errors).toEqual([]);
  expect(tags.find((t) => t.name === 'html')?.attrs.get('lang')).toBe('en');
  expect(tags.some((t) => t.name === 'meta' && t.attrs.get('charset') === 'utf-8')).toBe(true);
  expect(tags.some((t) => t.name === 'title')).toBe(true);
  for (const landmark of ['header', 'nav', 'main', 'footer'])
    expect(
      tags.filter((t) => t.name === landmark),
      landmark,
    ).toHaveLength(1);
  // One h1; headings never skip a level going down.
  const headings = tags.filter((t) => /^h[1-6]$/.test(t.name)).map((t) => Number(t.name[1]));
  expect(headings.filter((h) => h === 1)).toHaveLength(1);
  expect(headings[0]).toBe(1);
  headings.forEach((level, index) => {
    if (index > 0) expect(level - (headings[index - 1] as number), `heading h${level} after h${headings[index - 1]}`).toBeLessThanOrEqual(1);
  });
  // ids unique, and every in-page link and aria reference points at one.
  const ids = tags.flatMap((t) => (t.attrs.has('id') ? [t.attrs.get('id') as string] : []));
  expect(new Set(ids).size).toBe(ids.length);
  for (const tag of tags) {
    const href = tag.attrs.get('href');
    if (href) expect(ids, href).toContain(href.slice(1));
    for (const ref of (tag.attrs.get('aria-labelledby') ?? '').split(/\s+/).filter(Boolean)) expect(ids, `aria-labelledby ${ref}`).toContain(ref);
  }
  // Tables: a caption first, column headers scoped.
  const tables = tags.filter((t) => t.name === 'table');
  expect(tables.length).toBeGreaterThan(0);
  for (const table of tables) expect(tags[table.index + 1]?.name, 'caption first in table').toBe('caption');
  for (const th of tags.filter((t) => t.name === 'th')) expect(['col', 'row']).toContain(th.attrs.get('scope'));
  // Charts: labelled images, with a title and a description.
  const charts = tags.filter((t) => t.name === 'svg' && t.attrs.get('aria-hidden') !== 'true');
  for (const svg of charts) {
    expect(svg.attrs.get('role')).toBe('img');
    expect(svg.attrs.get('aria-labelledby')).toMatch(/-title .+-desc$/);
    expect(tags[svg.index + 1]?.name).toBe('title');
  }
  // Decorative swatches are hidden from assistive technology.
  for (const svg of tags.filter((t) => t.name === 'svg' && !t.parents.includes('svg') && t.attrs.get('role') !== 'img'))
    expect(svg.attrs.get('aria-hidden')).toBe('true');
  // Each chart is followed by a table of the same data.
  const figures = html.split('</figure>').slice(1);
  expect(figures.length).toBe(charts.length);
  for (const after of figures) expect(after.trimStart()).toMatch(/^<div class="table-wrap"><table/);
}

// ---------------------------------------------------------------------------------------

async function trafficModel(): Promise<ReportModel> {
  const j = await trafficMigration();
  const r = new JournalScript('web', '2026-02-25T10:00:00Z');
  await r.append(
    runStarted('rehearse'),
    rehearsed('deploy-aws', 'sha256:deploy-aws-v1', 'passed', passedPhases),
    rehearsed('dns-10', 'sha256:dns-10-v0', 'rollback-unverified', passedPhases),
  );
  return buildReportModel({
    events: await j.events(),
    rehearsalEvents: await r.events(),
    rehearsalLocation: '.cutover/web.rehearsal.jsonl',
    runbook: {
      name: 'web',
      description: 'Move app traffic to AWS',
      file: 'runbooks/web.yaml',
      fileDigest: `sha256:${'a'.repeat(64)}`,
      steps: TRAFFIC_STEPS.map((id) => ({ id, digest: `sha256:${id}-v1` })),
    },
    journalLocation: '.cutover/web.journal.jsonl',
    generatedAt: '2026-03-04T10:00:00Z',
  });
}

describe('HTML report', () => {
  it('is one self-contained page: no script, no external resource, a CSP that forbids fetching', async () => {
    const html = renderHtml(await trafficModel());
    assertSelfContained(html);
  });

  it('has an accessible structure: landmarks, headings in order, captioned tables, labelled charts each followed by its table', async () => {
    const html = renderHtml(await trafficModel());
    assertAccessibleStructure(html);
    const { tags } = parseHtml(html);
    expect(tags.filter((t) => t.name === 'h2').length).toBe(10);
    // One Gantt chart and one weight chart per traffic target.
    expect(tags.filter((t) => t.name === 'svg' && t.attrs.get('class') === 'gantt')).toHaveLength(1);
    expect(tags.filter((t) => t.name === 'svg' && t.attrs.get('class') === 'weights').map((t) => t.attrs.get('data-target'))).toEqual([
      'route53:ZAPP:app.example.com.:A',
      expect.stringMatching(/^elbv2:listener:arn:aws:/),
    ]);
  });

  it('keeps the structure with watched-metric charts: each labelled and followed by its table', async () => {
    const world = await bakedWorld();
    const html = renderHtml(buildReportModel({ events: world.events() }));
    expect(html).toContain('<svg class="sparkline"');
    assertAccessibleStructure(html);
  });

  it('draws every timeline item and every weight series', async () => {
    const model = await trafficModel();
    const html = renderHtml(model);
    const { tags } = parseHtml(html);
    const drawn = tags.filter((t) => t.attrs.get('class')?.startsWith('item'));
    expect(drawn.length).toBe(model.timeline.length);
    for (const kind of ['run', 'step', 'rollback', 'bake', 'watch', 'approval', 'decision']) {
      expect(drawn.filter((t) => t.attrs.get('data-kind') === kind).length, kind).toBe(model.timeline.filter((i) => i.kind === kind).length);
    }
    expect(tags.filter((t) => t.attrs.get('class') === 'series').map((t) => t.attrs.get('data-series'))).toEqual(['0', '1', '0', '1']);
    expect(visibleText(html)).toMatch(/onprem 80% .*aws 20% .*onprem 75% .*aws 25%/);
    // The long night between the two days is a labelled break, not a day of empty chart.
    expect(tags.filter((t) => t.attrs.get('class') === 'break').length).toBeGreaterThanOrEqual(3);
    expect(visibleText(html)).toMatch(/≈22h \d\dm/);
  });

  it('says the facts as text: outcome, totals, operators, failures with their tails, decisions, rehearsals', async () => {
    const text = visibleText(renderHtml(await trafficModel()));
    expect(text).toContain('Migration report: web');
    expect(text).toContain('Move app traffic to AWS');
    expect(text).toContain('Partly done: some steps remain');
    expect(text).toContain(`sha256:${'a'.repeat(64)}`);
    expect(text).toContain('runner@ci-7 (ci job 4711)');
    expect(text).toContain('error: deployment "app" exceeded its progress deadline');
    expect(text).toContain('retried (attempt 2) at 2026-03-02 09:02:18Z by alice@laptop: succeeded');
    expect(text).toContain('drift: app.example.com. A in ZAPP changed since step dns-10 (aws: journal says 10, live 20)');
    expect(text).toContain('lag 0.2s for 10 minutes');
    expect(text).toContain('3 of 6: succeeded at the first attempt');
    expect(text).toMatch(/deploy-aws\s+✓ passed\s+same definition/);
    expect(text).toMatch(/dns-10\s+\? rollback-unverified\s+another definition/);
    // Weights as a table: weight (share).
    expect(text).toMatch(/after\s+dns-10\s+alice@laptop\s+90 \(90%\)\s+10 \(10%\)/);
    expect(text).toMatch(/restored\s+dns-50\s+bob@jump-host\s+80 \(80%\)\s+20 \(20%\)/);
  });

  it('uses the Okabe-Ito palette: every colour in the charts is one of its eight or a grey', async () => {
    const html = renderHtml(await trafficModel());
    const allowed = new Set(Object.values(OKABE_ITO).map((c) => c.toLowerCase()));
    const colours = [...html.matchAll(/(?:fill|stroke)="(#[0-9a-fA-F]{3,6})"/g)].map((m) => (m[1] as string).toLowerCase());
    expect(colours.length).toBeGreaterThan(50);
    const grey = (hex: string) => {
      const full = hex.length === 4 ? hex.replace(/^#(.)(.)(.)$/, '#$1$1$2$2$3$3') : hex;
      return full.slice(1, 3) === full.slice(3, 5) && full.slice(3, 5) === full.slice(5, 7);
    };
    expect([...new Set(colours.filter((c) => !allowed.has(c) && !grey(c)))]).toEqual([]);
    // Outcomes never rely on colour alone: failures and rollbacks also carry a pattern.
    expect(html).toContain('url(#g-cross)');
    expect(html).toContain('url(#g-stripes)');
  });

  it('prints: a print stylesheet that keeps charts whole and drops the navigation', async () => {
    const { styles } = parseHtml(renderHtml(await trafficModel()));
    const css = styles.join('\n');
    expect(css).toContain('@media print');
    expect(css).toMatch(/@media print \{[\s\S]*nav[^{]*\{ display: none; \}/);
    expect(css).toMatch(/break-inside: avoid/);
    expect(css).toContain('print-color-adjust: exact');
  });

  it('hostile text in the journal stays text: no markup, no links, no URLs in attributes', async () => {
    const j = new JournalScript();
    const evil = `<script src="https://evil.example/x.js"></script><img src=https://evil.example/p.png onerror=alert(1)> url(https://evil.example/c.css) "'&`;
    await j.append(runStarted());
    await j.append(
      stepStarted(shellStep('a', { title: `Title ${evil}`, action: { kind: 'shell', script: `curl https://evil.example/${evil}`, shell: 'sh', env: {} } })),
    );
    await j.after(1_000).append(stepFailed('a', `reason ${evil}`, 1, [`tail ${evil}`, '</pre></details></article><h1>fake</h1>']));
    await j.append(decision('a', `prompt ${evil}`, `choice ${evil}`, `note ${evil}`));
    const model = buildReportModel({
      events: await j.events(),
      runbook: { name: 'web', description: `desc ${evil}`, file: `f${evil}.yaml`, steps: [{ id: 'a', title: `Title ${evil}` }] },
    });
    const html = renderHtml(model);
    assertSelfContained(html);
    assertAccessibleStructure(html);
    const text = visibleText(html);
    expect(text).toContain(`reason ${evil}`);
    expect(text).toContain('</pre></details></article><h1>fake</h1>');
    expect(text).toContain('https://evil.example/x.js');
  });

  it('renders an empty journal and a journal without traffic without failing', () => {
    for (const model of [buildReportModel({ events: [], runbook: { name: 'web', steps: [{ id: 'a' }] } }), buildReportModel({ events: [] })]) {
      const html = renderHtml(model);
      assertSelfContained(html);
      assertAccessibleStructure(html);
      expect(visibleText(html)).toContain('No Route 53 record or ELBv2 listener was changed');
    }
  });

  it('a run still in progress: the open step is drawn dashed up to now', async () => {
    const j = new JournalScript();
    await j.append(runStarted(), stepStarted(shellStep('a')));
    await j.after(2_000).append(stepSucceeded('a', 2_000), stepStarted(shellStep('b')));
    const html = renderHtml(
      buildReportModel({ events: await j.events(), runbook: { name: 'web', steps: [{ id: 'a' }, { id: 'b' }] }, now: '2026-03-02T09:05:00Z' }),
    );
    assertAccessibleStructure(html);
    expect(html).toMatch(/data-kind="step" data-outcome="unfinished"><rect [^>]*stroke-dasharray/);
    expect(visibleText(html)).toContain('In progress (or cutover stopped)');
  });
});
