/**
 * How each command's outcome (a value, engine/outcome.ts and engine/rehearse.ts) ends the
 * process: the one outcome -> exit code module. Codes: exit.ts, and DESIGN.md section 2.
 */
import type { RollbackOutcome, RunOutcome } from '../engine/outcome.js';
import type { RehearsalOutcome } from '../engine/rehearse.js';
import { ExitCode, signalExitCode } from './exit.js';

/** run and resume; `detailed`: --detailed-exitcode tells "more to do" apart from "done". */
export function runExitCode(outcome: RunOutcome, detailed: boolean): number {
  switch (outcome.state) {
    case 'completed':
    case 'up_to_date':
      return ExitCode.ok;
    case 'advanced':
      return detailed ? ExitCode.advanced : ExitCode.ok;
    case 'waiting_approval':
      return detailed ? ExitCode.waitingApproval : ExitCode.ok;
    case 'waiting_bake':
      return detailed ? ExitCode.waitingBake : ExitCode.ok;
    case 'failed':
    case 'rolled_back':
      return ExitCode.stepFailed;
    case 'rollback_failed':
      return ExitCode.rollbackFailed;
    case 'interrupted':
      return signalExitCode(outcome.signal);
    case 'refused':
      return ExitCode.invalid;
  }
}

/** rollback, and how `rehearse --return` ends. */
export function rollbackExitCode(outcome: RollbackOutcome): number {
  switch (outcome.state) {
    case 'rolled_back':
    case 'nothing_to_roll_back':
    case 'cancelled':
      return ExitCode.ok;
    case 'stopped_at_irreversible':
    case 'rollback_failed':
    case 'stopped':
      return ExitCode.rollbackFailed;
    case 'interrupted':
      return signalExitCode(outcome.signal);
  }
}

export function rehearsalExitCode(outcome: RehearsalOutcome): number {
  switch (outcome.state) {
    case 'completed':
      return outcome.returned ? rollbackExitCode(outcome.returned) : ExitCode.ok;
    case 'advanced':
    case 'waiting_approval':
      return ExitCode.ok;
    case 'failed':
      return ExitCode.stepFailed;
    case 'interrupted':
      return signalExitCode(outcome.signal);
    case 'refused':
      return ExitCode.invalid;
  }
}

/** `cutover watch` when the watch ended the bake (undefined: it passed, or nothing bakes: 0). */
export function watchExitCode(outcome: RunOutcome | undefined): number {
  if (!outcome) return ExitCode.ok;
  if (outcome.state === 'rollback_failed') return ExitCode.rollbackFailed;
  if (outcome.state === 'interrupted') return signalExitCode(outcome.signal);
  return ExitCode.stepFailed;
}
