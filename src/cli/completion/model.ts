/**
 * What shell completion knows about the CLI, read from the commander tree itself so the
 * scripts cannot drift from the commands: each command's flags (and whether a flag takes
 * a value, and its choices) and subcommands. Step ids come at completion time from
 * `cutover __complete-steps <runbook>` (complete-steps.ts).
 */
import type { CommandUnknownOpts } from '@commander-js/extra-typings';

export interface CompletionFlag {
  /** `--until`, `-y`. */
  names: string[];
  takesValue: boolean;
  choices?: readonly string[];
  /** The value is a step id of the runbook on the line. */
  step: boolean;
}

export interface CompletionCommand {
  name: string;
  description: string;
  flags: CompletionFlag[];
  subcommands: CompletionCommand[];
  /** A second argument after the runbook that is a step id (`approve <runbook> <step>`). */
  stepArgument: boolean;
  /** The first argument's choices (`completion <shell>`). */
  argumentChoices?: readonly string[];
}

/** Flags whose value is a step id. */
export const STEP_FLAGS = ['--until', '--start-at', '--to'];

export function completionModel(program: CommandUnknownOpts): CompletionCommand {
  return describe(program);
}

function describe(command: CommandUnknownOpts): CompletionCommand {
  const flags = command.options.map((option): CompletionFlag => {
    const names = [option.long, option.short].filter((name): name is string => typeof name === 'string');
    return {
      names,
      takesValue: option.required || option.optional,
      ...(option.argChoices ? { choices: option.argChoices } : {}),
      step: names.some((name) => STEP_FLAGS.includes(name)),
    };
  });
  flags.push({ names: ['--help', '-h'], takesValue: false, step: false });
  return {
    name: command.name(),
    description: command.description(),
    flags,
    subcommands: command.commands.map(describe),
    stepArgument: command.registeredArguments.some((argument) => argument.name() === 'step'),
    ...(command.registeredArguments[0]?.argChoices ? { argumentChoices: command.registeredArguments[0].argChoices } : {}),
  };
}
