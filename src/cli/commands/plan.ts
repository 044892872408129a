import { buildPlan } from '../../engine/plan.js';
import type { Plan } from '../../engine/plan.js';
import { createMasker } from '../../support/mask.js';
import { shortDigest } from '../../runbook/digest.js';
import { formatDuration } from '../../runbook/duration.js';
import type { Output } from '../output.js';
import { paint } from '../output.js';
import { loadOrExit } from '../runbook-options.js';
import { openJournalReadOnly } from '../journal-reading.js';
import type { SessionFlags } from '../session.js';
import { replay } from '../../journal/replay.js';
import { renderTable } from '../table.js';

export async function planCommand(file: string, flags: SessionFlags, output: Output): Promise<void> {
  const runbook = await loadOrExit(file, flags, output);
  const journal = await openJournalReadOnly(runbook, flags);
  const plan = createMasker(runbook.secrets.values).value(buildPlan(runbook, journal.exists ? replay(journal.events) : undefined));
  if (flags.json) {
    output.out(JSON.stringify(plan));
    return;
  }
  output.out(renderPlan(plan, output));
}

export function renderPlan(plan: Plan, output: Pick<Output, 'color'>): string {
  const lines: string[] = [];
  const count = plan.steps.length;
  lines.push(`${paint(output, 'bold', plan.runbook.name)}: ${count} step${count === 1 ? '' : 's'} (${plan.runbook.file})`);
  if (plan.runbook.description) lines.push(plan.runbook.description);
  lines.push('');
  lines.push(
    renderTable(
      ['#', 'STEP', 'STATE', 'ACTION', 'VERIFY', 'ROLLBACK', 'DIGEST'],
      plan.steps.map((step) => [
        String(step.index),
        step.id,
        step.state + (step.changed ? ' (changed)' : ''),
        step.action.kind,
        step.verify.length > 0 ? 'yes' : '-',
        step.rollback.kind === 'action' ? (step.rollback.verify.length > 0 ? 'run + verify' : 'run') : step.rollback.kind,
        shortDigest(step.digest),
      ]),
    ),
  );
  for (const step of plan.steps) {
    lines.push('');
    lines.push(`${paint(output, 'bold', `${step.index}. ${step.id}`)}: ${step.title}`);
    if (step.description) lines.push(`   ${step.description}`);
    for (const check of step.precheck) lines.push(...field('precheck', check));
    lines.push(...field('run', step.action.summary));
    for (const check of step.verify) lines.push(...field('verify', check));
    lines.push(...field('rollback', step.rollback.summary));
    for (const check of step.rollback.verify) lines.push(...field('rollback verify', check));
    if (step.bakeMs !== undefined) lines.push(...field('bake', formatDuration(step.bakeMs)));
    for (const check of step.watch) lines.push(...field('watch', check));
    lines.push(...field('on failure', step.onFailure));
    lines.push(...field('digest', step.digest));
  }
  if (plan.next) lines.push('', `next: ${plan.next}`);
  return lines.join('\n');
}

function field(name: string, value: string): string[] {
  const [first = '', ...rest] = value.split('\n');
  const label = `   ${`${name}:`.padEnd(17)}`;
  return [`${label}${first}`, ...rest.map((line) => `${' '.repeat(label.length)}${line}`)];
}
