/** The report plots what metric watches saw over the bake windows. */
import { describe, expect, it } from 'vitest';
import { renderHtml } from '../../src/report/html.js';
import { buildReportModel } from '../../src/report/model.js';
import { bakedWorld } from '../helpers/watched-world.js';

describe('watched metrics in the report', () => {
  it('one series per step, bake and check, with the bake window and every watch value (not the verify)', async () => {
    const world = await bakedWorld();
    const model = buildReportModel({ events: world.events() });
    expect(model.watchMetrics).toHaveLength(1);
    const series = model.watchMetrics[0]!;
    expect(series).toMatchObject({ step: 'dns-10', attempt: 1, check: 'CloudWatch p99 <latency>', max: 1, window: 'last 5m' });
    expect(series.points.map((p) => [p.value, p.ok])).toEqual([
      [0.4, true],
      [null, true],
      [0.6, true],
      [1.5, false],
    ]);
    const bake = model.timeline.find((t) => t.kind === 'bake');
    expect(series.bake).toEqual({ start: bake?.start, end: bake?.end });
  });

  it('draws an inline SVG sparkline with the threshold, a marker per evaluation, and a text description', async () => {
    const world = await bakedWorld();
    const html = renderHtml(buildReportModel({ events: world.events() }));
    const section = html.slice(html.indexOf('<section id="watch-metrics"'), html.indexOf('</section>', html.indexOf('<section id="watch-metrics"')));
    expect(section).toContain('<svg class="sparkline"');
    expect(section).toContain('max 1</text>');
    expect(section.match(/<g class="point ok">/g)).toHaveLength(2);
    expect(section.match(/<g class="point failed">/g)).toHaveLength(1);
    expect(section.match(/<g class="point none">/g)).toHaveLength(1);
    expect(section).toContain('CloudWatch p99 &lt;latency&gt;');
    expect(section).toMatch(
      /<desc id="watch-metric-0-desc">4 watch evaluations of CloudWatch p99 &lt;latency&gt; during the bake of dns-10 from .*; threshold max 1; 1 failed; values: .* 0.4, .* no value, .* 0.6, .* 1.5\.<\/desc>/,
    );
    expect(section).toContain('<caption>Watch values of CloudWatch p99 &lt;latency&gt; during the bake of dns-10</caption>');
    // Self-contained: nothing fetched.
    expect(section).not.toMatch(/(src|href)="http/);
  });

  it('says so when no metric was watched', () => {
    expect(renderHtml(buildReportModel({ events: [] }))).toContain(
      'No metric check (cloudwatchAlarm, cloudwatchMetric, prometheus) was evaluated as a watch during a bake.',
    );
  });
});
