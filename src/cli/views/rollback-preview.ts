/**
 * `plan --rollback` and `rollback --dry-run`: what a rollback would undo, newest first, and
 * for traffic steps the live weights and the captured ones it would restore. Read-only.
 */
import { describeRollback } from '../../runbook/describe.js';
import { replay } from '../../journal/replay.js';
import { planRollback } from '../../engine/rollback.js';
import type { RollbackCandidate, RollbackOptions } from '../../engine/rollback.js';
import type { JournalState } from '../../journal/replay.js';
import type { Traffic } from '../../actions/traffic/index.js';
import { previewRestores } from '../../engine/traffic-preview.js';
import type { TrafficPreview } from '../../engine/traffic-preview.js';
import type { Runbook, Step } from '../../runbook/types.js';
import { systemClock } from '../../support/clock.js';
import { createMasker } from '../../support/mask.js';
import { awsFor } from '../aws-setup.js';
import type { AwsFlags } from '../aws-setup.js';
import { ExitCode, ExitError } from '../exit.js';
import { openJournalReadOnly } from '../journal-reading.js';
import type { Output } from '../output.js';
import { paint } from '../output.js';

export interface RollbackPreviewStep {
  id: string;
  undo: string;
  traffic?: TrafficPreview;
  /** Its effect is unknown: the rollback asks (or follows --failed-steps). */
  uncertain?: string;
}

export interface RollbackPreviewFlags extends AwsFlags {
  journal?: string;
  json?: boolean;
  offline?: boolean;
}

export async function rollbackPreview(runbook: Runbook, flags: RollbackPreviewFlags, options: RollbackOptions): Promise<RollbackPreviewStep[]> {
  const journal = await openJournalReadOnly(runbook, flags);
  const state = replay(journal.events);
  const plan = planRollback(
    state,
    runbook.steps.map((s) => s.id),
    options,
  );
  if (!plan.ok) throw new ExitError(ExitCode.invalid, plan.reason);
  const traffic = flags.offline ? undefined : awsFor(flags, runbook, systemClock).traffic;
  const steps = await previewSteps(state, plan.steps, traffic);
  return createMasker(runbook.secrets.values).value(steps);
}

/**
 * Each candidate with what its undo does and, for a derived traffic rollback, the weights it
 * restores: live -> captured when `traffic` is given, else the journaled capture alone.
 */
export async function previewSteps(
  state: JournalState,
  candidates: readonly RollbackCandidate[],
  traffic: Traffic | undefined,
): Promise<RollbackPreviewStep[]> {
  const derived = candidates.filter((s) => s.definition.rollback.kind === 'derived');
  const order = (definition: Step) =>
    definition.action.kind === 'route53' || definition.action.kind === 'elbv2' ? Object.keys(definition.action.weights) : [];
  const previews = await previewRestores(
    state,
    derived.map((s) => ({ id: s.id, order: order(s.definition) })),
    traffic,
    new AbortController().signal,
    { checkDrift: true },
  );
  return candidates.map(({ id, definition, uncertain }): RollbackPreviewStep => {
    const preview = previews.get(id);
    const undo =
      definition.rollback.kind === 'derived' && !preview ? 'nothing to restore (the step changed no traffic)' : describeRollback(definition.rollback);
    return { id, undo, ...(preview ? { traffic: preview } : {}), ...(uncertain ? { uncertain } : {}) };
  });
}

/**
 * The lines `cutover rollback` prints before asking: each step on its own line with what its
 * undo does, and the captured weights a traffic restore puts back. Masked by the caller.
 */
export function rollbackConfirmation(steps: readonly RollbackPreviewStep[]): { lines: string[]; question: string } {
  const lines = [`Rollback of ${steps.length} step(s), newest first:`];
  steps.forEach((step, index) => {
    lines.push(`  ${index + 1}. ${step.id}: ${oneLine(step.undo)}`);
    if (step.traffic)
      lines.push(`     ${'error' in step.traffic ? `weights unavailable: ${step.traffic.error}` : `${step.traffic.label}: ${step.traffic.change}`}`);
  });
  return { lines, question: `Roll back ${steps.length === 1 ? 'this step' : `these ${steps.length} steps`}?` };
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ⏎ ');
}

export function printRollbackPreview(steps: RollbackPreviewStep[], flags: { json?: boolean }, output: Output): void {
  if (flags.json) {
    output.out(JSON.stringify({ rollback: steps }));
    return;
  }
  if (steps.length === 0) {
    output.out('nothing to roll back: no step in the journal has an effect to undo.');
    return;
  }
  output.out(`${paint(output, 'bold', 'rollback would undo')}, newest first:`);
  steps.forEach((step, index) => {
    output.out(`${index + 1}. ${step.id}: ${step.undo}`);
    if (step.uncertain)
      output.out(
        `   ${paint(output, 'yellow', 'effect unknown')}: ${step.uncertain}; the rollback asks whether to undo it (--failed-steps rollback|skip in CI)`,
      );
    if (step.traffic)
      output.out(`   ${'error' in step.traffic ? `live state unavailable: ${step.traffic.error}` : `${step.traffic.label}: ${step.traffic.change}`}`);
    if (step.traffic && 'structural' in step.traffic && step.traffic.structural) {
      output.out(
        `   ${paint(output, 'red', 'structural change')}: ${step.traffic.structural}; the rollback would stop here (--force does not help: a rollback only puts weights back)`,
      );
    } else if (step.traffic && 'drift' in step.traffic && step.traffic.drift) {
      output.out(`   ${paint(output, 'yellow', 'drift')}: ${step.traffic.drift}; the rollback would stop here (--force restores anyway)`);
    }
  });
}
