/** How a command ended. Expected outcomes are values; the CLI maps them to exit codes. */
export type RunOutcome =
  | { state: 'completed'; stepsRun: string[] }
  /** Stopped with steps remaining: --max-steps, --until, or the operator quit. */
  | { state: 'advanced'; stepsRun: string[]; next: string }
  | { state: 'waiting_approval'; stepsRun: string[]; step: string }
  /** `step` is baking; `next` (absent after the last step) may start at waitUntil (ISO time). */
  | { state: 'waiting_bake'; stepsRun: string[]; step: string; next?: string; waitUntil: string }
  | { state: 'failed'; stepsRun: string[]; step: string; reason: string }
  /** `step` failed (or was interrupted) and `steps` were rolled back because of it; `reason` is why. */
  | { state: 'rolled_back'; stepsRun: string[]; steps: string[]; step?: string; reason?: string }
  | { state: 'rollback_failed'; stepsRun: string[]; step: string; reason: string }
  /** `during: 'bake'`: stopped while waiting for the bake of `step` (which succeeded), not while running it. */
  | { state: 'interrupted'; stepsRun: string[]; step?: string; signal: string; during?: 'bake' }
  /** Nothing to do within the bounds given (`--until` a step that is already done). */
  | { state: 'up_to_date'; stepsRun: string[]; reason: string }
  /** Nothing was executed: changed definitions, a rollback in progress, and the like. */
  | { state: 'refused'; stepsRun: string[]; reason: string };

export type RollbackOutcome =
  | { state: 'rolled_back'; steps: string[] }
  | { state: 'nothing_to_roll_back' }
  | { state: 'stopped_at_irreversible'; steps: string[]; step: string; reason: string }
  | { state: 'rollback_failed'; steps: string[]; step: string; reason: string }
  /** Stopped before rolling back `step` (the drift guard, a failed read): nothing was changed or journaled for it. */
  | { state: 'stopped'; steps: string[]; step: string; reason: string }
  /** The operator answered no: nothing was rolled back; with --confirm-each, a "no" before `step` after rolling back `steps`. */
  | { state: 'cancelled'; steps?: string[]; step?: string }
  | { state: 'interrupted'; steps: string[]; step?: string; signal: string };
