/**
 * The planner: a pure function from a runbook and its journal's state to a serialisable
 * plan of what `run` would do (the next step and any refusal come from whatNext, as in
 * run). Printing lives in the CLI.
 */
import { outlineWebhooks } from '../runbook/notify.js';
import type { WebhookOutline } from '../runbook/notify.js';
import { describeAction, describeCheck, describeRollback } from '../runbook/describe.js';
import { replay } from '../journal/replay.js';
import { describeRefusal, plainHint, whatNext } from './next.js';
import type { Hint, NextOptions, Refusal } from './next.js';
import type { JournalState, StepState } from '../journal/replay.js';
import type { Runbook, Step, StepGroup } from '../runbook/types.js';
import type { TrafficPreview } from './traffic-preview.js';
import { definitionDiff, withDiffs } from './definition-diff.js';
import { createMasker } from '../support/mask.js';

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
  /** When changed: what changed since it ran, field by field (`action.script: "a" → "b"`). */
  diff?: string[];
  /** The full resolved definition, for machines. */
  definition: Step;
  /** Traffic steps, unless --offline: live weights -> weights after the step (filled in by the CLI). */
  traffic?: TrafficPreview;
  /** Steps of a group: the group, the item and its number. */
  group?: StepGroup;
}

export interface Plan {
  runbook: { name: string; file: string; description?: string };
  steps: PlannedStep[];
  /** What `run` would act on first (whatNext); absent when it would refuse or nothing is left. */
  next?: string;
  /** Why `run` would refuse, exactly as it would say it. */
  refusal?: { kind: Refusal['kind']; reason: string };
  /** The next step is an interrupted one that run resolves first. */
  interrupted?: string;
  /** An open bake window the next step waits for. */
  bake?: { step: string; until: string };
  /** The runbook's notify: webhooks, without their URLs; absent when there are none. */
  notify?: WebhookOutline[];
}

export function buildPlan(
  runbook: Runbook,
  journal: JournalState = replay([]),
  options: NextOptions = {},
  now = Date.now(),
  hint: Hint = plainHint(runbook.file),
): Plan {
  const masker = createMasker(runbook.secrets.values);
  const steps = runbook.steps.map((step, index): PlannedStep => {
    const record = journal.steps.get(step.id);
    const changed = record?.digest !== undefined && record.digest !== step.digest;
    return {
      index: index + 1,
      id: step.id,
      title: step.title,
      description: step.description,
      state: record?.state ?? 'pending',
      changed,
      ...(changed && record?.definition ? { diff: definitionDiff(record.definition, step, masker) } : {}),
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
      ...(step.group ? { group: step.group } : {}),
    };
  });
  const next = whatNext(runbook.steps, journal, options, now);
  return {
    runbook: { name: runbook.name, file: runbook.file, description: runbook.description },
    steps,
    ...(next.next !== undefined ? { next: next.next } : {}),
    ...(next.refusal ? { refusal: { kind: next.refusal.kind, reason: describeRefusal(withDiffs(next.refusal, runbook, journal), hint) } } : {}),
    ...(next.interrupted ? { interrupted: next.interrupted.step } : {}),
    ...(next.bake ? { bake: { step: next.bake.step, until: new Date(next.bake.endsAt).toISOString() } } : {}),
    ...(runbook.notify ? { notify: outlineWebhooks(runbook.notify) } : {}),
  };
}
