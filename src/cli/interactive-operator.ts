/**
 * The operator at a terminal: enquirer prompts (imported lazily, only when a question
 * is asked). Cancelling a prompt (Ctrl-C, Esc) is the safe answer: quit / abort.
 */
import { describeAction, describeCheck, describeRollback } from '../runbook/describe.js';
import { formatDuration } from '../runbook/duration.js';
import type {
  BeforeStepChoice,
  FailureChoice,
  InterruptedChoice,
  ManualChoice,
  Operator,
  RunningChildChoice,
  DriftChoice,
  BakeChoice,
} from '../engine/operator.js';
import type { Step } from '../runbook/types.js';
import type { TrafficPreview } from '../engine/traffic-preview.js';
import type { Masker } from '../support/mask.js';
import type { Output } from './output.js';
import { paint } from './output.js';
import { neutralise } from './terminal-text.js';
import { isGoNoGo } from '../engine/nothing-to-undo.js';

interface Choice<T extends string> {
  name: T;
  message: string;
  /** A single key that answers the prompt with this choice (shown in the message). */
  key?: string;
}

/** enquirer's `styles.enabled` switches its colours (ansi-colors) off: NO_COLOR and --no-color cover the prompts too. */
type Styled = { styles: { enabled: boolean } };

interface SelectInstance {
  run(): Promise<string>;
  /** enquirer internals a subclass uses to answer on one key. */
  choices: { name: string; index: number }[];
  index: number;
  submit(): Promise<unknown>;
  render(): Promise<unknown>;
}

type SelectClass = new (options: { name: string; message: string; choices: Choice<string>[]; initial?: number } & Styled) => SelectInstance;

type PromptModule = {
  Select: SelectClass;
  Confirm: new (options: { name: string; message: string; initial?: boolean } & Styled) => { run(): Promise<boolean> };
  Input: new (options: { name: string; message: string; initial?: string } & Styled) => { run(): Promise<string> };
};

/** Set by interactiveOperator from Output.color: one terminal, one choice. */
let promptColor = true;
const styled = (): Styled => ({ styles: { enabled: promptColor } });

async function input(message: string): Promise<string | undefined> {
  const { Input } = await prompts();
  try {
    return await new Input({ name: 'input', message, ...styled() }).run();
  } catch {
    return undefined;
  }
}

async function prompts(): Promise<PromptModule> {
  const module = (await import('enquirer')) as unknown as { default: PromptModule };
  return module.default;
}

async function select<T extends string>(message: string, choices: Choice<T>[], cancelled: T): Promise<T> {
  const { Select } = await prompts();
  const keyed = choices.some((choice) => choice.key !== undefined);
  const Prompt = keyed ? keyedSelect(Select, choices) : Select;
  const shown = choices.map((choice) => (choice.key ? { ...choice, message: `${choice.message} [${choice.key}]` } : choice));
  try {
    // enquirer writes to the terminal itself, past Output: the question is made inert here.
    return (await new Prompt({ name: 'choice', message: neutralise(message), choices: shown, ...styled() }).run()) as T;
  } catch {
    return cancelled;
  }
}

/**
 * enquirer's Select, answering at once when a choice's key is typed (arrows and Enter
 * still work). enquirer calls `dispatch` for a key it has no action for.
 */
function keyedSelect(Select: SelectClass, choices: Choice<string>[]): SelectClass {
  const byKey = new Map(choices.flatMap((choice) => (choice.key ? [[choice.key.toLowerCase(), choice.name] as const] : [])));
  return class extends (Select as unknown as new (...args: never[]) => SelectInstance) {
    async dispatch(typed: string | undefined): Promise<unknown> {
      const name = typed === undefined ? undefined : byKey.get(typed.toLowerCase());
      const index = name === undefined ? -1 : this.choices.findIndex((choice) => choice.name === name);
      if (index === -1) return this.render();
      this.index = index;
      return this.submit();
    }
  } as unknown as SelectClass;
}

/** The live diff of a traffic step, as plan shows it: undefined for other steps. */
export type StepPreview = (step: Step) => Promise<TrafficPreview | undefined>;

/**
 * "Show details" at the step prompt: the step's definition and, for a traffic step with a
 * `preview`, the live weights -> the weights after it (a failed read says so, never throws).
 */
export async function stepDetails(step: Step, preview?: StepPreview): Promise<string[]> {
  const lines = [`${step.id}: ${step.title}`];
  if (step.description) lines.push(`  ${step.description}`);
  for (const check of describeCheck(step.precheck)) lines.push(`  precheck: ${check}`);
  lines.push(`  run:      ${describeAction(step.action)}`);
  if (preview && (step.action.kind === 'route53' || step.action.kind === 'elbv2')) {
    const live = await preview(step).catch((error: unknown) => ({ error: error instanceof Error ? error.message : String(error) }));
    if (live) lines.push('error' in live ? `  live weights unavailable: ${live.error}` : `  live:     ${live.label}: ${live.change}`);
  }
  for (const check of describeCheck(step.verify)) lines.push(`  verify:   ${check}`);
  lines.push(`  rollback: ${describeRollback(step.rollback)}`);
  lines.push(`  digest:   ${step.digest}`);
  return lines;
}

export function interactiveOperator(output: Output, masker: Masker, who: string, options: { preview?: StepPreview } = {}): Operator {
  promptColor = output.color;
  const details = async (step: Step) => {
    const [title = '', ...rest] = await stepDetails(step, options.preview);
    output.err(masker.text([paint(output, 'bold', title), ...rest].join('\n')));
  };
  return {
    interactive: true,
    name: who,
    async beforeStep(step, position) {
      for (;;) {
        const choice = await select<BeforeStepChoice | 'details'>(
          `Step ${position.index}/${position.total} ${step.id}: ${step.title}`,
          [
            { name: 'run', message: 'Run', key: 'r' },
            ...(position.index < position.total
              ? [{ name: 'continue' as const, message: 'Run all remaining without asking (manual steps and failures still ask)', key: 'c' }]
              : []),
            ...(step.skippable === false
              ? []
              : [{ name: 'skip' as const, message: isGoNoGo(step) ? 'Skip (asks you to type the step id and why)' : 'Skip', key: 's' }]),
            { name: 'details', message: 'Show details', key: 'd' },
            { name: 'quit', message: 'Quit', key: 'q' },
          ],
          'quit',
        );
        if (choice !== 'details') return choice;
        await details(step);
      }
    },
    async onFailure(step, failure) {
      // The "✖ … failed" line is already on screen (render-events.ts): only the output's tail here.
      for (const line of failure.tail.slice(-10)) output.err(masker.text(`  │ ${line}`));
      return select<FailureChoice>(
        `What now with ${step.id}?`,
        [
          { name: 'retry', message: 'Retry' },
          // A failed precheck stopped the step before its action: there is nothing of it to undo.
          ...(failure.phase === 'precheck' ? [] : [{ name: 'rollback-step' as const, message: 'Roll back this step' }]),
          { name: 'rollback-all', message: 'Roll back everything' },
          { name: 'skip', message: 'Skip (leave it failed, go on)' },
          { name: 'abort', message: 'Abort (stop here)' },
        ],
        'abort',
      );
    },
    async manual(step, instructions) {
      output.err(masker.text(`${paint(output, 'cyan', `☐ ${step.id}`)}: ${instructions}`));
      return select<ManualChoice>(
        `Is "${step.title}" done?`,
        [
          { name: 'done', message: 'Done' },
          { name: 'not-yet', message: 'Not yet (stop here; run again when it is done)' },
        ],
        'not-yet',
      );
    },
    async interrupted(step) {
      output.err(`${paint(output, 'yellow', `! ${step.id}`)} was interrupted and has no verify, so cutover cannot tell whether it completed.`);
      return select<InterruptedChoice>(
        `What now with ${step.id}?`,
        [
          { name: 'retry', message: 'Run it again' },
          { name: 'mark-done', message: 'Mark it done (I checked by hand)' },
          { name: 'rollback', message: 'Roll it back' },
          { name: 'abort', message: 'Abort' },
        ],
        'abort',
      );
    },
    async runningChild(step, child) {
      return select<RunningChildChoice>(
        `${step.id}'s process group ${child.pgid} is still running. Wait for it, or kill it?`,
        [
          { name: 'wait', message: 'Wait for it to exit' },
          { name: 'kill', message: 'Kill it (SIGTERM, then SIGKILL)' },
        ],
        'wait',
      );
    },
    async drift(step, description, doing) {
      output.err(masker.text(`${paint(output, 'yellow', `! drift before ${doing === 'apply' ? 'changing' : 'rolling back'} ${step.id}`)}: ${description}`));
      return select<DriftChoice>(
        `Someone changed the weights outside cutover. ${doing === 'apply' ? 'Apply the step' : 'Restore the captured state'} anyway?`,
        [
          { name: 'abort', message: 'Stop here (find out who changed it first)' },
          { name: 'proceed', message: 'Go ahead anyway (journaled)' },
        ],
        'abort',
      );
    },
    async bake(step, leftMs) {
      return select<BakeChoice>(
        `${step.id} is baking: ${formatDuration(Math.ceil(leftMs / 1000) * 1000)} left before the next step. Its watch is checked every minute.`,
        [
          { name: 'wait', message: 'Wait here and watch (Ctrl-C stops waiting)' },
          { name: 'stop', message: 'Stop here (run again later)' },
          { name: 'rollback', message: 'Roll this step back' },
        ],
        'stop',
      );
    },
    async confirmSkip(step) {
      output.err(masker.text(`${paint(output, 'yellow', 'Skipping a manual step')} skips a human decision: the run goes on as if "${step.id}" had been done.`));
      const typed = await input(`Type the step id (${step.id}) to skip it, anything else to go back`);
      if (typed?.trim() !== step.id) return undefined;
      const why = (await input('Why is it skipped? (journaled, with your name)'))?.trim();
      return why ? { note: why } : undefined;
    },
    async confirm(question) {
      const { Confirm } = await prompts();
      try {
        return await new Confirm({ name: 'confirm', message: neutralise(question), initial: false, ...styled() }).run();
      } catch {
        return false;
      }
    },
  };
}
