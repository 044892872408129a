/** The Markdown report (for tickets) and the terminal timeline (for status --watch). */
import { describe, expect, it } from 'vitest';
import { mdCode, mdText, renderMarkdown } from '../../src/report/markdown.js';
import { buildReportModel } from '../../src/report/model.js';
import { renderTextTimeline } from '../../src/report/text.js';
import { JournalScript, TRAFFIC_STEPS, runStarted, shellStep, stepFailed, stepStarted, trafficMigration } from './fixtures.js';

async function trafficModel() {
  const j = await trafficMigration();
  return buildReportModel({
    events: await j.events(),
    runbook: {
      name: 'web',
      description: 'Move app traffic to AWS',
      file: 'runbooks/web.yaml',
      steps: TRAFFIC_STEPS.map((id) => ({ id, digest: `sha256:${id}-v1` })),
    },
    journalLocation: '.cutover/web.journal.jsonl',
  });
}

describe('Markdown report', () => {
  it('has the sections, tables and facts of the HTML report', async () => {
    const md = renderMarkdown(await trafficModel());
    const headings = md.split('\n').filter((l) => l.startsWith('#'));
    expect(headings).toEqual([
      '# Migration report: web',
      '## Summary',
      '## Steps',
      '## Timeline',
      '## Traffic weights',
      '### Route 53: `app.example.com. A in ZAPP`',
      '### ELBv2: `listener app/web/50dc6c495c0c9188/f2f7dc8efc522ab2`',
      '## Failures and retries',
      '### `deploy-aws` failed (attempt 1)',
      '### `dns-50` interrupted (attempt 1)',
      '### `dns-50` watch failed (attempt 1)',
      '## Operator decisions',
      '### Approvals',
      '## Rehearsal evidence',
    ]);
    expect(md).toContain('**Outcome:** ◐ Partly done (last run: rolled back)');
    expect(md).toContain('| 2026-03-02 09:25:47Z | after | `dns-10` | alice@laptop | 90 (90%) | 10 (10%) |');
    expect(md).toContain('- **Then:** retried (attempt 2) at 2026-03-02 09:02:18Z by alice@laptop: succeeded');
    expect(md).toMatch(/```text\napplying k8s\/app.yaml\nerror: deployment "app" exceeded its progress deadline\npassword=\\?\*\*\*\n```/);
    // Every table row has as many cells as its header.
    const lines = md.split('\n');
    lines.forEach((line, i) => {
      if (!line.startsWith('|---')) return;
      const columns = (lines[i - 1] as string).split(/(?<!\\)\|/).length;
      for (let j = i + 1; j < lines.length && lines[j]?.startsWith('|'); j++) expect((lines[j] as string).split(/(?<!\\)\|/).length, lines[j]).toBe(columns);
    });
  });

  it('escapes journal text: no table breaks, links, HTML or fences from the output', async () => {
    const j = new JournalScript();
    await j.append(runStarted(), stepStarted(shellStep('a', { title: 'a | b [x](https://evil.example) <b>bold</b> *em*' })));
    await j.after(1_000).append(stepFailed('a', 'reason | with pipe\nand newline <script>', 1, ['```', 'line with ``` fence', '~~~']));
    const md = renderMarkdown(
      buildReportModel({ events: await j.events(), runbook: { name: 'web', steps: [{ id: 'a', title: 'a | b [x](https://evil.example) <b>bold</b> *em*' }] } }),
    );
    expect(md).toContain('a \\| b \\[x\\](https://evil.example) &lt;b>bold&lt;/b> \\*em\\*');
    expect(md).toContain('- **Reason:** reason \\| with pipe and newline &lt;script>');
    expect(md).not.toContain('<script');
    // The tail is fenced with a longer fence than any inside it.
    expect(md).toContain('````text\n```\nline with ``` fence\n~~~\n````');
  });

  it('mdText and mdCode', () => {
    expect(mdText('# heading')).toBe('\\# heading');
    expect(mdText('1. item')).toBe('1\\. item');
    expect(mdText('a_b*c`d')).toBe('a\\_b\\*c\\`d');
    expect(mdCode('a`b')).toBe('``a`b``');
    expect(mdCode('`x`')).toBe('`` `x` ``');
    expect(mdCode('a|b')).toBe('`a\\|b`');
  });
});

describe('terminal timeline', () => {
  it('one row per step with a glyph per kind, on the compressed axis, and a legend', async () => {
    const lines = renderTextTimeline(await trafficModel(), { width: 100 });
    expect(lines[0]).toMatch(/2026-03-02 09:00:00Z ─+ 2026-03-03 08:42:45Z/);
    const row = (label: string) => lines.find((l) => l.startsWith(`${label} `)) ?? '';
    expect(row('deploy-aws')).toMatch(/X.*█/);
    expect(row('dns-10')).toMatch(/█░+\+░+\+/);
    expect(row('dns-50')).toMatch(/<|░|!/);
    expect(row('approve-db')).toContain('A');
    expect(row('dns-100').trim()).toMatch(/^dns-100\s*┊*$/);
    expect(lines.join('\n')).toContain('┊ idle gap');
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(100);
  });

  it('colours through the given painter only; without it, plain text', async () => {
    const model = await trafficModel();
    const plain = renderTextTimeline(model, { width: 80 });
    expect(plain.join('\n')).not.toContain('\u001b[');
    const painted = renderTextTimeline(model, { width: 80, paint: (style, text) => `<${style}>${text}</${style}>` });
    expect(painted.join('\n')).toMatch(/<green>█+<\/green>/);
    expect(painted.join('\n')).toContain('<red>X</red>');
  });

  it('says so when nothing is journaled', () => {
    expect(renderTextTimeline(buildReportModel({ events: [] }), { width: 80 })).toEqual(['(nothing journaled yet)']);
  });
});
