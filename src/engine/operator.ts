/**
 * Every question the engine asks a human goes through this interface. The interactive
 * implementation (enquirer) lives in the CLI; the non-interactive one below never asks.
 */
import type { Step } from '../runbook/types.js';

/** `continue`: run this step and every later one of this invocation without asking (Ansible's --step "continue"). */
export type BeforeStepChoice = 'run' | 'continue' | 'skip' | 'quit';
export type FailureChoice = 'retry' | 'rollback-step' | 'rollback-all' | 'skip' | 'abort';
export type ManualChoice = 'done' | 'not-yet';
export type InterruptedChoice = 'retry' | 'mark-done' | 'rollback' | 'abort';
export type RunningChildChoice = 'wait' | 'kill';
export type DriftChoice = 'proceed' | 'abort';
export type BakeChoice = 'wait' | 'stop' | 'rollback';

export interface StepFailure {
  /** 'drift': live traffic weights differ from the journal; nothing was changed. */
  phase: 'precheck' | 'action' | 'verify' | 'drift';
  reason: string;
  tail: string[];
}

export interface Operator {
  /** False for --yes, no TTY or CI=true: decisions come from the runbook and flags. */
  readonly interactive: boolean;
  /** Who answers, for the journal's `decision` events. */
  readonly name: string;
  beforeStep(step: Step, position: { index: number; total: number }): Promise<BeforeStepChoice>;
  onFailure(step: Step, failure: StepFailure): Promise<FailureChoice>;
  manual(step: Step, instructions: string): Promise<ManualChoice>;
  interrupted(step: Step): Promise<InterruptedChoice>;
  runningChild(step: Step, child: { pid: number; pgid: number }): Promise<RunningChildChoice>;
  /** Live traffic weights differ from what the journal says was left: `description` says how. */
  drift(step: Step, description: string, doing: 'apply' | 'rollback'): Promise<DriftChoice>;
  /** A step is baking and the run would wait `leftMs`: wait (watching), stop here, or roll it back. */
  bake(step: Step, leftMs: number): Promise<BakeChoice>;
  /** Before an irreversible or risky confirmation, e.g. marking a step done by hand. */
  confirm(question: string): Promise<boolean>;
  /**
   * The operator chose to skip a manual step (a go/no-go): make sure it is meant (type the
   * step id) and ask why. Undefined: not confirmed, ask again.
   */
  confirmSkip(step: Step): Promise<{ note: string } | undefined>;
}

export interface NonInteractiveOptions {
  /** --on-interrupted: what to do with an interrupted step that has no verify. */
  onInterrupted?: 'retry' | 'rollback' | 'kill';
  /** Manual steps with a recorded approval for their digest count as done. */
  approved?: (step: Step) => boolean;
}

/** Follows `onFailure` and the flags; never prompts, never hangs. */
export function nonInteractiveOperator(options: NonInteractiveOptions = {}): Operator {
  return {
    interactive: false,
    name: 'non-interactive',
    beforeStep: async () => 'run',
    onFailure: async (step) => {
      switch (step.onFailure) {
        case 'rollback-step':
          return 'rollback-step';
        case 'rollback-all':
          return 'rollback-all';
        default:
          // `ask` with nobody to ask stops, like `stop`.
          return 'abort';
      }
    },
    manual: async (step) => (options.approved?.(step) ? 'done' : 'not-yet'),
    interrupted: async () => (options.onInterrupted === 'retry' ? 'retry' : options.onInterrupted === 'rollback' ? 'rollback' : 'abort'),
    runningChild: async () => (options.onInterrupted === 'kill' ? 'kill' : 'wait'),
    // Nobody to ask: stop and show the difference (--force is the way to go ahead).
    drift: async () => 'abort',
    // Only asked with --bake wait: the flag already said to wait.
    bake: async () => 'wait',
    confirm: async () => false,
    // Nobody to ask: an unattended run never skips.
    confirmSkip: async () => undefined,
  };
}
