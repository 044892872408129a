/**
 * The planner: a pure function from a runbook (and, later, its journal) to a serialisable
 * plan of what `run` would do. Printing lives in the CLI.
 */
import { describeAction, describeCheck, describeRollback } from './describe.js';
import { isDone } from '../journal/replay.js';
import type { JournalState, StepState } from '../journal/replay.js';
import type { Runbook, Step } from '../runbook/types.js';
import type { TrafficPreview } from './traffic-preview.js';

export type PlannedState = StepState | 'pending';

export interface PlannedStep {
  index: number;
  id: string;
  title: string;
  description?: string;
  state: PlannedState;
  action: { kind: Step['action']['kind']; summary: string };
  precheck: string[];
  verify: string[];
  rollback: { kind: Step['rollback']['kind']; summary: string; verify: string[] };
  confirm: boolean;
  timeoutMs?: number;
  bakeMs?: number;
  watch: string[];
  onFailure: Step['onFailure'];
  digest: string;
  /** Completed, but the runbook's definition differs from the one that ran. */
  changed: boolean;
  /** The full resolved definition, for machines. */
  definition: Step;
  /** Traffic steps, unless --offline: live weights -> weights after the step (filled in by the CLI). */
  traffic?: TrafficPreview;
}

export interface Plan {
  runbook: { name: string; file: string; description?: string };
  steps: PlannedStep[];
  next?: string;
}

export function buildPlan(runbook: Runbook, journal?: JournalState): Plan {
  const steps = runbook.steps.map((step, index): PlannedStep => {
    const record = journal?.steps.get(step.id);
    return {
    index: index + 1,
    id: step.id,
    title: step.title,
    description: step.description,
    state: record?.state ?? 'pending',
    changed: record?.digest !== undefined && record.digest !== step.digest,
    action: { kind: step.action.kind, summary: describeAction(step.action) },
    precheck: describeCheck(step.precheck),
    verify: describeCheck(step.verify),
    rollback: {
      kind: step.rollback.kind,
      summary: describeRollback(step.rollback),
      verify: describeCheck(step.rollback.kind === 'none' ? undefined : step.rollback.verify),
    },
    confirm: step.confirm,
    timeoutMs: step.timeoutMs,
    bakeMs: step.bakeMs,
    watch: describeCheck(step.watch),
    onFailure: step.onFailure,
    digest: step.digest,
    definition: step,
    };
  });
  return {
    runbook: { name: runbook.name, file: runbook.file, description: runbook.description },
    steps,
    next: steps.find((step) => step.state === 'pending' || !isDone(step.state))?.id,
  };
}
