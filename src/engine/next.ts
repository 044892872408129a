/**
 * "What happens next": one pure function from the runbook's steps, the journal's state and
 * the options of a forward command to what `run` would do. `run`, `resume`, `plan`,
 * `run --dry-run` and `status` all ask it, so they cannot disagree about the next step, the
 * refusal, the bake gate or the interrupted step to resolve first.
 *
 * It needs only each step's id and digest (status has no more than its cached outline): the
 * bakes and watches it reasons about are the journaled definitions, which is what ran.
 */
import { approvalUsable, isDone } from '../journal/replay.js';
import type { JournalState, StepRecord } from '../journal/replay.js';
import { closest } from '../runbook/suggest.js';

export interface NextStep {
  id: string;
  digest: string;
  /** Only `run --start-at` looks at these (a manual go/no-go or `skippable: false` is never skipped by it). */
  action?: { kind: string };
  skippable?: false;
}

export interface NextOptions {
  /** Stop after this step (it is the last one in scope). */
  until?: string;
  /**
   * Start at this step: the pending steps before it are skipped (run journals each as
   * skipped, "--start-at ID"). Refused when it is done, or when a step before it may have
   * left something applied (failed, interrupted), is a manual go/no-go or `skippable: false`.
   */
  startAt?: string;
  /** At most this many steps are run (resolved interruptions count). */
  maxSteps?: number;
  /** Completed steps changed since they ran are accepted (journaled) instead of refused. */
  acceptChanges?: boolean;
}

/** Why nothing would run. `exit`: how `run` ends (refused: exit 2; failed: exit 1; nothing: exit 0). */
export type Refusal =
  | { kind: 'unknown-step'; option: string; step: string; suggestion?: string; exit: 'refused' }
  | { kind: 'partly-rolled-back'; step: string; exit: 'refused' }
  /** `diffs`: per step, what changed field by field (definition-diff.ts), where the caller had both definitions. */
  | { kind: 'changed'; steps: string[]; diffs?: Record<string, string[]>; exit: 'refused' }
  | { kind: 'watch-failed'; step: string; ts: string; summary: string; exit: 'failed' }
  | { kind: 'until-done'; step: string; next?: string; exit: 'nothing' }
  | { kind: 'start-at-done'; step: string; state: string; next?: string; exit: 'refused' }
  | { kind: 'start-after-until'; step: string; until: string; exit: 'refused' }
  | { kind: 'start-at-blocked'; step: string; blocker: string; why: 'effect' | 'manual' | 'unskippable'; state: string; exit: 'refused' };

export interface AcceptedChange {
  step: string;
  digestBefore: string;
  digestAfter: string;
}

export interface NextPlan {
  refusal?: Refusal;
  /**
   * The steps `run` would consider, in order: not done, and not after `--until`. The first
   * is the next step; `--max-steps` bounds how many of them actually run.
   */
  scope: string[];
  /** The first step `run` acts on (undefined when refused or when every step is done). */
  next?: string;
  /** The next step is a started step without an outcome: it is resolved (verify, or ask) before anything else. */
  interrupted?: { step: string; state: 'running' | 'interrupted' };
  /** The next step failed last time: `run` tries it again. */
  retry?: boolean;
  /** An open bake window the next step must wait for (the newest succeeded step's); after the last step, the window run keeps watching. */
  bake?: { step: string; endsAt: number; watch?: { ok: boolean; summary: string; ts: string } };
  /** Changed completed steps that --accept-changes will accept (journaled as changes.accepted). */
  acceptChanges: AcceptedChange[];
  /** Steps after the scope that stay pending (there is more to do after this run). */
  remaining: string[];
  /** `--start-at`: the pending steps before it, which run journals as skipped first (not in scope). */
  skipped: string[];
  maxSteps?: number;
}

export function whatNext(steps: readonly NextStep[], state: JournalState, options: NextOptions, now: number): NextPlan {
  const base: NextPlan = {
    scope: [],
    acceptChanges: [],
    remaining: [],
    skipped: [],
    ...(options.maxSteps !== undefined ? { maxSteps: options.maxSteps } : {}),
  };
  const ids = steps.map((s) => s.id);
  const record = (id: string): StepRecord | undefined => state.steps.get(id);

  if (options.until !== undefined && !ids.includes(options.until)) {
    const suggestion = closest(options.until, ids);
    return { ...base, refusal: { kind: 'unknown-step', option: '--until', step: options.until, ...(suggestion ? { suggestion } : {}), exit: 'refused' } };
  }
  if (options.startAt !== undefined && !ids.includes(options.startAt)) {
    const suggestion = closest(options.startAt, ids);
    return { ...base, refusal: { kind: 'unknown-step', option: '--start-at', step: options.startAt, ...(suggestion ? { suggestion } : {}), exit: 'refused' } };
  }
  if (options.startAt !== undefined && options.until !== undefined && ids.indexOf(options.until) < ids.indexOf(options.startAt)) {
    return { ...base, refusal: { kind: 'start-after-until', step: options.startAt, until: options.until, exit: 'refused' } };
  }
  // A half-finished rollback is finished first: running forward over it would stack a new change on an unknown state.
  const partly = [...state.steps.values()].find((r) => r.state === 'rolling-back' || r.state === 'rollback-failed');
  if (partly) return { ...base, refusal: { kind: 'partly-rolled-back', step: partly.id, exit: 'refused' } };

  const changed = changedSteps(steps, state);
  if (changed.length > 0 && !options.acceptChanges) return { ...base, refusal: { kind: 'changed', steps: changed.map((c) => c.step), exit: 'refused' } };

  const watch = failedWatch(steps, state);
  if (watch) return { ...base, acceptChanges: changed, refusal: watch };

  const untilIndex = options.until === undefined ? ids.length - 1 : ids.indexOf(options.until);
  const notDone = steps.filter((s) => !isDone(record(s.id)?.state ?? 'pending')).map((s) => s.id);
  const start = options.startAt === undefined ? undefined : startAt(steps, state, options.startAt);
  if (start && 'refusal' in start) return { ...base, acceptChanges: changed, refusal: start.refusal };
  const skipped = start?.skipped ?? [];
  const scope = notDone.filter((id) => ids.indexOf(id) <= untilIndex && !skipped.includes(id));
  const remaining = notDone.filter((id) => ids.indexOf(id) > untilIndex);
  if (options.until !== undefined && scope.length === 0) {
    // A retried `run --until X` during X's bake still watches it (run does, then reports baking).
    const bake = openBake(state, now);
    return {
      ...base,
      acceptChanges: changed,
      remaining,
      ...(bake ? { bake } : {}),
      refusal: { kind: 'until-done', step: options.until, ...(remaining[0] ? { next: remaining[0] } : {}), exit: 'nothing' },
    };
  }
  const next = scope[0];
  const plan: NextPlan = { ...base, scope, remaining, skipped, acceptChanges: changed, ...(next ? { next } : {}) };
  // Every step done: the last step's bake is still watched until its window closes.
  if (next === undefined) {
    const bake = openBake(state, now);
    return bake ? { ...plan, bake } : plan;
  }
  const current = record(next);
  if (current?.state === 'running' || current?.state === 'interrupted') {
    // Its bake gate was passed when it started.
    return { ...plan, interrupted: { step: next, state: current.state } };
  }
  if (current?.state === 'failed') plan.retry = true;
  const bake = openBake(state, now);
  return bake ? { ...plan, bake } : plan;
}

/**
 * `--start-at ID`: the pending steps before ID, to be skipped. Only steps that left nothing
 * behind are skipped (effect none): a failed or interrupted step may be half applied, and
 * skipping it would build the rest of the migration on an unknown state; a manual step is
 * a go/no-go that a flag typed in advance must not answer.
 */
function startAt(steps: readonly NextStep[], state: JournalState, id: string): { skipped: string[] } | { refusal: Refusal } {
  const index = steps.findIndex((s) => s.id === id);
  const target = state.steps.get(id);
  if (target && isDone(target.state)) {
    const next = steps.find((s) => !isDone(state.steps.get(s.id)?.state ?? 'pending'))?.id;
    return { refusal: { kind: 'start-at-done', step: id, state: target.state, ...(next ? { next } : {}), exit: 'refused' } };
  }
  const skipped: string[] = [];
  for (const step of steps.slice(0, index)) {
    const found = state.steps.get(step.id);
    if (found && isDone(found.state)) continue;
    const blocked = (why: 'effect' | 'manual' | 'unskippable'): { refusal: Refusal } => ({
      refusal: { kind: 'start-at-blocked', step: id, blocker: step.id, why, state: found?.state ?? 'pending', exit: 'refused' },
    });
    if (found && found.effect !== 'none') return blocked('effect');
    if (step.skippable === false) return blocked('unskippable');
    if (step.action?.kind === 'manual') return blocked('manual');
    skipped.push(step.id);
  }
  return { skipped };
}

/** Completed steps whose definition changed since they ran and was not accepted before. */
export function changedSteps(steps: readonly NextStep[], state: JournalState): AcceptedChange[] {
  const changed: AcceptedChange[] = [];
  for (const step of steps) {
    const found = state.steps.get(step.id);
    // An empty digest is unknown (loaded by a read-only command without a var's value): not a change.
    if (!found || !isDone(found.state) || found.digest === undefined || step.digest === '' || found.digest === step.digest) continue;
    // Accepted before (journaled by --accept-changes): that edit is the baseline now, not asked again.
    if (state.changesAccepted.some((a) => a.step === step.id && a.digestBefore === found.digest && a.digestAfter === step.digest)) continue;
    changed.push({ step: step.id, digestBefore: found.digest, digestAfter: step.digest });
  }
  return changed;
}

/**
 * A step whose last watch failed (it succeeded, or the failing watch rolled it back), with
 * no approval recorded after that failure: nothing runs past it until someone looks.
 */
export function failedWatch(steps: readonly NextStep[], state: JournalState): Extract<Refusal, { kind: 'watch-failed' }> | undefined {
  for (const step of steps) {
    const found = state.steps.get(step.id);
    const watch = found?.lastWatch;
    // Rolled back by the failing watch counts too: re-running it unattended would just repeat the failure.
    if ((found?.state !== 'succeeded' && found?.state !== 'rolled-back') || !watch || watch.ok) continue;
    if (state.approvals.some((a) => a.step === step.id && a.seq > watch.seq)) continue;
    return { kind: 'watch-failed', step: step.id, ts: watch.ts, summary: watch.summary, exit: 'failed' };
  }
  return undefined;
}

/** The open bake window: the most recently succeeded step whose bake has not passed at `now`. */
export function openBake(state: JournalState, now: number): NextPlan['bake'] {
  let latest: (StepRecord & { bakeEndsAt: number; finishedAt: string }) | undefined;
  for (const found of state.steps.values()) {
    if (found.state !== 'succeeded' || found.bakeEndsAt === undefined || found.finishedAt === undefined || found.bakeEndsAt <= now) continue;
    if (!latest || found.finishedAt > latest.finishedAt) latest = found as StepRecord & { bakeEndsAt: number; finishedAt: string };
  }
  if (!latest) return undefined;
  const watch = latest.lastWatch;
  return { step: latest.id, endsAt: latest.bakeEndsAt, ...(watch ? { watch: { ok: watch.ok, summary: watch.summary, ts: watch.ts } } : {}) };
}

/** Is a manual step approved for this attempt: an unused, unrevoked, unexpired approval of its current digest. */
export function isApproved(state: Pick<JournalState, 'approvals'>, step: NextStep, now: number): boolean {
  return state.approvals.some((a) => a.step === step.id && approvalUsable(a, step.digest, now));
}

/** `cutover <command> [flags] <runbook> [after]`, as the user should type it (src/cli/hint.ts adds the flags). */
export type Hint = (command: string, after?: string) => string;

/** The hint without flags. */
export function plainHint(file: string): Hint {
  return (command, after) => `cutover ${command} ${file}${after ? ` ${after}` : ''}`;
}

/** For people: what the refusal means and what to do, with the command to run. */
export function describeRefusal(refusal: Refusal, hint: Hint): string {
  switch (refusal.kind) {
    case 'unknown-step':
      return `${refusal.option} ${refusal.step}: no such step${refusal.suggestion ? ` (did you mean ${refusal.suggestion}?)` : ''}; "${hint('plan')}" lists the steps`;
    case 'partly-rolled-back':
      return `step "${refusal.step}" is partly rolled back; finish with "${hint('rollback')}" before running forward again`;
    case 'changed':
      return `completed step(s) changed since they ran: ${refusal.steps.map((id) => changedStep(id, refusal.diffs?.[id])).join(', ')}. Review the change with "${hint('plan')}", then run again with --accept-changes (journaled), or undo the edit`;
    case 'watch-failed':
      return `the watch of ${refusal.step} failed during its bake at ${refusal.ts} (${refusal.summary}); find the cause, then record that it is fine with "${hint('approve', refusal.step)}", or undo with "${hint('rollback')}"`;
    case 'start-at-done':
      return `--start-at ${refusal.step}: that step is done already (${refusal.state}); ${refusal.next ? `the next step is ${refusal.next} ("${hint('run')}")` : 'every step is done'}`;
    case 'start-after-until':
      return `--start-at ${refusal.step} comes after --until ${refusal.until}: nothing would run; "${hint('plan')}" lists the steps in order`;
    case 'start-at-blocked':
      return `--start-at ${refusal.step} would skip ${refusal.blocker}, ${startBlockedWhy(refusal, hint)}`;
    case 'until-done':
      return `nothing to do: --until ${refusal.step} is already done${refusal.next ? `; the next step is ${refusal.next} ("${hint(`run --until ${refusal.next}`)}")` : ' and so is every step'}`;
  }
}

function startBlockedWhy(refusal: Extract<Refusal, { kind: 'start-at-blocked' }>, hint: Hint): string {
  switch (refusal.why) {
    case 'effect':
      return `which is ${refusal.state} and may have left changes applied; resolve it first ("${hint('resume')}" judges it by its verify or runs it again; "${hint('rollback')}" undoes it)`;
    case 'manual':
      return 'a manual go/no-go step, which a flag does not answer; run it (approve it for an unattended run) or skip it at the prompt (asks why)';
    case 'unskippable':
      return 'which is marked skippable: false in the runbook; run it first';
  }
}

/** `dns-10 (action.weights.aws: 10 → 15; verify: 1 entries → 2)`: at most three fields, then how many more. */
function changedStep(id: string, diff: string[] | undefined): string {
  if (!diff || diff.length === 0) return id;
  const shown = diff.slice(0, 3).join('; ');
  return `${id} (${shown}${diff.length > 3 ? `; ${diff.length - 3} more` : ''})`;
}
