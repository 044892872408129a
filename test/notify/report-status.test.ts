/** Deliveries in `status` (one line) and in the report (model, Markdown, HTML). */
import { describe, expect, it } from 'vitest';
import { buildStatus, statusReport } from '../../src/cli/views/status.js';
import { renderFrame } from '../../src/cli/handlers/status-watch.js';
import { replay } from '../../src/journal/replay.js';
import { renderHtml } from '../../src/report/html.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { buildReportModel } from '../../src/report/model.js';
import { buildJournal, failed, started, succeeded } from '../helpers/journal-fixtures.js';

const { events } = buildJournal([
  started('a'),
  succeeded('a'),
  { type: 'notify.sent', data: { webhook: 1, name: 'ops', event: 'run-started', attempts: 1, status: 200 } },
  started('b'),
  failed('b'),
  { type: 'notify.sent', data: { webhook: 1, name: 'ops', event: 'step-failed', step: 'b', attempts: 2, status: 204 } },
  { type: 'notify.failed', data: { webhook: 2, event: 'step-failed', step: 'b', attempts: 3, reason: 'HTTP 503', status: 503 } },
]);
const runbook = {
  name: 'web',
  file: 'web.yaml',
  steps: [
    { id: 'a', digest: 'digest-a' },
    { id: 'b', digest: 'digest-b' },
  ],
};

describe('notifications in status', () => {
  it('one line: sent, failed, and the last failure', () => {
    const status = buildStatus(runbook, replay(events), 'j', Date.parse('2026-01-01T01:00:00Z'));
    expect(status.notifications).toEqual({ sent: 2, failed: 1, lastFailure: { webhook: '#2', event: 'step-failed', ts: events[7]?.ts, reason: 'HTTP 503' } });
    expect(statusReport(status, true, { color: false }, false)).toContain(
      'notifications: 2 sent, 1 failed (last: webhook #2, step-failed at 00:00:07Z: HTTP 503)',
    );
  });

  it('status --watch shows the same line', () => {
    const outline = { ...runbook, steps: runbook.steps.map((s) => ({ ...s, title: s.id })) };
    const frame = renderFrame(outline, 'j', true, events, {
      at: Date.parse('2026-01-01T01:00:00Z'),
      columns: 120,
      rows: 60,
      intervalMs: 2000,
      output: { color: false },
    });
    expect(frame).toContain('notifications: 2 sent, 1 failed (last: webhook #2, step-failed at 00:00:07Z: HTTP 503)');
  });

  it('says nothing when no webhook was tried', () => {
    const status = buildStatus(runbook, replay(events.slice(0, 3)), 'j');
    expect(status.notifications).toBeUndefined();
    expect(statusReport(status, true, { color: false }, false).join('\n')).not.toContain('notifications');
  });
});

describe('notifications in the report', () => {
  const model = buildReportModel({ events });

  it('lists every delivery; the steps are as without them', () => {
    expect(model.notifications).toEqual([
      { seq: 4, ts: events[3]?.ts, webhook: 'ops', event: 'run-started', sent: true, attempts: 1, status: 200 },
      { seq: 7, ts: events[6]?.ts, webhook: 'ops', event: 'step-failed', step: 'b', sent: true, attempts: 2, status: 204 },
      { seq: 8, ts: events[7]?.ts, webhook: '#2', event: 'step-failed', step: 'b', sent: false, attempts: 3, status: 503, reason: 'HTTP 503' },
    ]);
    const without = buildReportModel({ events: buildJournal([started('a'), succeeded('a'), started('b'), failed('b')]).events });
    expect(model.steps.map((s) => [s.id, s.state, s.failures])).toEqual(without.steps.map((s) => [s.id, s.state, s.failures]));
    expect(without.notifications).toBeUndefined();
  });

  it('renders a Notifications section in Markdown and HTML', () => {
    const md = renderMarkdown(model);
    expect(md).toContain('## Notifications');
    expect(md).toContain('**failed** after 3 tries: HTTP 503');
    expect(md).toContain('sent (HTTP 204, 2 tries)');
    const html = renderHtml(model);
    expect(html).toContain('<section id="notifications"');
    expect(html).toContain('2 sent, 1 failed.');
    expect(html).toContain('failed after 3 tries: HTTP 503');
  });
});
