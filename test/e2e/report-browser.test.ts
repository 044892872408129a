/**
 * The HTML report in a real browser: the built CLI runs the quickstart (approval included)
 * and writes `report.html`, and a synthetic two-day traffic migration (Route 53 and ELBv2
 * shifts, a failure, a forced drift, a killed CI job resumed by someone else, a rollback)
 * is reported too. Each page is opened from file:// in headless Chromium (Debian's
 * `chromium`, driven by playwright-core) with JavaScript off, and must: draw the timeline
 * and the weight charts (elements present, with real sizes), log no console error, and make
 * no request but the document itself. Screenshots go to test-artifacts/ (report.png is the
 * traffic report); CUTOVER_UPDATE_DOCS_SCREENSHOT=1 also refreshes docs/report.png.
 *
 * Needs `npm run build` first (npm test does it) and Chromium at /usr/bin/chromium (or
 * CUTOVER_CHROMIUM). Without Chromium: a failure under CI=true, a skip with a warning otherwise.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRunbookFile } from '../../src/runbook/load.js';
import type { Step } from '../../src/runbook/types.js';
import { JournalScript, passedPhases, rehearsed, runStarted, trafficMigration, LISTENER } from '../report/fixtures.js';
import { ROOT, cli, quickstartIn, describeResult, requireBuild, scratch } from './helpers.js';
import type { CliResult } from './helpers.js';

const CHROMIUM = process.env.CUTOVER_CHROMIUM ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const ARTIFACTS = path.join(ROOT, 'test-artifacts');

if (!HAVE_CHROMIUM) {
  const message = `the report's browser test needs Chromium at ${CHROMIUM}: install Debian's package ("apt-get install chromium"; .ci/run does it) or set CUTOVER_CHROMIUM to a Chromium binary`;
  if (process.env.CI === 'true') {
    it('has Chromium to open the report in', () => {
      throw new Error(message);
    });
  } else {
    console.warn(`warning: skipping test/e2e/report-browser.test.ts: ${message}`);
  }
}

// ---------------------------------------------------------------------------------------
// Running `cutover report`

interface ReportFlags {
  journal?: string;
  rehearsal?: string;
  html?: string;
  md?: string;
  var?: string[];
}

/** `cutover report` through the built CLI. */
async function runReport(file: string, flags: ReportFlags, cwd: string): Promise<CliResult> {
  const args = ['report', file];
  for (const [name, value] of [
    ['--journal', flags.journal],
    ['--rehearsal', flags.rehearsal],
    ['--html', flags.html],
    ['--md', flags.md],
  ] as const) {
    if (value !== undefined) args.push(name, value);
  }
  for (const v of flags.var ?? []) args.push('--var', v);
  return cli(args, { cwd });
}

// ---------------------------------------------------------------------------------------
// Opening a report

interface Opened {
  page: Page;
  /** Every URL the page requested (the document itself included). */
  requests: string[];
  /** Console errors, page errors and failed requests. */
  problems: string[];
  url: string;
  close(): Promise<void>;
}

let browser: Browser | undefined;

async function open(file: string): Promise<Opened> {
  if (!browser) throw new Error('no browser');
  // No JavaScript: the report must not need any.
  const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1200, height: 900 }, deviceScaleFactor: 1 });
  // Belt and braces: whatever the page asks for beyond the file is refused, never fetched.
  await context.route(
    (url) => url.protocol !== 'file:',
    (route) => route.abort(),
  );
  const page = await context.newPage();
  const requests: string[] = [];
  const problems: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()}`));
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${String(error)}`));
  const url = pathToFileURL(file).href;
  const response = await page.goto(url, { waitUntil: 'load' });
  expect(response?.ok() ?? true).toBe(true);
  return { page, requests, problems, url, close: () => context.close() };
}

/** Every element matching the selector is drawn with a non-zero size. */
async function expectSized(page: Page, selector: string, atLeast = 1): Promise<number> {
  const all = await page.locator(selector).all();
  expect(all.length, selector).toBeGreaterThanOrEqual(atLeast);
  for (const element of all) {
    const box = await element.boundingBox();
    expect(box, `${selector} has a box`).not.toBeNull();
    expect(box?.width ?? 0, `${selector} width`).toBeGreaterThan(0);
    expect(box?.height ?? 0, `${selector} height`).toBeGreaterThan(0);
  }
  return all.length;
}

async function expectClean(opened: Opened): Promise<void> {
  expect(opened.problems).toEqual([]);
  expect(opened.requests).toEqual([opened.url]);
}

// ---------------------------------------------------------------------------------------

describe.skipIf(!HAVE_CHROMIUM)('the HTML report in headless Chromium', () => {
  beforeAll(async () => {
    requireBuild();
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    browser = undefined;
  });

  it('the check notices a request: a page with an external image makes one', async (context) => {
    // A control for the assertions below: the same harness sees a request when there is one.
    const dir = scratch(context);
    const file = path.join(dir, 'leaky.html');
    writeFileSync(
      file,
      '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>leaky</title></head><body><img src="http://127.0.0.1:9/x.png" alt=""></body></html>',
    );
    const opened = await open(file);
    try {
      expect(opened.requests).toContain('http://127.0.0.1:9/x.png');
      expect(opened.problems.length).toBeGreaterThan(0);
    } finally {
      await opened.close();
    }
  });

  it('the report of a real quickstart journal (run, approve, run): timeline drawn, no request, no console error', { timeout: 90_000 }, async (context) => {
    const dir = scratch(context);
    const QUICKSTART = quickstartIn(dir);
    const vars = [`workdir=${path.join(dir, 'site')}`];
    const varArgs = vars.flatMap((v) => ['--var', v]);
    const first = await cli(['run', '--yes', QUICKSTART, ...varArgs], { cwd: dir });
    expect(first.code, describeResult(first)).toBe(0);
    const approve = await cli(['approve', QUICKSTART, 'check-copy', ...varArgs, '--note', 'looked at it'], { cwd: dir });
    expect(approve.code, describeResult(approve)).toBe(0);
    const second = await cli(['run', '--yes', QUICKSTART, ...varArgs], { cwd: dir });
    expect(second.code, describeResult(second)).toBe(0);

    const report = await runReport(QUICKSTART, { html: 'report.html', md: 'report.md', var: vars }, dir);
    expect(report.code, describeResult(report)).toBe(0);
    const html = path.join(dir, 'report.html');
    expect(readFileSync(path.join(dir, 'report.md'), 'utf8')).toContain('# Migration report: quickstart');

    const opened = await open(html);
    try {
      const { page } = opened;
      await expect(page.title()).resolves.toBe('Migration report: quickstart (completed)');
      await expectSized(page, 'svg.gantt');
      // Five steps, each run once, and the two runs of the CLI.
      expect(await expectSized(page, 'svg.gantt g.item[data-kind="step"]', 5)).toBe(5);
      expect(await expectSized(page, 'svg.gantt g.item[data-kind="run"]', 2)).toBe(2);
      await expectSized(page, 'svg.gantt g.item[data-kind="approval"]', 1);
      await expectSized(page, 'svg.gantt text.lane-label', 6);
      await expectSized(page, 'table.timeline-table tbody tr', 8);
      await expect(page.locator('#traffic').innerText()).resolves.toContain('No Route 53 record or ELBv2 listener was changed');
      await expect(page.locator('header').innerText()).resolves.toContain('Completed');
      await expect(page.locator('#decisions').innerText()).resolves.toContain('looked at it');
      await page.screenshot({ path: path.join(ARTIFACTS, 'report-quickstart.png'), fullPage: true });
      await expectClean(opened);
    } finally {
      await opened.close();
    }
  });

  it(
    'the report of a traffic migration: timeline and one weight chart per target drawn, prints, no request, no console error',
    { timeout: 90_000 },
    async (context) => {
      const dir = scratch(context);
      const runbookFile = path.join(dir, 'web.yaml');
      writeFileSync(runbookFile, TRAFFIC_RUNBOOK);
      const loaded = await loadRunbookFile(runbookFile, { mode: 'resolve', env: {} });
      if (!loaded.ok) throw new Error(JSON.stringify(loaded.diagnostics));
      // The journal carries the runbook's real definitions and digests, as a run would.
      const steps: Record<string, Step> = Object.fromEntries(loaded.runbook.steps.map((s) => [s.id, s]));
      const journal = await trafficMigration({ steps });
      mkdirSync(path.join(dir, '.cutover'), { recursive: true, mode: 0o700 });
      writeFileSync(path.join(dir, '.cutover', 'web.journal.jsonl'), journal.text, { mode: 0o600 });
      const rehearsal = new JournalScript('web', '2026-02-26T14:00:00Z');
      await rehearsal.append(runStarted('rehearse'));
      for (const step of loaded.runbook.steps.slice(0, 4))
        await rehearsal
          .after(90_000)
          .append(
            rehearsed(step.id, step.digest, step.action.kind === 'manual' ? 'irreversible' : 'passed', step.action.kind === 'manual' ? {} : passedPhases),
          );
      writeFileSync(path.join(dir, '.cutover', 'web.rehearsal.jsonl'), rehearsal.text, { mode: 0o600 });

      const report = await runReport('web.yaml', { html: 'report.html' }, dir);
      expect(report.code, describeResult(report)).toBe(0);
      expect(report.stderr).toContain('report: wrote report.html');
      expect(report.stderr).toContain('with rehearsal evidence');

      const opened = await open(path.join(dir, 'report.html'));
      try {
        const { page } = opened;
        await expectSized(page, 'svg.gantt');
        await expectSized(page, 'svg.gantt g.item[data-kind="step"]', 7);
        await expectSized(page, 'svg.gantt g.item[data-kind="rollback"]', 1);
        await expectSized(page, 'svg.gantt g.item[data-kind="bake"]', 2);
        await expectSized(page, 'svg.gantt g.break', 1);
        // One weight chart per target, a line per set identifier / target group, direct labels.
        expect(await expectSized(page, 'svg.weights', 2)).toBe(2);
        expect(await expectSized(page, 'svg.weights g.series path', 4)).toBe(4);
        await expectSized(page, 'svg.weights text.direct-label', 4);
        const labels = await page.locator('svg.weights').first().locator('text.direct-label').allTextContents();
        expect(labels.map((l) => l.replace(/\s+/g, ' ').trim())).toEqual(['■ onprem 80%', '■ aws 20%']);
        // Each chart is followed by its table, which a reader (or a screen reader) can use instead.
        await expectSized(page, 'figure.chart + .table-wrap table', 3);
        await expect(page.locator('#rehearsal').innerText()).resolves.toMatch(/deploy-aws\s+✓ passed\s+same definition/);
        await expect(page.locator('#failures').innerText()).resolves.toContain('error: deployment "app" exceeded its progress deadline');

        await page.screenshot({ path: path.join(ARTIFACTS, 'report.png'), fullPage: true });
        if (process.env.CUTOVER_UPDATE_DOCS_SCREENSHOT === '1') await docsScreenshot(page);

        // Printed: the navigation goes, the charts stay whole and sized; a PDF comes out.
        await page.emulateMedia({ media: 'print' });
        await expect(page.locator('nav').isVisible()).resolves.toBe(false);
        await expectSized(page, 'svg.gantt');
        await expectSized(page, 'svg.weights', 2);
        const pdf = await page.pdf({ format: 'A4', printBackground: true });
        expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
        writeFileSync(path.join(ARTIFACTS, 'report.pdf'), pdf);
        await expectClean(opened);
      } finally {
        await opened.close();
      }
    },
  );
});

/** docs/report.png for the README: the top of the report and its first weight chart, one above the other. */
async function docsScreenshot(page: Page): Promise<void> {
  const top = await page.locator('header').boundingBox();
  const gantt = await page.locator('#timeline figure').boundingBox();
  const traffic = await page.locator('#traffic article').first().boundingBox();
  if (!top || !gantt || !traffic) throw new Error('report sections not found');
  const upper = await page.screenshot({ fullPage: true, clip: { x: 0, y: top.y - 16, width: 1200, height: gantt.y + gantt.height - top.y + 24 } });
  const lower = await page.screenshot({
    fullPage: true,
    clip: {
      x: 0,
      y: traffic.y - 8,
      width: 1200,
      height: traffic.height - (await page.locator('#traffic article').first().locator('.table-wrap').boundingBox())!.height + 8,
    },
  });
  const composite = await page.context().newPage();
  await composite.setViewportSize({ width: 1200, height: 600 });
  await composite.setContent(
    `<!doctype html><html><body style="margin:0;background:#fff"><img style="display:block" src="data:image/png;base64,${upper.toString('base64')}"><div style="height:1px;background:#bbb;margin:4px 60px"></div><img style="display:block" src="data:image/png;base64,${lower.toString('base64')}"></body></html>`,
  );
  await composite.screenshot({ path: path.join(ROOT, 'docs', 'report.png'), fullPage: true });
  await composite.close();
}

const TRAFFIC_RUNBOOK = `cutover: 1
name: web
description: Move app.example.com from the on-prem gateway to AWS, a few percent at a time.
aws: { region: eu-west-1 }
steps:
  - id: deploy-aws
    title: Deploy the app to EKS
    run: kubectl --context aws apply -f k8s/app.yaml
    verify: kubectl --context aws rollout status deploy/app --timeout=5m
    rollback: kubectl --context aws delete -f k8s/app.yaml
  - id: approve-db
    title: DB on-call confirms replication lag < 1s
    run: { manual: "Check the replication dashboard; lag must stay under 1s for 10 minutes." }
    rollback: none
    irreversible: an approval has nothing to undo
  - id: dns-10
    title: Send 10% of app.example.com to AWS
    run:
      route53: { zone: ZAPP, name: app.example.com., type: A, weights: { onprem: 90, aws: 10 } }
    bake: 30m
    watch: { http: { url: "https://app.example.com/healthz", samples: 20, minSuccess: 0.95 } }
  - id: lb-25
    title: Send 25% of the load balancer's traffic to the AWS target group
    run:
      elbv2: { listener: "${LISTENER}", weights: { onprem: 75, aws: 25 } }
  - id: dns-50
    title: Send half of app.example.com to AWS
    run:
      route53: { zone: ZAPP, name: app.example.com., type: A, weights: { onprem: 50, aws: 50 } }
    bake: 1h
    watch: { http: { url: "https://app.example.com/healthz", samples: 20, minSuccess: 0.95 } }
    onFailure: rollback-step
  - id: dns-100
    title: Send all of app.example.com to AWS
    run:
      route53: { zone: ZAPP, name: app.example.com., type: A, weights: { onprem: 0, aws: 100 } }
`;
