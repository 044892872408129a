/**
 * The report as Markdown, to paste into a change ticket: the same facts as the HTML page,
 * as headings, tables and fenced output tails (no charts: the weight tables carry the data).
 * Text from the journal is escaped so it cannot turn into links, HTML or table breaks.
 */
import { formatPercent, formatSpan, formatTime, notChecked, shortHash } from './format.js';
import type { FailureItem, NotificationItem, ReportModel } from './model.js';
import { approvalUse } from './model.js';

/** Escapes text for a Markdown paragraph or table cell (one line): no emphasis, links, HTML or cell breaks. */
export function mdText(text: unknown): string {
  return String(text)
    .replace(/\r?\n/g, ' ')
    .replace(/([\\`*_[\]|~])/g, '\\$1')
    .replace(/</g, '&lt;')
    .replace(/^([#>+-])/, '\\$1')
    .replace(/^(\d+)\./, '$1\\.');
}

/** An inline code span that survives backticks in the text. */
export function mdCode(text: unknown): string {
  const value = String(text).replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
  const longest = Math.max(0, ...[...value.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = value.startsWith('`') || value.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${value}${pad}${fence}`;
}

function fenced(lines: readonly string[]): string {
  const text = lines.join('\n');
  const longest = Math.max(2, ...[...text.matchAll(/`{3,}|~{3,}/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}text\n${text}\n${fence}`;
}

function mdTable(headers: string[], rows: string[][]): string {
  return [`| ${headers.join(' | ')} |`, `|${headers.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}

const OUTCOME: Record<ReportModel['outcome'], string> = {
  'not-started': 'Not started',
  completed: '✓ Completed',
  'in-progress': '… In progress (or cutover stopped)',
  partial: '◐ Partly done',
  failed: '✗ Failed',
  interrupted: '‖ Interrupted',
  'rolled-back': '↺ Rolled back',
  'rollback-failed': '✗ Rollback failed: a human is needed',
};

export function renderMarkdown(model: ReportModel): string {
  const out: string[] = [];
  const t = model.totals;
  out.push(`# Migration report: ${mdText(model.runbook.name)}`, '');
  if (model.runbook.description) out.push(mdText(model.runbook.description), '');
  out.push(`**Outcome:** ${OUTCOME[model.outcome]}${model.lastRunOutcome ? ` (last run: ${mdText(model.lastRunOutcome.replace(/_/g, ' '))})` : ''}`, '');

  const meta: [string, string][] = [];
  if (model.runbook.file) meta.push(['Runbook', mdCode(model.runbook.file)]);
  if (model.runbook.fileDigest) meta.push(['Runbook digest', mdCode(model.runbook.fileDigest)]);
  if (model.runbook.definitionDigest) meta.push(['Steps digest', mdCode(model.runbook.definitionDigest)]);
  if (model.journal.location) meta.push(['Journal', mdCode(model.journal.location)]);
  meta.push(['Journal events', `${model.journal.events}${model.journal.head ? `, chain head ${mdCode(model.journal.head)}` : ''}`]);
  if (t.startedAt) meta.push(['From', `${formatTime(t.startedAt)} to ${formatTime(t.endedAt)} (UTC)`]);
  if (t.operators.length > 0) meta.push(['Operators', t.operators.map(mdText).join(', ')]);
  for (const [k, v] of meta) out.push(`- **${k}:** ${v}`);
  out.push('');

  out.push('## Summary', '');
  const states = Object.entries(t.byState)
    .map(([state, count]) => `${count} ${state}`)
    .join(', ');
  out.push(
    mdTable(
      ['What', 'Count'],
      [
        ['Duration', `${formatSpan(t.durationMs)} (work: ${formatSpan(t.busyMs)})`],
        ['Steps', `${t.steps}${states ? ` (${states})` : ''}`],
        ['Steps without incident', `${t.cleanSteps} of ${t.steps}`],
        ['Step runs', `${t.stepRuns} (${t.retries} retries)`],
        ['Failures', `${t.failures} failed, ${t.interruptions} interrupted, ${t.watchesFailed} failed watches`],
        ['Rollbacks', `${t.rollbacks}${t.rollbacksFailed > 0 ? ` (${t.rollbacksFailed} failed)` : ''}`],
        ['Traffic changes', `${t.trafficChanges} applied, ${t.trafficRestores} restored`],
        ['Decisions / approvals', `${t.decisions} / ${t.approvals}`],
      ],
    ),
    '',
  );
  for (const note of model.notes) out.push(`> **Note:** ${mdText(note)}`, '');

  if (model.items && model.items.length > 0) {
    out.push('## Items', '', 'Groups run their steps item after item, one item at a time.', '');
    out.push(
      mdTable(
        ['Group', 'Item', 'Steps done', 'State'],
        model.items.map((i) => [mdCode(i.group), mdCode(i.item), `${i.done}/${i.total}`, i.state]),
      ),
      '',
    );
  }
  out.push('## Steps', '');
  out.push(
    mdTable(
      ['Step', 'Title', 'State', 'Attempts', 'Last run', 'Operators', 'Digest', 'Rehearsal'],
      model.steps.map((s) => [
        mdCode(s.id),
        mdText(s.title ?? '') + (s.inRunbook ? '' : ' (no longer in the runbook)'),
        s.state + (s.clean ? ' (no incident)' : ''),
        String(s.attempts),
        s.durationMs === undefined ? '-' : formatSpan(s.durationMs),
        s.operators.map(mdText).join(', ') || '-',
        mdCode(shortHash(s.digest ?? s.currentDigest)) +
          (s.changed ? ' (changed since it ran)' : '') +
          (s.unchecked ? ` (${mdText(notChecked(s.unchecked))})` : ''),
        s.rehearsal ? `${s.rehearsal.verdict}${s.rehearsal.definition === 'different' ? ' (another definition)' : ''}` : 'none',
      ]),
    ),
    '',
  );

  out.push('## Timeline', '', 'Times are UTC.', '');
  out.push(
    mdTable(
      ['Start', 'End', 'Duration', 'Step', 'Kind', 'Outcome', 'Who', 'What'],
      model.timeline.map((i) => [
        formatTime(i.start),
        i.end && i.kind !== 'approval' && i.kind !== 'decision' && i.kind !== 'watch' ? `${formatTime(i.end)}${i.open ? ' (open)' : ''}` : '-',
        i.durationMs !== undefined ? formatSpan(i.durationMs) : '-',
        i.step ? mdCode(i.step) : '-',
        i.kind,
        i.outcome,
        mdText(i.by) + (i.endedBy ? ` (ended by ${mdText(i.endedBy)})` : ''),
        mdText([i.label, i.detail].filter(Boolean).join(': ')),
      ]),
    ),
    '',
  );

  if (model.traffic.length > 0) {
    out.push(
      '## Traffic weights',
      '',
      'Weight (share of traffic) per state: *before* = captured just before a change, *after* = what the step left, *restored* = what a rollback put back.',
      '',
    );
    for (const series of model.traffic) {
      out.push(`### ${series.kind === 'route53' ? 'Route 53' : 'ELBv2'}: ${mdCode(series.label)}`, '');
      out.push(
        mdTable(
          ['When', 'State', 'Step', 'Who', ...series.keys.map((k) => mdText(k.name))],
          series.points.map((p) => [
            formatTime(p.ts),
            p.phase + (p.recovered ? ' (recovered)' : ''),
            mdCode(p.step),
            mdText(p.by),
            ...series.keys.map((k) => {
              const weight = p.weights[k.key];
              const share = p.shares[k.key];
              return weight === undefined ? '-' : `${weight}${share === null || share === undefined ? '' : ` (${formatPercent(share)})`}`;
            }),
          ]),
        ),
        '',
      );
    }
  }

  out.push('## Failures and retries', '');
  if (model.failures.length === 0) out.push('No step failed, was interrupted, or had a failing watch; no rollback failed.', '');
  for (const f of model.failures) out.push(...failureMd(f));

  out.push('## Operator decisions', '');
  if (model.decisions.length === 0) out.push('No operator decision was journaled.', '');
  else {
    out.push(
      mdTable(
        ['When', 'Who', 'Step', 'Question', 'Choice'],
        model.decisions.map((d) => [
          formatTime(d.ts),
          mdText(d.by),
          d.step ? mdCode(d.step) : '-',
          mdText(d.prompt),
          `**${mdText(d.choice)}**${d.note ? ` (${mdText(d.note)})` : ''}`,
        ]),
      ),
      '',
    );
  }
  if (model.approvals.length > 0) {
    out.push('### Approvals', '');
    out.push(
      mdTable(
        ['When', 'Who', 'Step', 'Note', 'Expires', 'Used'],
        model.approvals.map((a) => [
          formatTime(a.ts),
          mdText(a.by),
          mdCode(a.step),
          a.note ? mdText(a.note) : '-',
          a.expiresAt ? formatTime(a.expiresAt) : 'never',
          approvalUse(a, formatTime),
        ]),
      ),
      '',
    );
  }

  if (model.notifications) {
    out.push('## Notifications', '', "Webhooks of the runbook's `notify:` (by name or position; their URLs are never journaled).", '');
    out.push(
      mdTable(
        ['When', 'Webhook', 'Event', 'Step', 'Delivery'],
        model.notifications.map((n) => [formatTime(n.ts), mdText(n.webhook), mdText(n.event), n.step ? mdCode(n.step) : '-', notificationOutcome(n)]),
      ),
      '',
    );
  }

  out.push('## Rehearsal evidence', '');
  if (!model.rehearsal) out.push('No rehearsal journal was given or found.', '');
  else {
    out.push(`From ${model.rehearsal.location ? mdCode(model.rehearsal.location) : 'the rehearsal journal'} (${model.rehearsal.events} events).`, '');
    out.push(
      mdTable(
        ['Step', 'Verdict', 'Definition', 'When', 'Who', 'Phases'],
        model.steps.map((s) => {
          const ev = s.rehearsal;
          if (!ev) return [mdCode(s.id), 'never rehearsed', '-', '-', '-', '-'];
          const phases = Object.entries(ev.phases)
            .map(([name, phase]) => `${name} ${phase.status}`)
            .join(', ');
          return [
            mdCode(s.id),
            ev.verdict + (ev.reason ? `: ${mdText(ev.reason)}` : ''),
            ev.definition === 'same' ? 'same' : ev.definition === 'different' ? 'another definition' : 'unknown',
            formatTime(ev.ts),
            mdText(ev.by),
            mdText(phases),
          ];
        }),
      ),
      '',
    );
  }

  out.push(
    '---',
    '',
    `Generated by cutover${model.generatedAt ? ` at ${formatTime(model.generatedAt)}` : ''}. Secrets were masked as \`***\` when the journal was written and stay masked here.`,
    '',
  );
  return out.join('\n');
}

const FAILURE_KIND: Record<FailureItem['kind'], string> = { step: 'failed', rollback: 'rollback failed', interrupted: 'interrupted', watch: 'watch failed' };

function failureMd(f: FailureItem): string[] {
  const out: string[] = [`### ${mdCode(f.step)} ${FAILURE_KIND[f.kind]}${f.attempt !== undefined ? ` (attempt ${f.attempt})` : ''}`, ''];
  out.push(`- **When:** ${formatTime(f.ts)} by ${mdText(f.by)}`);
  if (f.phase) out.push(`- **Phase:** ${f.phase}`);
  out.push(`- **Reason:** ${mdText(f.reason)}`);
  if (f.exitCode !== undefined) out.push(`- **Exit code:** ${f.exitCode}${f.timedOut ? ' (timed out)' : ''}`);
  if (f.signal) out.push(`- **Signal:** ${mdText(f.signal)}`);
  if (f.decisions.length > 0)
    out.push(`- **Operator chose:** ${f.decisions.map((d) => `${mdText(d.choice)} (${mdText(d.by)}, ${formatTime(d.ts)})`).join('; ')}`);
  out.push(
    `- **Then:** ${f.next ? `${f.next.what}${f.next.attempt !== undefined ? ` (attempt ${f.next.attempt})` : ''} at ${formatTime(f.next.ts)} by ${mdText(f.next.by)}${f.next.outcome ? `: ${f.next.outcome}` : ''}` : 'nothing yet'}`,
  );
  out.push('');
  if (f.tail.length > 0) out.push(`Last ${f.tail.length} lines of output:`, '', fenced(f.tail), '');
  return out;
}

/** "sent (HTTP 200, 2 tries)" / "**failed** after 3 tries: HTTP 503". */
export function notificationOutcome(n: NotificationItem): string {
  const tries = `${n.attempts} ${n.attempts === 1 ? 'try' : 'tries'}`;
  return n.sent ? `sent (HTTP ${n.status ?? '?'}, ${tries})` : `**failed** after ${tries}: ${mdText(n.reason ?? '')}`;
}
