/**
 * `plan --rollback` and `rollback --dry-run`: what a rollback would undo, newest first, and
 * for traffic steps the live weights and the captured ones it would restore. Read-only.
 */
import { describeRollback } from '../../engine/describe.js';
import { firstCaptureSinceRollback } from '../../engine/execute-rollback.js';
import { planRollback } from '../../engine/rollback.js';
import type { RollbackOptions } from '../../engine/rollback.js';
import { previewRestore } from '../../engine/traffic-preview.js';
import type { TrafficPreview } from '../../engine/traffic-preview.js';
import type { Runbook } from '../../runbook/types.js';
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
}

export interface RollbackPreviewFlags extends AwsFlags {
  journal?: string;
  json?: boolean;
  offline?: boolean;
}

export async function rollbackPreview(runbook: Runbook, flags: RollbackPreviewFlags, options: RollbackOptions): Promise<RollbackPreviewStep[]> {
  const journal = await openJournalReadOnly(runbook, flags);
  const plan = planRollback({ journal }, options);
  if (!plan.ok) throw new ExitError(ExitCode.invalid, plan.reason);
  const traffic = flags.offline ? undefined : awsFor(flags, runbook, systemClock).traffic;
  const signal = new AbortController().signal;
  const steps: RollbackPreviewStep[] = [];
  const targetsSeen = new Set<string>();
  for (const { id, definition } of plan.steps) {
    const order = definition.action.kind === 'route53' || definition.action.kind === 'elbv2' ? Object.keys(definition.action.weights) : [];
    const target = firstCaptureSinceRollback(journal.events, id)?.target;
    const checkDrift = target !== undefined && !targetsSeen.has(target);
    if (target !== undefined) targetsSeen.add(target);
    const preview = definition.rollback.kind === 'derived' ? await previewRestore(journal.events, id, traffic, signal, { order, checkDrift }) : undefined;
    const undo = definition.rollback.kind === 'derived' && !preview ? 'nothing to restore (the step changed no traffic)' : describeRollback(definition.rollback);
    steps.push(preview ? { id, undo, traffic: preview } : { id, undo });
  }
  return createMasker(runbook.secrets.values).value(steps);
}

export function printRollbackPreview(steps: RollbackPreviewStep[], flags: { json?: boolean }, output: Output): void {
  if (flags.json) {
    output.out(JSON.stringify({ rollback: steps }));
    return;
  }
  if (steps.length === 0) {
    output.out('nothing to roll back: no completed steps in the journal.');
    return;
  }
  output.out(`${paint(output, 'bold', 'rollback would undo')}, newest first:`);
  steps.forEach((step, index) => {
    output.out(`${index + 1}. ${step.id}: ${step.undo}`);
    if (step.traffic) output.out(`   ${'error' in step.traffic ? `live state unavailable: ${step.traffic.error}` : `${step.traffic.label}: ${step.traffic.change}`}`);
    if (step.traffic && 'drift' in step.traffic && step.traffic.drift) {
      output.out(`   ${paint(output, 'yellow', 'drift')}: ${step.traffic.drift}; the rollback would stop here (--force restores anyway)`);
    }
  });
}
