/** `cutover completion bash|zsh|fish`: a completion script for commands, flags and step ids. */
import { Argument, Command } from '@commander-js/extra-typings';
import type { Output } from '../output.js';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;

export function completionCommand(output: Output) {
  return new Command('completion')
    .description('print a shell completion script (commands, flags, and the step ids of the runbook on the line)')
    .addArgument(new Argument('<shell>', 'bash, zsh or fish').choices(SHELLS))
    .addHelpText(
      'after',
      `
Examples:
  $ source <(cutover completion bash)          # bash, this shell; add it to ~/.bashrc to keep it
  $ source <(cutover completion zsh)           # zsh
  $ cutover completion fish | source           # fish
  $ cutover completion fish > ~/.config/fish/completions/cutover.fish

Step ids (after --until, --start-at, --to, and approve's step) are read from the runbook
already on the command line, by "cutover __complete-steps <runbook>" (no AWS, no journal).`,
    )
    .action(async (shell, _flags, command) => {
      const { printCompletion } = await import('../handlers/completion.js');
      printCompletion(shell, command.parent ?? command, output);
    });
}
