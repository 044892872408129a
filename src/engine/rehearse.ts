/**
 * `rehearse`: prove, in a staging environment, that every step can be undone and done again.
 * Per step, in order: precheck, action, verify (executeStep); rollback and rollback.verify
 * (rollbackStep, the same code `cutover rollback` uses); evidence that the rollback undid the
 * step; then the step again (precheck, action, verify) so the next step starts from the state
 * it expects. Each step's result is journaled as `rehearsal.step` in the rehearsal journal,
 * with the step's digest: that is what the rehearsal gate of `run` checks.
 *
 * Evidence that a rollback worked, strongest first: for traffic steps the live state read again
 * equals the state captured before the step (weights and the full AWS state); the step's
 * `rollback.verify` passes; the step's `verify` fails after the rollback (it saw the change,
 * and no longer does). A step with none of these is "rollback unverified", not passed.
 *
 * A rehearsal stops at the first failure and leaves staging as the failure left it. Running
 * it again continues: steps still applied in staging whose current definition passed stay as
 * they are; the rest are rehearsed, the failed step from its action again (whatever its
 * rollback left half done is for the operator to repair first). `--return` runs only after a
 * rehearsal without failures.
 *
 * A rehearsal that was stopped in the middle of a step (killed, a crash, a signal) is
 * recovered first, the way `resume` and `rollback` recover (interrupted.ts,
 * rollback-recovery.ts): the command it left running is waited for (or killed), then the
 * step's `verify` (or its rollback's `rollback.verify`) says whether it took effect. An
 * action that is still applied is never run again: a step found applied continues its
 * rehearsal at its rollback; one found not applied (or rolled back) is rehearsed from its
 * action. Only a complete rehearsal after the recovery gives a verdict.
 */
import { askBeforeStep } from './before-step.js';
import type { Actions, EngineContext } from './context.js';
import type { Check, SingleCheck, Step, TrafficAction } from '../runbook/types.js';
import type { JournalEvent, RehearsalPhase, RehearsalPhases, RehearsalVerdict, TrafficSnapshotData } from '../journal/events.js';
import { TrafficError } from '../actions/traffic/types.js';
import { replay } from '../journal/replay.js';
import type { StepRecord } from '../journal/replay.js';
import { weightDifferences } from './drift.js';
import { resolveInterrupted } from './interrupted.js';
import { runnableDefinition } from './runnable.js';
import { rollbackStep } from './execute-rollback.js';
import { nothingToUndo } from './nothing-to-undo.js';
import { restoreCaptureOf } from '../journal/replay.js';
import { executeStep, nextAttempt, runChecks } from './execute-step.js';
import type { StepResult } from './execute-step.js';
import { record } from './execution.js';
import type { RollbackOutcome } from './outcome.js';
import { reverse, rollbackCandidates } from './rollback.js';
import { stateDifference } from '../support/state-difference.js';

export interface RehearseOptions {
  /** Roll every applied step back at the end (newest first, verifying each): staging as it was. */
  return?: boolean;
}

/** A journaled verdict, or for the report: skipped by the operator, or not reached (the rehearsal stopped before it). */
export type RehearsalRowVerdict = RehearsalVerdict | 'skipped' | 'not-reached';

/** One row of the report (serialisable: `--json` prints it as is). */
export interface RehearsalStepRecord {
  id: string;
  title: string;
  digest: string;
  verdict: RehearsalRowVerdict;
  phases: RehearsalPhases;
  /** Why it failed, or why its rollback is unverified, or what else the verdict needs explained. */
  reason?: string;
  /** Wall time of the whole step's rehearsal. */
  durationMs?: number;
  /** Rehearsed by an earlier `rehearse` on this journal and still applied: not rehearsed again. */
  earlier?: boolean;
  /**
   * An earlier rehearsal of this step was cut short after the step was applied (killed, a
   * crash, a signal): this one continued at its rollback (no forward phases), so the action
   * never ran twice in a row.
   */
  continued?: boolean;
}

export type RehearsalOutcome = { steps: RehearsalStepRecord[]; returned?: RollbackOutcome } & (
  | { state: 'completed' }
  | { state: 'failed'; step: string; reason: string }
  /** The operator chose Quit before `next`. */
  | { state: 'advanced'; next: string }
  | { state: 'waiting_approval'; step: string }
  | { state: 'interrupted'; step?: string; signal: string }
  /**
   * Nothing was done. `undoTo`: the rehearsal journal has steps applied that must be rolled
   * back first; `cutover rollback` on that journal, with `--to undoTo` when it is set.
   */
  | { state: 'refused'; reason: string; undo?: { to?: string } }
);

const isTraffic = (step: Step): step is Step & { action: TrafficAction } => step.action.kind === 'route53' || step.action.kind === 'elbv2';

export async function rehearseRunbook(ctx: EngineContext, options: RehearseOptions = {}): Promise<RehearsalOutcome> {
  const { runbook } = ctx;
  const unfinished = unfinishedSteps(ctx);
  // Without anything to recover, a refusal journals nothing.
  if (unfinished.length === 0) {
    const start = whereToStart(ctx);
    if (!start.ok) return refusedOutcome(start);
  }

  await record(ctx, {
    type: 'run.started',
    data: { command: 'rehearse', runbook: runbook.name, file: runbook.file, options: { return: options.return === true } },
  });
  const outcome = await recoverThenRehearse(ctx, unfinished);
  if (outcome.state === 'completed' && options.return) outcome.returned = await returnAll(ctx);
  const finished = outcome.returned ? `${outcome.state}; returned: ${outcome.returned.state}` : outcome.state;
  await record(ctx, { type: 'run.finished', data: { command: 'rehearse', outcome: finished } });
  return outcome;
}

async function recoverThenRehearse(ctx: EngineContext, unfinished: StepRecord[]): Promise<RehearsalOutcome> {
  for (const found of unfinished) {
    const stopped = await recoverStep(ctx, found);
    if (stopped) return stopped;
  }
  const start = whereToStart(ctx);
  if (!start.ok) return refusedOutcome(start);
  return rehearseSteps(ctx, start.earlier, start.continueAt);
}

function refusedOutcome(start: Extract<Start, { ok: false }>): RehearsalOutcome {
  return { state: 'refused', reason: start.reason, ...(start.undo ? { undo: start.undo } : {}), steps: [] };
}

// ---------------------------------------------------------------------------------------------
// Recovery: a step an earlier rehearsal left running, interrupted, or half rolled back.

/** Steps of the rehearsal journal without an outcome (newest last): at most one, unless a --return was cut short. */
function unfinishedSteps(ctx: EngineContext): StepRecord[] {
  const state = replay(ctx.journal.events);
  return [...state.steps.values()]
    .filter((r) => r.definition !== undefined && (r.state === 'running' || r.state === 'interrupted' || r.state === 'rolling-back'))
    .sort((a, b) => b.lastSeq - a.lastSeq);
}

/**
 * Settles one unfinished step as resume and rollback would: its orphaned command is waited
 * for (or killed), then its verify (or rollback.verify) decides. Returns an outcome when the
 * rehearsal cannot go on; undefined when the step is settled (applied, or not).
 */
async function recoverStep(ctx: EngineContext, found: StepRecord): Promise<RehearsalOutcome | undefined> {
  const definition = found.definition as Step;
  const current = ctx.runbook.steps.find((s) => s.id === found.id) ?? definition;
  const interrupted = (): RehearsalOutcome => ({ state: 'interrupted', step: found.id, signal: String(ctx.signal.reason ?? 'SIGINT'), steps: [] });
  const failed = (reason: string): RehearsalOutcome => ({ state: 'failed', step: found.id, reason, steps: [] });
  ctx.reporter.notify({
    kind: 'info',
    step: found.id,
    message: `an earlier rehearsal stopped in the middle of this step (${found.state === 'rolling-back' ? 'its rollback' : 'its action or verify'}): settling it first`,
  });

  if (found.state === 'rolling-back') {
    // What may be run, as for `cutover rollback` (runnable.ts): the runbook's definition when it is the one that ran.
    const runnable = runnableDefinition(ctx.runbook, definition);
    if (!runnable.ok) return failed(runnable.reason);
    if (runnable.journaledDiffers) {
      return {
        state: 'refused',
        reason: `step "${found.id}" was being rolled back when an earlier rehearsal stopped, and the runbook's definition of it has changed since; finish that rollback with "cutover rollback" on the rehearsal journal (it asks before running the journaled definition; --trust-journal in CI), then rehearse again`,
        undo: {},
        steps: [],
      };
    }
    // rollbackStep resumes an interrupted rollback verify-first: the undo never runs twice.
    const result = await rollbackStep(ctx, runnable.step, 'finishing the rollback of an interrupted rehearsal');
    switch (result.kind) {
      case 'rolled-back':
        return undefined;
      case 'aborted':
        return interrupted();
      case 'not-started':
        return result.aborted
          ? interrupted()
          : failed(`the rollback of "${found.id}", interrupted in an earlier rehearsal, could not be finished: ${result.reason}`);
      case 'irreversible':
        return failed(`step "${found.id}" was being rolled back, but its journaled definition is irreversible: ${result.reason}`);
      case 'failed': {
        const reason = `the rollback, interrupted in an earlier rehearsal and finished now, failed: ${result.reason}`;
        // A broken rollback is what a rehearsal is there to find: the gate must not pass this definition.
        await record(ctx, {
          type: 'rehearsal.step',
          step: found.id,
          data: { digest: definition.digest, verdict: 'failed', phases: { rollback: { status: 'failed', durationMs: 0, reason: result.reason } }, reason },
        });
        return failed(reason);
      }
    }
  }

  const resolution = await resolveInterrupted(ctx, current, found);
  if (resolution.kind !== 'stop') return undefined; // done: applied (its rehearsal continues at the rollback); retry: rehearsed from its action
  const ended = resolution.outcome([]);
  switch (ended.state) {
    case 'rolled_back':
      return undefined; // the operator (or --on-interrupted rollback) rolled it back: rehearsed from its action
    case 'interrupted':
      return interrupted();
    case 'failed':
    case 'rollback_failed':
      return failed(ended.reason);
    default:
      return failed(`step "${found.id}" was left unfinished by an earlier rehearsal`);
  }
}

// ---------------------------------------------------------------------------------------------
// Where a rehearsal starts: from scratch, or continuing what an earlier one left applied.

/** `continueAt`: a step applied by a rehearsal that was cut short before its verdict; its rehearsal continues at the rollback. */
type Start = { ok: true; earlier: Map<string, RehearsalStepRecord>; continueAt?: string } | { ok: false; reason: string; undo?: { to?: string } };

function whereToStart(ctx: EngineContext): Start {
  const { steps } = ctx.runbook;
  const events = ctx.journal.events;
  const state = replay(events);

  // A step whose rehearsal failed (even half rolled back: the rehearsal is there to find broken
  // rollbacks, and the operator repairs staging by hand) is rehearsed again from its action.
  const earlier = new Map<string, RehearsalStepRecord>();
  // Nothing applied: a rehearsal from scratch (steps skipped or failed in an earlier one are rehearsed again).
  if (!steps.some((s) => state.steps.get(s.id)?.state === 'succeeded')) return { ok: true, earlier };

  const latest = latestRehearsals(events);
  for (const step of steps) {
    const r = state.steps.get(step.id);
    if (r?.state === 'skipped') {
      earlier.set(step.id, { id: step.id, title: step.title, digest: step.digest, verdict: 'skipped', phases: {}, earlier: true });
      continue;
    }
    const last = latest.get(step.id);
    if (r?.state === 'succeeded' && last && last.afterLastStart && last.data.digest === step.digest && last.data.verdict !== 'failed') {
      earlier.set(step.id, {
        id: step.id,
        title: step.title,
        digest: step.digest,
        verdict: last.data.verdict,
        phases: last.data.phases,
        ...(last.data.reason ? { reason: last.data.reason } : {}),
        earlier: true,
      });
    }
  }
  const first = steps.findIndex((s) => !earlier.has(s.id));
  if (first === -1) return { ok: true, earlier };
  const todo = steps[first] as Step;
  // Applied with its current definition, and no verdict since: a rehearsal of it was cut short
  // (after its action or its re-apply). It continues at its rollback; the action is not run again.
  const found = state.steps.get(todo.id);
  const cutShort = found?.state === 'succeeded' && found.digest === todo.digest && latest.get(todo.id)?.afterLastStart !== true;
  const blocking = steps.slice(first).filter((s) => state.steps.get(s.id)?.state === 'succeeded' && !(cutShort && s.id === todo.id));
  if (blocking.length === 0) return { ok: true, earlier, ...(cutShort ? { continueAt: todo.id } : {}) };

  const last = latest.get(todo.id);
  const why = !last ? 'was never rehearsed' : last.data.digest !== todo.digest ? 'changed since its rehearsal' : 'did not pass its last rehearsal';
  const to = steps
    .slice(0, first)
    .filter((s) => state.steps.get(s.id)?.state === 'succeeded')
    .at(-1)?.id;
  return {
    ok: false,
    reason: `step "${todo.id}" ${why}, but ${blocking.map((s) => s.id).join(', ')} ${blocking.length === 1 ? 'is' : 'are'} still applied in staging by an earlier rehearsal; roll back to before "${todo.id}" first, then rehearse again`,
    undo: to ? { to } : {},
  };
}

interface LatestRehearsal {
  data: Extract<JournalEvent, { type: 'rehearsal.step' }>['data'];
  /** Journaled after the step last started: it describes what is applied now. */
  afterLastStart: boolean;
}

function latestRehearsals(events: readonly JournalEvent[]): Map<string, LatestRehearsal> {
  const latest = new Map<string, LatestRehearsal>();
  for (const event of events) {
    if (event.step === undefined) continue;
    if (event.type === 'rehearsal.step') latest.set(event.step, { data: event.data, afterLastStart: true });
    else if (event.type === 'step.started') {
      const known = latest.get(event.step);
      if (known) known.afterLastStart = false;
    }
  }
  return latest;
}

// ---------------------------------------------------------------------------------------------
// The steps

async function rehearseSteps(ctx: EngineContext, earlier: Map<string, RehearsalStepRecord>, continueAt?: string): Promise<RehearsalOutcome> {
  const { steps } = ctx.runbook;
  const rows: RehearsalStepRecord[] = steps.map((s) => earlier.get(s.id) ?? { id: s.id, title: s.title, digest: s.digest, verdict: 'not-reached', phases: {} });
  // "Run all remaining without asking" at a prompt: no more step prompts in this rehearsal.
  let unattended = false;
  for (const [index, step] of steps.entries()) {
    if (earlier.has(step.id)) continue;
    const row = rows[index] as RehearsalStepRecord;
    const continuing = step.id === continueAt;
    if (continuing) row.continued = true;
    // A step already applied was confirmed when its rehearsal started.
    if (step.confirm && !continuing && !unattended) {
      const answer = await askBeforeStep(ctx.operator, step, { index: index + 1, total: steps.length }, (message) =>
        ctx.reporter.notify({ kind: 'warning', step: step.id, message }),
      );
      const { choice } = answer;
      const note = answer.choice === 'skip' && answer.note !== undefined ? { note: answer.note } : {};
      if (ctx.operator.interactive) await record(ctx, { type: 'decision', step: step.id, data: { prompt: 'rehearse this step?', choice, ...note } });
      if (choice === 'continue') unattended = true;
      if (choice === 'quit') return { state: 'advanced', next: step.id, steps: rows };
      if (choice === 'skip') {
        await record(ctx, { type: 'step.skipped', step: step.id, data: { reason: 'skipped by the operator during a rehearsal' } });
        row.verdict = 'skipped';
        continue;
      }
    }
    const result = await rehearseStep(ctx, step, continuing ? 'rollback' : 'forward');
    row.phases = result.phases;
    if (result.kind !== 'not-done') row.durationMs = result.durationMs;
    if (result.kind === 'aborted') {
      row.reason = 'interrupted';
      return { state: 'interrupted', step: step.id, signal: String(ctx.signal.reason ?? 'SIGINT'), steps: rows };
    }
    if (result.kind === 'not-done') {
      row.reason = 'waiting for the manual step to be done';
      return ctx.operator.interactive ? { state: 'advanced', next: step.id, steps: rows } : { state: 'waiting_approval', step: step.id, steps: rows };
    }
    row.verdict = result.verdict;
    if (result.reason !== undefined) row.reason = result.reason;
    const reason = result.reason ?? (continuing ? CONTINUED : undefined);
    await record(ctx, {
      type: 'rehearsal.step',
      step: step.id,
      data: { digest: step.digest, verdict: result.verdict, phases: result.phases, ...(reason !== undefined ? { reason } : {}) },
    });
    if (result.verdict === 'failed') return { state: 'failed', step: step.id, reason: result.reason ?? 'failed', steps: rows };
  }
  return { state: 'completed', steps: rows };
}

type StepRehearsal =
  | { kind: 'rehearsed'; verdict: RehearsalVerdict; reason?: string; phases: RehearsalPhases; durationMs: number }
  | { kind: 'aborted'; phases: RehearsalPhases; durationMs: number }
  | { kind: 'not-done'; phases: RehearsalPhases; durationMs: number };

const CONTINUED = 'an earlier rehearsal of this step was cut short after the step was applied; this one continued at its rollback';

async function rehearseStep(outer: EngineContext, step: Step, from: 'forward' | 'rollback'): Promise<StepRehearsal> {
  const timer = new CheckTimer(outer);
  const ctx: EngineContext = { ...outer, actions: timer.actions };
  const phases: RehearsalPhases = {};
  const startedAt = now(ctx);
  const elapsed = () => now(ctx) - startedAt;
  const rehearsed = (verdict: RehearsalVerdict, reason?: string): StepRehearsal => ({
    kind: 'rehearsed',
    verdict,
    ...(reason !== undefined ? { reason } : {}),
    phases,
    durationMs: elapsed(),
  });
  const stopped = (kind: 'aborted' | 'not-done'): StepRehearsal => ({ kind, phases, durationMs: elapsed() });
  const failed = (phase: keyof RehearsalPhases, label: string): StepRehearsal => rehearsed('failed', `${label}: ${phases[phase]?.reason ?? 'failed'}`);

  // 1. Forward: precheck, action, verify (not when continuing a rehearsal cut short after the step was applied).
  if (from === 'forward') {
    const forward = await timed(ctx, () => executeStep(ctx, step));
    Object.assign(phases, forwardPhases(step, forward.value, forward.ms, timer, 'first'));
    if (forward.value.kind === 'aborted' || forward.value.kind === 'not-done') return stopped(forward.value.kind);
    if (forward.value.kind === 'failed') {
      const phase = forward.value.failure.phase === 'precheck' ? 'precheck' : forward.value.failure.phase === 'verify' ? 'verify' : 'forward';
      return failed(phase, phase === 'forward' ? 'action' : phase);
    }
  }

  const rollback = step.rollback;
  if (rollback.kind === 'none') {
    // cutover's own rollback passes over a manual step with nothing to undo (an approval, a look).
    if (nothingToUndo(step))
      return rehearsed('passed', `${step.action.kind === 'gate' ? 'a check-only step' : 'a manual step with "rollback: none"'} has nothing to undo`);
    return rehearsed('irreversible', `irreversible: ${rollback.reason}`);
  }

  // 2. Rollback (and its verify), with the capture it restores kept for the comparison.
  const captured = isTraffic(step) ? restoreCaptureOf(ctx.journal.events, step.id) : undefined;
  const undone = await timed(ctx, () => rollbackStep(ctx, step, 'rehearsal'));
  const verifyMs = timer.take(rollback.verify);
  const rollbackMs = undone.ms - (verifyMs ?? 0);
  if (undone.value.kind === 'aborted') return stopped('aborted');
  if (undone.value.kind === 'irreversible') return rehearsed('irreversible', `irreversible: ${undone.value.reason}`);
  if (undone.value.kind === 'failed') {
    const reason = undone.value.reason;
    if (lastRollbackFailurePhase(ctx, step) === 'verify') {
      phases.rollback = { status: 'passed', durationMs: rollbackMs };
      phases.rollbackVerify = { status: 'failed', durationMs: verifyMs ?? 0, reason };
      return failed('rollbackVerify', 'the rollback did not undo the step');
    }
    phases.rollback = { status: 'failed', durationMs: rollbackMs, reason };
    return failed('rollback', 'the rollback failed');
  }
  phases.rollback = { status: 'passed', durationMs: rollbackMs };
  if (verifyMs !== undefined) phases.rollbackVerify = { status: 'passed', durationMs: verifyMs };

  // 3. Evidence: traffic state equals the capture, or the step's verify no longer passes.
  if (isTraffic(step)) {
    const compared = await compareWithCapture(ctx, captured);
    if (compared === 'aborted') return stopped('aborted');
    phases.stateRestored = compared;
    if (compared.status === 'failed') return failed('stateRestored', 'the rollback did not restore the state captured before the step');
  } else if (step.verify && !phases.rollbackVerify) {
    const check = step.verify.map(withoutRetry);
    const observed = await timed(ctx, () => runChecks(ctx, step, nextAttempt(ctx, step.id) - 1, 'verify', check));
    if (observed.value === 'aborted') return stopped('aborted');
    phases.verifyAfterRollback = observed.value.ok
      ? {
          status: 'inconclusive',
          durationMs: observed.ms,
          reason: "the step's verify still passes after the rollback, so it cannot tell whether the rollback undid the step",
        }
      : { status: 'passed', durationMs: observed.ms, reason: `verify fails after the rollback, as it should: ${observed.value.summary}` };
  }

  // 4. Again: the next step expects this one applied.
  const again = await timed(ctx, () => executeStep(ctx, step));
  Object.assign(phases, forwardPhases(step, again.value, again.ms, timer, 'again'));
  if (again.value.kind === 'aborted' || again.value.kind === 'not-done') return stopped(again.value.kind);
  if (again.value.kind === 'failed') {
    const phase = again.value.failure.phase === 'verify' ? 'reverify' : 'reapply';
    return failed(phase, phase === 'reverify' ? 'verify after re-applying' : 're-applying the step after its rollback');
  }

  const proven = phases.stateRestored?.status === 'passed' || phases.rollbackVerify?.status === 'passed' || phases.verifyAfterRollback?.status === 'passed';
  if (proven) return rehearsed('passed');
  return rehearsed(
    'rollback-unverified',
    step.verify
      ? "nothing proved the rollback worked: there is no rollback.verify, and the step's verify still passes after the rollback"
      : 'nothing can check the rollback: the step has neither a rollback.verify nor a verify',
  );
}

/** Phases of one executeStep: the first run (precheck, forward, verify) or the re-apply (reapply, reverify). */
function forwardPhases(step: Step, result: StepResult, totalMs: number, timer: CheckTimer, which: 'first' | 'again'): RehearsalPhases {
  const precheckMs = timer.take(step.precheck);
  const verifyMs = timer.take(step.verify);
  const actionMs = Math.max(0, totalMs - (precheckMs ?? 0) - (verifyMs ?? 0));
  const failure = result.kind === 'failed' ? result.failure : undefined;
  const status = (failedHere: boolean): RehearsalPhase['status'] => (failedHere ? 'failed' : 'passed');
  const reasonIf = (failedHere: boolean) => (failedHere && failure ? { reason: failure.reason } : {});
  const precheckFailed = failure?.phase === 'precheck';
  const actionFailed = failure?.phase === 'action' || failure?.phase === 'drift';
  const verifyFailed = failure?.phase === 'verify';
  // The action ran unless the precheck failed; an interrupted step's phases are not judged.
  const actionRan = result.kind === 'succeeded' || (result.kind === 'failed' && !precheckFailed);
  const precheck: RehearsalPhase | undefined =
    precheckMs === undefined ? undefined : { status: status(precheckFailed), durationMs: precheckMs, ...reasonIf(precheckFailed) };
  const action: RehearsalPhase | undefined = actionRan ? { status: status(actionFailed), durationMs: actionMs, ...reasonIf(actionFailed) } : undefined;
  const verify: RehearsalPhase | undefined =
    verifyMs === undefined || result.kind === 'aborted' ? undefined : { status: status(verifyFailed), durationMs: verifyMs, ...reasonIf(verifyFailed) };
  if (which === 'first') return { ...(precheck ? { precheck } : {}), ...(action ? { forward: action } : {}), ...(verify ? { verify } : {}) };
  // The re-apply's precheck and action count as one phase.
  const reapply: RehearsalPhase | undefined =
    precheck?.status === 'failed' ? precheck : action ? { ...action, durationMs: action.durationMs + (precheck?.durationMs ?? 0) } : undefined;
  return { ...(reapply ? { reapply } : {}), ...(verify ? { reverify: verify } : {}) };
}

function lastRollbackFailurePhase(ctx: EngineContext, step: Step): 'action' | 'verify' | undefined {
  for (let index = ctx.journal.events.length - 1; index >= 0; index--) {
    const event = ctx.journal.events[index] as JournalEvent;
    if (event.step === step.id && event.type === 'rollback.failed') return event.data.phase;
  }
  return undefined;
}

/** Run once, no polling: after a rollback the verify is expected to fail, and `retryFor` would wait for it to pass. */
function withoutRetry(check: SingleCheck): SingleCheck {
  const copy = { ...check };
  delete copy.retry;
  return copy;
}

// ---------------------------------------------------------------------------------------------
// Traffic: the live state after the rollback against the capture

async function compareWithCapture(ctx: EngineContext, captured: TrafficSnapshotData | undefined): Promise<RehearsalPhase | 'aborted'> {
  const startedAt = now(ctx);
  const phase = (status: RehearsalPhase['status'], reason?: string): RehearsalPhase => ({
    status,
    durationMs: now(ctx) - startedAt,
    ...(reason !== undefined ? { reason: ctx.masker.text(reason) } : {}),
  });
  if (!captured) return phase('failed', 'the journal holds no capture of the state before the step');
  if (!ctx.traffic) return phase('failed', 'this command was started without AWS access for traffic steps');
  let live;
  try {
    live = await ctx.traffic.reread(captured, ctx.signal);
  } catch (error) {
    if (ctx.signal.aborted) return 'aborted';
    if (error instanceof TrafficError) return phase('failed', `reading ${captured.label} again: ${error.message}`);
    throw error;
  }
  const differences = weightDifferences(captured.weights, live.weights);
  if (differences.length > 0) {
    const names = { ...captured.names, ...live.names };
    const show = (value: number | undefined) => (value === undefined ? 'absent' : String(value));
    const listed = differences.map((d) => `${names[d.key] ?? d.key}: captured ${show(d.expected)}, live ${show(d.live)}`).join('; ');
    return phase('failed', `${captured.label}: the live weights differ from the capture (${listed})`);
  }
  const difference = stateDifference(captured.state, live.state);
  if (difference) return phase('failed', `${captured.label}: the weights are back, but the full state differs from the capture at ${difference}`);
  return phase('passed');
}

// ---------------------------------------------------------------------------------------------
// --return

/** Every step applied in staging, newest first, from the journaled definitions (as `cutover rollback`). */
async function returnAll(ctx: EngineContext): Promise<RollbackOutcome> {
  return reverse(ctx, rollbackCandidates(replay(ctx.journal.events)), 'rehearsal --return');
}

// ---------------------------------------------------------------------------------------------
// Timing

function now(ctx: EngineContext): number {
  return ctx.clock.now().getTime();
}

async function timed<T>(ctx: EngineContext, body: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const startedAt = now(ctx);
  const value = await body();
  return { value, ms: now(ctx) - startedAt };
}

/**
 * Times each check by identity: executeStep and rollbackStep pass `step.precheck`,
 * `step.verify` and `rollback.verify` themselves to the Actions port, so the time of each
 * is known without the engine reporting phases.
 */
class CheckTimer {
  readonly actions: Actions;
  private readonly spent = new Map<Check, number>();

  constructor(ctx: EngineContext) {
    const inner = ctx.actions;
    this.actions = {
      runAction: (action, context) => inner.runAction(action, context),
      runCheck: async (check, context) => {
        const startedAt = now(ctx);
        try {
          return await inner.runCheck(check, context);
        } finally {
          this.spent.set(check, (this.spent.get(check) ?? 0) + now(ctx) - startedAt);
        }
      },
    };
  }

  /** The time spent in this check since it was last taken; undefined when it did not run. */
  take(check: Check | undefined): number | undefined {
    if (!check) return undefined;
    const ms = this.spent.get(check);
    this.spent.delete(check);
    return ms;
  }
}
