import { buildPlan } from '../../engine/plan.js';
import type { Plan } from '../../engine/plan.js';
import { createMasker } from '../../support/mask.js';
import { shortDigest } from '../../runbook/digest.js';
import { formatDuration } from '../../runbook/duration.js';
import type { Output } from '../output.js';
import { paint } from '../output.js';
import { loadOrExit } from '../runbook-options.js';
import { openJournalReadOnly, tornLineWarnings } from '../journal-reading.js';
import type { SessionFlags } from '../session.js';
import { replay } from '../../journal/replay.js';
import { renderTable } from '../table.js';
import { isDone } from '../../journal/replay.js';
import { previewForward } from '../../engine/traffic-preview.js';
import type { Runbook } from '../../runbook/types.js';
import { systemClock } from '../../support/clock.js';
import { awsFor } from '../aws-setup.js';
import { ExitCode, ExitError } from '../exit.js';

export interface PlanFlags extends SessionFlags {
  offline?: boolean;
  rollback?: boolean;
  detailedExitcode?: boolean;
}

export async function showPlan(file: string, flags: PlanFlags, output: Output): Promise<void> {
  if (!flags.detailedExitcode) {
    await planOnce(file, flags, output);
    return;
  }
  let code: number;
  try {
    code = await planOnce(file, flags, output);
  } catch (error) {
    // Terraform's convention: 2 is "changes pending" only; any error is 1.
    if (error instanceof ExitError && error.code === ExitCode.invalid) throw new ExitError(ExitCode.stepFailed, error.message);
    throw error;
  }
  if (code !== ExitCode.ok) throw new ExitError(code);
}

/** Shows the plan; returns the --detailed-exitcode code (errors are thrown, before or after showing it). */
async function planOnce(file: string, flags: PlanFlags, output: Output): Promise<number> {
  if (flags.detailedExitcode && flags.rollback)
    throw new ExitError(ExitCode.invalid, '--detailed-exitcode is for the forward plan; leave out --rollback (or --detailed-exitcode)');
  const runbook = await loadOrExit(file, flags, output);
  if (flags.rollback) {
    const { rollbackPreview, printRollbackPreview } = await import('../views/rollback-preview.js');
    printRollbackPreview(await rollbackPreview(runbook, flags, {}), flags, output);
    return ExitCode.ok;
  }
  const journal = await openJournalReadOnly(runbook, flags);
  for (const line of tornLineWarnings(journal, false)) output.err(line);
  const built = buildPlan(runbook, replay(journal.events), {}, Date.now());
  if (!flags.offline) await addLiveDiffs(built, runbook, flags);
  const plan = createMasker(runbook.secrets.values).value(built);
  if (flags.json) output.out(JSON.stringify(plan));
  else output.out(renderPlan(plan, output));
  if (!flags.detailedExitcode) return ExitCode.ok;
  const code = planExitCode(plan);
  if (code === ExitCode.stepFailed) throw new ExitError(code, planFailure(plan));
  return code;
}

/**
 * `plan --detailed-exitcode`: 0 nothing to do, 2 steps pending (or an interrupted one to
 * resolve), 1 a live read failed or run would refuse (someone must look first).
 */
export function planExitCode(plan: Plan): number {
  if (plan.refusal || plan.steps.some((s) => s.traffic !== undefined && 'error' in s.traffic)) return ExitCode.stepFailed;
  return plan.next !== undefined || plan.interrupted !== undefined ? ExitCode.planPending : ExitCode.ok;
}

function planFailure(plan: Plan): string {
  const failed = plan.steps.filter((s) => s.traffic !== undefined && 'error' in s.traffic).map((s) => s.id);
  if (failed.length > 0) return `exit 1 (--detailed-exitcode): the live state of ${failed.join(', ')} could not be read; see "live: unavailable" above`;
  return 'exit 1 (--detailed-exitcode): run would refuse; see "run would refuse" above';
}

/** The live diff of every pending traffic step (read-only AWS calls). */
async function addLiveDiffs(plan: Plan, runbook: Runbook, flags: PlanFlags): Promise<void> {
  const pending = new Set(plan.steps.filter((s) => !isDone(s.state)).map((s) => s.id));
  const steps = runbook.steps.filter((s) => pending.has(s.id) && (s.action.kind === 'route53' || s.action.kind === 'elbv2'));
  if (steps.length === 0) return;
  const { traffic } = awsFor(flags, runbook, systemClock);
  const previews = await previewForward(steps, traffic, new AbortController().signal);
  for (const step of plan.steps) {
    const preview = previews.get(step.id);
    if (preview) step.traffic = preview;
  }
}

export function renderPlan(plan: Plan, output: Pick<Output, 'color'>): string {
  const lines: string[] = [];
  const count = plan.steps.length;
  lines.push(`${paint(output, 'bold', plan.runbook.name)}: ${count} step${count === 1 ? '' : 's'} (${plan.runbook.file})`);
  if (plan.runbook.description) lines.push(plan.runbook.description);
  const grouped = plan.steps.some((step) => step.group);
  lines.push('');
  lines.push(
    renderTable(
      ['#', ...(grouped ? ['ITEM'] : []), 'STEP', 'STATE', 'ACTION', 'VERIFY', 'ROLLBACK', 'DIGEST'],
      plan.steps.map((step) => [
        String(step.index),
        ...(grouped ? [step.group ? `${step.group.id} ${step.group.item}` : '-'] : []),
        step.id,
        step.state + (step.changed ? ' (changed)' : ''),
        step.action.kind,
        step.verify.length > 0 ? 'yes' : '-',
        step.rollback.kind === 'action' ? (step.rollback.verify.length > 0 ? 'run + verify' : 'run') : step.rollback.kind,
        shortDigest(step.digest),
      ]),
    ),
  );
  let item: string | undefined;
  for (const step of plan.steps) {
    const heading = step.group ? groupHeading(plan, step.group) : undefined;
    if (heading !== undefined && heading !== item) lines.push('', paint(output, 'bold', heading));
    item = heading;
    lines.push('');
    lines.push(`${paint(output, 'bold', `${step.index}. ${step.id}`)}: ${step.title}`);
    if (step.description) lines.push(`   ${step.description}`);
    for (const check of step.precheck) lines.push(...field('precheck', check));
    lines.push(...field('run', step.action.summary));
    if (step.traffic)
      lines.push(...field('live', 'error' in step.traffic ? `unavailable: ${step.traffic.error}` : `${step.traffic.label}: ${step.traffic.change}`));
    for (const check of step.verify) lines.push(...field('verify', check));
    lines.push(...field('rollback', step.rollback.summary));
    for (const check of step.rollback.verify) lines.push(...field('rollback verify', check));
    if (step.bakeMs !== undefined) lines.push(...field('bake', formatDuration(step.bakeMs)));
    for (const check of step.watch) lines.push(...field('watch', check));
    lines.push(...field('on failure', step.onFailure));
    lines.push(...field('digest', step.digest));
    for (const change of step.diff ?? []) lines.push(...field('changed', change));
  }
  if (plan.notify) {
    lines.push('');
    for (const hook of plan.notify)
      lines.push(
        `notify ${hook.name ?? `#${hook.webhook}`}: ${hook.target === 'off' ? 'off (its url is empty)' : `${hook.target} (${hook.format})`}: ${hook.events.join(', ')}`,
      );
  }
  if (plan.refusal) lines.push('', `${paint(output, 'red', 'run would refuse')}: ${plan.refusal.reason}`);
  else if (plan.interrupted)
    lines.push('', `next: resolve the interrupted step ${plan.interrupted} (its verify judges it; it runs again only if it did not complete)`);
  else if (plan.bake && plan.next) lines.push('', `next: ${plan.next}, after ${plan.bake.step} has baked (until ${plan.bake.until})`);
  else if (plan.next) lines.push('', `next: ${plan.next}`);
  else lines.push('', 'next: nothing, every step is done');
  return lines.join('\n');
}

/** `group move, item 2/4: shard-01 (steps 9-14)`: a group's steps run item after item, one item at a time. */
function groupHeading(plan: Plan, group: NonNullable<Plan['steps'][number]['group']>): string {
  const indexes = plan.steps.filter((s) => s.group?.id === group.id && s.group.index === group.index).map((s) => s.index);
  const span = indexes.length > 1 ? `steps ${indexes[0] ?? ''}-${indexes.at(-1) ?? ''}` : `step ${indexes[0] ?? ''}`;
  return `── group ${group.id}, item ${group.index}/${group.of}: ${group.item} (${span})`;
}

function field(name: string, value: string): string[] {
  const [first = '', ...rest] = value.split('\n');
  const label = `   ${`${name}:`.padEnd(17)}`;
  return [`${label}${first}`, ...rest.map((line) => `${' '.repeat(label.length)}${line}`)];
}
