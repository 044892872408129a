/**
 * What changed in a completed step since it ran: its journaled definition against the
 * runbook's, field by field (`action.script: "old" -> "new"`), for plan and the "changed"
 * refusal. The journaled definition has secret values masked (`***`): the current one is
 * compared masked the same way, so the lines hold no secret value and an unchanged secret
 * is not a change.
 */
import { createMasker } from '../support/mask.js';
import type { Masker } from '../support/mask.js';
import type { JournalState } from '../journal/replay.js';
import type { Runbook, Step } from '../runbook/types.js';
import { stateDifference } from '../support/state-difference.js';
import type { Refusal } from './next.js';

/** Not part of what a step does (digest.ts leaves them out too). */
const IGNORED = new Set(['digest', 'title', 'description', 'confirm', 'source', 'foreach']);

/** One line per changed field (objects are followed down; a list says its first difference), in a stable order. */
export function definitionDiff(journaled: Step, current: Step, masker: Pick<Masker, 'value'> = createMasker([])): string[] {
  const before = journaled as unknown as Record<string, unknown>;
  const after = masker.value(current) as unknown as Record<string, unknown>;
  const lines: string[] = [];
  const walk = (a: Record<string, unknown>, b: Record<string, unknown>, prefix: string) => {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((key) => prefix !== '' || !IGNORED.has(key)).sort();
    for (const key of keys) {
      const path = `${prefix}${key}`;
      const [x, y] = [a[key], b[key]];
      if (isObject(x) && isObject(y)) walk(x, y, `${path}.`);
      else {
        const found = stateDifference(x, y, path);
        if (found) lines.push(found.replace(/ -> /, ' → '));
      }
    }
  };
  walk(before, after, '');
  // Same fields, another digest: what changed is outside the step (the runbook's env:) or a secret's value.
  return lines.length > 0 ? lines : ["no field of the step changed: the runbook's env: or a secret value did"];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The field-level diff of each changed step of a "changed" refusal, where both definitions are known. */
export function changedDiffs(runbook: Pick<Runbook, 'steps' | 'secrets'>, state: JournalState, changed: readonly string[]): Record<string, string[]> {
  const diffs: Record<string, string[]> = {};
  const masker = createMasker(runbook.secrets.values);
  for (const id of changed) {
    const journaled = state.steps.get(id)?.definition;
    const current = runbook.steps.find((s) => s.id === id);
    if (journaled && current) diffs[id] = definitionDiff(journaled, current, masker);
  }
  return diffs;
}

/** The refusal with its diffs filled in (only a "changed" refusal has any). */
export function withDiffs(refusal: Refusal, runbook: Pick<Runbook, 'steps' | 'secrets'>, state: JournalState): Refusal {
  return refusal.kind === 'changed' ? { ...refusal, diffs: changedDiffs(runbook, state, refusal.steps) } : refusal;
}
