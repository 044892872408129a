/** Exit codes (README.md, "Exit codes") and the one error type that carries them to main. */
export const ExitCode = {
  ok: 0,
  stepFailed: 1,
  invalid: 2,
  rollbackFailed: 3,
  locked: 4,
  advanced: 10,
  waitingBake: 11,
  waitingApproval: 12,
  /**
   * `plan --detailed-exitcode` only (Terraform's convention): steps are pending. Under that
   * flag every error of plan (an invalid runbook or journal, a usage error, a failed live
   * read, a refusal) exits stepFailed (1) instead, so 2 means one thing there.
   */
  planPending: 2,
  sighup: 129,
  sigint: 130,
  sigterm: 143,
} as const;

/** 128 + the signal's number, as shells report a process ended by it. */
export function signalExitCode(signal: string): number {
  return signal === 'SIGTERM' ? ExitCode.sigterm : signal === 'SIGHUP' ? ExitCode.sighup : ExitCode.sigint;
}

/**
 * Thrown by command handlers to end the process with a code. The message, if any, has
 * already been written or is a user-facing line that main prints without a stack.
 */
export class ExitError extends Error {
  constructor(
    readonly code: number,
    message = '',
  ) {
    super(message);
    this.name = 'ExitError';
  }
}

/** The version of the JSON summary line of run, resume and rollback (--json); docs/canary.md describes it. */
export const SUMMARY_VERSION = 1;
