import { outputIn } from '../journal-reading.js';
import { missingRegion } from '../aws-setup.js';
import type { RunOutcome } from '../../engine/outcome.js';
import { runRunbook } from '../../engine/run.js';
import type { Hint } from '../../engine/next.js';
import { hintFor } from '../hint.js';
import { formatDuration } from '../../runbook/duration.js';
import { ExitCode, ExitError, SUMMARY_VERSION } from '../exit.js';
import { runExitCode } from '../outcome-exit.js';
import type { Output } from '../output.js';
import { paint } from '../output.js';
import { withSession } from '../session.js';
import type { SessionFlags } from '../session.js';
import { enforceRehearsalGate } from '../enforce-rehearsal-gate.js';
import type { RehearsalGateFlags } from '../enforce-rehearsal-gate.js';
import { dryRun } from './dry-run.js';

export interface RunFlags extends SessionFlags, RehearsalGateFlags {
  maxSteps?: string;
  until?: string;
  startAt?: string;
  acceptChanges?: boolean;
  onInterrupted?: 'retry' | 'rollback' | 'kill';
  detailedExitcode?: boolean;
  dryRun?: boolean;
  bake?: 'wait' | 'exit';
}

export async function runOrResume(file: string, flags: RunFlags, output: Output, command: 'run' | 'resume' = 'run'): Promise<void> {
  const maxSteps = parseMaxSteps(flags.maxSteps);
  const bake = flags.bake;
  if (flags.dryRun) return dryRun(file, flags, output, { maxSteps, until: flags.until, startAt: flags.startAt, acceptChanges: flags.acceptChanges, bake });
  let hint = hintFor(file, flags);
  let instructionsOf = (_id: string): string | undefined => undefined;
  const outcome = await withSession(
    file,
    flags,
    output,
    {
      command,
      requireJournal: command === 'resume',
      liveList: true,
      approvals: 'attempt',
      operator: { onInterrupted: flags.onInterrupted },
    },
    async (ctx, journal) => {
      await enforceRehearsalGate(ctx.runbook, flags, output, journal.events, ctx.masker.text);
      // Before the first step that changes anything, not at the ELBv2 step in the middle.
      const noRegion = ctx.aws ? await missingRegion(ctx.runbook, ctx.aws) : undefined;
      if (noRegion) throw new ExitError(ExitCode.invalid, noRegion);
      hint = hintFor(file, flags, ctx.masker.text);
      instructionsOf = (id) => {
        const action = ctx.runbook.steps.find((s) => s.id === id)?.action;
        return action?.kind === 'manual' ? ctx.masker.text(action.instructions) : undefined;
      };
      return runRunbook(ctx, { command, maxSteps, until: flags.until, startAt: flags.startAt, acceptChanges: flags.acceptChanges, bake, hint });
    },
  );
  report(outcome, file, hint, flags, output, outcome.state === 'waiting_approval' ? instructionsOf(outcome.step) : undefined);
}

/**
 * The JSON summary (the last line of --json), version 1: `state`, `stepsRun`, the state's
 * own keys (`next`, `step`, `steps`, `waitUntil`, `signal`, `approve`, `instructions`), a
 * `reason` whenever the run did not end well or did nothing, and `exitCode`. Documented in
 * docs/canary.md ("Exit codes and machine output").
 */
export function summaryObject(outcome: RunOutcome, exitCode: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const reason =
    'reason' in outcome && outcome.reason !== undefined
      ? outcome.reason
      : outcome.state === 'interrupted'
        ? `interrupted by ${outcome.signal}${outcome.during === 'bake' && outcome.step ? ` while waiting for the bake of ${outcome.step}` : ''}`
        : outcome.state === 'rolled_back'
          ? 'rolled back after a failure'
          : undefined;
  return { type: 'summary', version: SUMMARY_VERSION, ...outcome, ...extra, ...(reason !== undefined ? { reason } : {}), exitCode };
}

function parseMaxSteps(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new ExitError(ExitCode.invalid, `--max-steps ${value}: expected a whole number of at least 1`);
  return n;
}

/**
 * The summary: a line on stderr, or with --json the summary object on stdout. A run waiting
 * for an approval also says on stderr, in both modes, what the manual step asks and the
 * exact approve command: a CI log is where the approver reads it.
 */
function report(outcome: RunOutcome, file: string, hint: Hint, flags: RunFlags, output: Output, instructions?: string): void {
  const exit = runExitCode(outcome, flags.detailedExitcode === true);
  const approval = outcome.state === 'waiting_approval' ? { approve: hint('approve', outcome.step), ...(instructions ? { instructions } : {}) } : {};
  if (flags.json) {
    output.out(JSON.stringify(summaryObject(outcome, exit, approval)));
    if (outcome.state === 'waiting_approval') output.err(summaryLine(outcome, file, hint, output, instructions));
  } else {
    output.err(summaryLine(outcome, file, hint, output, instructions));
  }
  if (exit !== ExitCode.ok) throw new ExitError(exit);
}

function summaryLine(outcome: RunOutcome, file: string, hint: Hint, output: Output, instructions?: string): string {
  const ran = `${outcome.stepsRun.length} step${outcome.stepsRun.length === 1 ? '' : 's'} run`;
  switch (outcome.state) {
    case 'completed':
      return `${paint(output, 'green', 'completed')}: every step is done (${ran}). Undo with "${hint('rollback')}".`;
    case 'advanced':
      return `${paint(output, 'cyan', 'stopped')} before ${outcome.next} (${ran}); continue with "${hint('run')}".`;
    case 'waiting_approval':
      return `${paint(output, 'yellow', 'waiting for approval')} of manual step ${outcome.step} (${ran}).${instructions ? ` It asks: ${instructions}` : ''} Do it, then record it with "${hint('approve', outcome.step)}" (or run interactively) and run again.`;
    case 'waiting_bake':
      return outcome.next === undefined
        ? `${paint(output, 'cyan', 'baking')}: every step is done, and ${outcome.step} is baking until ${outcome.waitUntil} (${waitLeft(outcome.waitUntil)} left, ${ran}); its watch was checked. Run again to keep watching it; the migration is complete once the bake has passed.`
        : `${paint(output, 'cyan', 'waiting')}: ${outcome.step} is baking; ${outcome.next} may start at ${outcome.waitUntil} (${waitLeft(outcome.waitUntil)} left, ${ran}). Run again then.`;
    case 'failed':
      return `${paint(output, 'red', 'failed')}: step ${outcome.step}: ${outcome.reason}. Fix the cause and "${hint('resume')}", or undo with "${hint('rollback')}".${outputIn(file, outcome.step)}`;
    case 'rolled_back':
      return `${paint(output, 'yellow', 'rolled back')} ${outcome.steps.join(', ')} after a failure. "${hint('status')}" shows where things stand.`;
    case 'rollback_failed':
      return `${paint(output, 'red', 'ROLLBACK FAILED')} at step ${outcome.step}: ${outcome.reason}. A human is needed: repair it by hand, then run "${hint('rollback')}" to continue (it retries ${outcome.step}).`;
    case 'interrupted':
      // Waiting is not running: the step succeeded, and the next run waits out (and watches) the rest of its bake.
      if (outcome.during === 'bake' && outcome.step)
        return `${paint(output, 'yellow', 'stopped')} (${outcome.signal}) while waiting for the bake of ${outcome.step}; ${outcome.step} itself succeeded. Continue with "${hint('run')}" (it waits for the rest of the bake), or undo with "${hint('rollback')}".`;
      return `${paint(output, 'yellow', 'interrupted')} (${outcome.signal})${outcome.step ? ` during ${outcome.step}` : ''}. Continue with "${hint('resume')}", or undo with "${hint('rollback')}".`;
    case 'refused':
      return `${paint(output, 'red', 'refused')}: ${outcome.reason}.`;
    case 'up_to_date':
      return `${outcome.reason}.`;
  }
}

function waitLeft(until: string): string {
  const ms = Math.max(0, Date.parse(until) - Date.now());
  return formatDuration(Math.ceil(ms / 60_000) * 60_000);
}
